"""The gateway's TLS contexts: TLS 1.2 or newer, and RFC 5280-strict certificate checks on every interpreter.

Python 3.13 turns on OpenSSL's strict chain checks (``ssl.VERIFY_X509_STRICT``) in
``ssl.create_default_context``; 3.11 and 3.12 do not. The gateway turns them on itself, so a certificate that
3.13 would refuse (no authority key identifier, a CA without critical basic constraints or key usage, …) is
refused on every interpreter alike, and an operator finds out at the first test, not at an upgrade.
PKIoverheid and PKI-onderwijs certificates are RFC 5280-conformant; so is every certificate the test PKI
makes (``adapters/parnassys/simulator/test_pki.py``). Strict checking is never switched off here.
"""

from __future__ import annotations

import ssl

__all__ = ["STRICT_FLAGS", "client_context", "server_context"]

STRICT_FLAGS = ssl.VERIFY_X509_STRICT


def _strict(ctx: ssl.SSLContext) -> ssl.SSLContext:
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_flags |= STRICT_FLAGS
    return ctx


def client_context(*, cafile: str | None = None, cadata: str | None = None) -> ssl.SSLContext:
    """For calls out (the OSR, the Traffic Center, the LAS, SMTP): the server's certificate must chain to
    ``cafile``/``cadata`` (else the system's trust store) and name the host."""
    return _strict(ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile, cadata=cadata))


def server_context() -> ssl.SSLContext:
    """For the gateway's own HTTPS: client certificates, when asked for, are checked just as strictly."""
    return _strict(ssl.create_default_context(ssl.Purpose.CLIENT_AUTH))
