"""Mask the values of the caller's secrets in anything analysts' code could have printed.

As GitHub Actions does: every value of an environment variable whose name looks like a secret
(token, key, secret, password, credential...) is replaced by ``***`` wherever it appears, plain
or in the encodings a leak usually takes (base64, hex, URL quoting), in log excerpts, reasons,
Markdown, JSON reports and records. Pure: the environment is given, nothing is read here.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

MASK = "***"
SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY|"
    r"(^|_)KEY($|_)|AUTH|COOKIE|SESSION",
    re.IGNORECASE,
)
MIN_LENGTH = 4  # shorter values would mask ordinary words and numbers


def looks_secret(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret."""
    return bool(SECRET_NAME.search(name))


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """The values of the secret-looking variables, long enough to mask."""
    return sorted(
        {v for k, v in environ.items() if looks_secret(k) and len(v.strip()) >= MIN_LENGTH}
    )


def _forms(value: str) -> Iterable[str]:
    """The value as it may appear in output: plain, URL-quoted, hex, and base64 at each of the
    three alignments it can have inside a longer encoded text (edges left out: they vary)."""
    raw = value.encode()
    yield value
    yield quote(value, safe="")
    yield raw.hex()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        # characters that depend on bytes before or after the value are left out
        start = (0, 2, 3)[shift]
        end = len(encoded) - (0, 3, 2)[(len(raw) + shift) % 3]
        core = encoded[start:end]
        if len(core) >= 8:
            yield core


class Masker:
    """Replaces every form of every secret value by ``***``."""

    def __init__(self, values: Iterable[str]) -> None:
        forms = {f for v in values for f in _forms(v) if len(f) >= MIN_LENGTH}
        ordered = sorted(forms, key=len, reverse=True)  # the longest first
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    @staticmethod
    def of(environ: Mapping[str, str]) -> Masker:
        return Masker(secret_values(environ))

    def __bool__(self) -> bool:
        return self._pattern is not None

    def mask(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)
