"""The network is off in the tests, except loopback: every outside system is a simulator a test starts itself.

`refuse_outside_network` (an autouse fixture in tests/conftest.py) replaces `socket.getaddrinfo` and
`socket.socket.connect`/`connect_ex` for the duration of each test, so that a name lookup or a connection to
anything but 127.0.0.0/8, ::1, ``localhost`` or a unix socket fails at once with `NetworkOffError` — an OSError,
as an unreachable host would be, so the code under test takes its ordinary failure path — instead of leaking to
the outside world or waiting for a time-out. Binding (a listener on 0.0.0.0 or ::) stays allowed. It covers this
process only: a test that starts a subprocess (the CLI, the container, pip) is not held by it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["NetworkOffError", "is_loopback_host", "refuse_outside_network"]

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkOffError(socket.gaierror):
    """A test reached for the network beyond loopback (a gaierror, so also an OSError)."""


def is_loopback_host(host: object) -> bool:
    """True for a loopback address or name, or the unspecified address (a listener on all interfaces)."""
    if host is None:
        return True  # getaddrinfo(None, port): the local wildcard/loopback
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%")[0].rstrip(".").lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost") or name == "":
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified  # 0.0.0.0 and :: reach this host only (Linux)


def _refused(what: str, target: object) -> NetworkOffError:
    return NetworkOffError(
        f"network is off in the tests: {what} {target!r} is not loopback "
        "(start a simulator on 127.0.0.1, see tests/support/network.py)"
    )


def _address_allowed(sock: socket.socket, address: Any) -> bool:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return True  # unix sockets (PostgreSQL's), socketpairs
    host = address[0] if isinstance(address, tuple) and address else address
    return is_loopback_host(host)


def refuse_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_getaddrinfo: Callable[..., Any] = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback_host(host):
            raise _refused("name lookup of", host)
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if not _address_allowed(self, address):
            raise _refused("connection to", address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _address_allowed(self, address):
            raise _refused("connection to", address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
