"""Password hashing with scrypt (a slow, memory-hard KDF from the standard library).

The stored form is ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>``, so the cost can be raised later and
old hashes still verify. Hashing takes tens of milliseconds on purpose: callers run it in a thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["MIN_PASSWORD_LENGTH", "hash_password", "password_problem", "verify_password"]

MIN_PASSWORD_LENGTH = 12
_LOG2_N, _R, _P = 15, 8, 1
_DKLEN = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, log2_n: int = _LOG2_N) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=2**log2_n, r=_R, p=_P, dklen=_DKLEN, maxmem=128 * 1024 * 1024
    )
    return f"scrypt${log2_n}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches; False for a wrong password or an unreadable/missing hash."""
    if not stored:
        # spend about the same time as a real check, so a missing account is not visible in the timing
        hash_password(password)
        return False
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=2 ** int(log2_n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=128 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def password_problem(password: str, repeated: str | None = None) -> str | None:
    """A Dutch reason why this new password is not acceptable, or None."""
    if repeated is not None and password != repeated:
        return "De twee wachtwoorden zijn niet gelijk."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Kies een wachtwoord van minstens {MIN_PASSWORD_LENGTH} tekens."
    if len(password) > 200:
        return "Kies een wachtwoord van hoogstens 200 tekens."
    return None
