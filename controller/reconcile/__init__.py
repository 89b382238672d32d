"""The controller: what it decides (``planner``, pure) and the adapters that feed it and carry
its plans out, one commit per action on the history branch (see "How a change flows")."""
