"""The tests run with the network off except loopback (tests/support/network.py, autouse in tests/conftest.py)."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest

from tests.support.network import NetworkOffError, is_loopback_host


def test_a_name_lookup_outside_is_refused_with_a_clear_error() -> None:
    with pytest.raises(NetworkOffError, match="network is off in the tests"):
        socket.getaddrinfo("osr.example.nl", 443)


@pytest.mark.parametrize("address", [("192.0.2.1", 443), ("2001:db8::1", 443, 0, 0)])
def test_a_connection_outside_is_refused_before_it_leaves(address: tuple) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkOffError, match="not loopback"):
            sock.connect(address)
        with pytest.raises(NetworkOffError):
            sock.connect_ex(address)


def test_loopback_and_unix_sockets_still_work() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5) as client:
            peer, _ = server.accept()
            with peer:
                client.sendall(b"ok")
                assert peer.recv(2) == b"ok"
    assert socket.getaddrinfo("localhost", 80)
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        left.sendall(b"x")
        assert right.recv(1) == b"x"


async def test_an_http_client_reaching_outside_fails_at_once_as_unreachable() -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorError):
            await asyncio.wait_for(http.get("https://las.example/"), timeout=5)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("0.0.0.0", True),
        (None, True),
        ("10.0.0.1", False),
        ("203.0.113.7", False),
        ("localhost.evil.example", False),
        ("las.example", False),
    ],
)
def test_what_counts_as_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
