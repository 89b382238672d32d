"""wagonyard: analysis trains the GitOps way.

The package holds the pure core (catalog models, train planning, merging) and thin
adapters around it (uproot input and output, git, grid backends, the site, the CLI).
"""

__version__ = "0.1.0"
