"""wagonyard on GitHub: the pull-request comment, check runs, review rules and code owners.

The pure parts (``comment``, ``checks``, ``reviews``, ``codeowners``, ``artifact``) shape text
and decide; ``client`` and ``pulls`` are the only modules that talk to GitHub, through PyGithub.
"""
