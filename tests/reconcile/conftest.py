"""Fixtures of the controller's tests: a real SMTP server on localhost, and the real Slurm."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.grid.conftest import slurm_conf

__all__ = ["slurm_conf"]


class Inbox:
    """Every message the server received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox()
    inbox.port = _free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    server.start()
    try:
        yield inbox
    finally:
        server.stop()
