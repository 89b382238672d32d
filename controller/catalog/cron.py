"""Cron expressions of the datasets' schedules: which ones wagonyard takes, and why one is not.

wagonyard takes exactly what croniter takes in the standard five fields (minute, hour, day of
month, month, day of week; UTC), and refuses a sixth field of seconds (the controller looks at
most once per pass), a seventh of years, '@daily'-style nicknames, and days no month has
('0 0 31 2 *' would never fire). Pure: croniter is imported only when an expression is checked.
"""

from __future__ import annotations

FIELDS = (
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day of month", "1-31"),
    ("month", "1-12 or jan-dec"),
    ("day of week", "0-7 or sun-sat, 0 and 7 being Sunday"),
)
EXAMPLE = "for example '0 2 * * *': every day at 02:00 UTC"
"""The hint of every refused expression."""

_FIVE = "the 5 fields minute, hour, day of month, month, day of week"


def cron_problem(expression: str) -> str | None:
    """What is wrong with ``expression`` as a schedule, or None if wagonyard takes it."""
    from croniter import croniter  # 50 ms to import: only for catalogs with schedules

    fields = expression.split()
    if expression.strip().startswith("@"):
        return f"'{expression}' is a nickname; write {_FIVE}"
    if len(fields) in (6, 7):
        extra = "seconds" if len(fields) == 6 else "seconds and years"
        return (
            f"'{expression}' has {len(fields)} fields: {extra} are not taken (the controller "
            f"looks at most once per pass); write {_FIVE}"
        )
    if len(fields) != 5:
        return f"'{expression}' has {len(fields)} fields; write {_FIVE}"
    if croniter.is_valid(expression, strict=True):
        return None
    for i, (name, allowed) in enumerate(FIELDS):
        alone = " ".join(field if j == i else "*" for j, field in enumerate(fields))
        if not croniter.is_valid(alone):
            return (
                f"'{expression}' is not a valid cron expression: its {name} '{fields[i]}' is "
                f"out of range or malformed (allowed: {allowed}, with ',', '-', '/' and '*')"
            )
    if croniter.is_valid(expression):
        return f"'{expression}' never fires: no month it names has that day"
    return f"'{expression}' is not a valid cron expression"
