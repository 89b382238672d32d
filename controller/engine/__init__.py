"""The train engine: tasks, train plans, the event loop, outputs and merging."""
