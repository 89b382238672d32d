"""Text from a report made safe to post on GitHub: mentions that notify nobody. Pure."""

from __future__ import annotations

import re

_MENTION = re.compile(r"(?<![\w`/])@(?=[A-Za-z0-9])")


def quiet(text: str) -> str:
    """``text`` with every @mention broken by a zero-width space: words from a report (a
    wagon's exception, its log) must not notify people or teams on GitHub."""
    return _MENTION.sub("@\u200b", text)
