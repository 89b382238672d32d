"""A problem found in the catalog, with where it is (file, line, column, JSON path) and a hint.

Pure data: formatting to the ``path:line:column: message`` form and to JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file. ``line`` and ``column`` are 1-based; 0 means unknown."""

    # explicit, so that the generated schema does not depend on the pydantic release's default
    # for dataclasses (2.14 started to inherit 'forbid' from the model holding them)
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    path: str
    line: int
    column: int
    message: str
    json_path: str = ""
    hint: str = ""
    severity: Literal["error", "warning"] = "error"

    def format(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}" if self.line else self.path
        field = f" {self.json_path}:" if self.json_path else ""
        hint = f" ({self.hint})" if self.hint else ""
        level = "" if self.severity == "error" else " warning:"
        return f"{where}:{level}{field} {self.message}{hint}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
