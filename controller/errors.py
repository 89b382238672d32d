"""The one exception hierarchy of wagonyard.

Every error a user can act on is a ``WagonyardError`` whose message says where, what and
what next; the CLI prints it without a traceback. Nothing else in the package raises a
bare ``Exception``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controller.catalog.problems import Problem


class WagonyardError(Exception):
    """Base class: a problem the user can fix; ``str(error)`` is the whole message."""


class CatalogError(WagonyardError):
    """The catalog has problems; each carries its file, line, column and JSON path."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = [p.format() for p in self.problems]
        super().__init__("\n".join(lines) if lines else "the catalog has problems")


class TaskError(WagonyardError):
    """A wagon's task failed: it cannot be imported, configured, or it raised."""


class DataError(WagonyardError):
    """An input file is missing, corrupt or unreadable."""


class MergeError(WagonyardError):
    """Job outputs cannot be merged (missing wagon directory, mismatched binning)."""


class GridError(WagonyardError):
    """A grid backend refused or lost a job."""


class StorageError(WagonyardError):
    """A copy to or from a storage element failed or does not match its source."""


class HistoryError(WagonyardError):
    """The git history store cannot record or read a step."""


class HistoryConflict(HistoryError):
    """The history branch moved since it was read (another controller wrote): read it again."""


class TransientError(WagonyardError):
    """A failure worth retrying after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GitHubError(WagonyardError):
    """GitHub refused or failed a request (after retries), or its answer cannot be used."""


class UntrustedInputError(WagonyardError):
    """An input from a pull request's workflow (an artifact) is refused: nothing is posted."""
