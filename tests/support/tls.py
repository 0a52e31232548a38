"""A TLS handshake between two ssl contexts in memory (no sockets): who trusts whose certificate."""

from __future__ import annotations

import ssl

__all__ = ["handshake"]


def _step(side: ssl.SSLObject) -> bool:
    try:
        side.do_handshake()
    except ssl.SSLWantReadError:
        return False
    return True


def handshake(server: ssl.SSLContext, client: ssl.SSLContext, hostname: str = "127.0.0.1") -> ssl.SSLObject:
    """Run the handshake to its end and return the server's side (``getpeercert()`` is the client's
    certificate, if it sent one). Raises ``ssl.SSLCertVerificationError`` when either side refuses the
    other's chain, exactly as over a socket."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_side = client.wrap_bio(to_client, to_server, server_hostname=hostname)
    server_side = server.wrap_bio(to_server, to_client, server_side=True)
    client_done = server_done = False
    for _ in range(20):
        client_done = client_done or _step(client_side)
        server_done = server_done or _step(server_side)
        if client_done and server_done:
            return server_side
    raise AssertionError("the TLS handshake did not finish")
