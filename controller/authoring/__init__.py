"""The analysts' commands: create, clone, enable and try wagons without hand-editing YAML."""
