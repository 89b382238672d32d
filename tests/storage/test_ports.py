"""The ports the test and demo servers (XRootD, SMTP) take: free, and below the kernel's range
for outgoing connections, so that no client's source port takes one between the pick and the
server's bind (an XRootD server of a test once failed that way: 'address already in use')."""

from __future__ import annotations

import socket

from controller.demostorage import _ephemeral_low, free_port


def test_a_free_port_is_free_and_never_one_a_client_connection_may_be_given() -> None:
    low = _ephemeral_low()
    assert low > 10_000
    for _ in range(50):
        port = free_port()
        assert 10_000 <= port < low
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # nothing holds it
    with socket.socket() as client:  # what the kernel gives a client is in its own range
        client.bind(("127.0.0.1", 0))
        assert client.getsockname()[1] >= low
