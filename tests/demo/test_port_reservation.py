"""`gateway demo --port 0`: the gateway's port is held from the moment it is chosen until the gateway binds it,
so none of the simulators that start in between can be handed it (CI once saw "de poort is al in gebruik")."""

from __future__ import annotations

import errno
import socket

import pytest

from gateway.demo.runner import PortReservation


def _bind(port: int) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_a_held_port_cannot_be_bound_by_anyone_else() -> None:
    held = PortReservation()
    try:
        with pytest.raises(OSError) as refused:
            _bind(held.port)
        assert refused.value.errno == errno.EADDRINUSE
        for _ in range(200):  # what a simulator does: ask for any free port
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                assert s.getsockname()[1] != held.port
    finally:
        held.release()
    _bind(held.port)  # let go: the gateway can take it


def test_releasing_twice_is_harmless() -> None:
    held = PortReservation()
    held.release()
    held.release()
