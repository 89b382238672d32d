"""Secrets are found by their variables' names and masked in every usual encoding."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from controller.sandbox import environment
from controller.secrets import Masker, looks_secret, secret_values

TOKEN = "ghp_wagonyardTestToken0123456789abcdefXYZ"


@pytest.mark.parametrize(
    "name",
    ["GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "api_key", "SSH_PRIVATE_KEY",
     "X_AUTH", "SMTP_PASSWD", "GOOGLE_CREDENTIALS", "KEY"],
)  # fmt: skip
def test_names_that_look_secret(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize("name", ["PATH", "HOME", "LANG", "KEYBOARD_LAYOUT", "MONKEY", "TZ"])
def test_names_that_do_not(name: str) -> None:
    assert not looks_secret(name)


def test_only_long_enough_values_of_secret_variables_are_masked() -> None:
    env = {"GITHUB_TOKEN": TOKEN, "PATH": "/usr/bin", "MY_KEY": "abc", "EMPTY_SECRET": ""}
    assert secret_values(env) == [TOKEN]


@pytest.mark.parametrize("before", ["", "u", "us", "user:", "Bearer "])
@pytest.mark.parametrize("after", ["", "!", "!?"])
def test_a_secret_is_masked_plain_quoted_hex_and_in_base64_at_any_alignment(
    before: str, after: str
) -> None:
    m = Masker([TOKEN + "/+="])
    secret = TOKEN + "/+="
    for text in (
        f"{before}{secret}{after}",
        quote(secret, safe=""),
        secret.encode().hex(),
        base64.b64encode(f"{before}{secret}{after}".encode()).decode(),
    ):
        masked = m.mask(f"line: {text} end")
        assert "***" in masked and TOKEN[5:25] not in masked, text


def test_the_sandbox_environment_passes_no_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = environment(tmp_path, {"PATH": "/bin", "GITHUB_TOKEN": TOKEN, "LANG": "C.UTF-8",
                                 "HOME": "/root", "AWS_SECRET_ACCESS_KEY": "x" * 20})  # fmt: skip
    assert TOKEN not in env.values() and "x" * 20 not in env.values()
    assert env["HOME"] == str(tmp_path / "home") and env["LANG"] == "C.UTF-8"
