"""The TOTP second factor (RFC 6238, 30-second steps, 6 digits — what Google Authenticator shows).

A code is accepted for the current step and one step either side (clock drift), and only once: the
accepted step is remembered and a code for that step or an earlier one is refused (no replay).
"""

from __future__ import annotations

import time

import pyotp
import segno

__all__ = ["ISSUER", "current_code", "new_secret", "provisioning_uri", "qr_svg", "verify_code"]

ISSUER = "SWV intake gateway"
_STEP = 30
_DRIFT = 1


def new_secret() -> str:
    return pyotp.random_base32()


def current_code(secret: str, *, now: float | None = None) -> tuple[str, int]:
    """The code an authenticator app shows now, and how many seconds it has left."""
    at = time.time() if now is None else now
    return pyotp.TOTP(secret).at(int(at)), _STEP - int(at) % _STEP


def provisioning_uri(secret: str, organisatie: str, gebruikersnaam: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=f"{organisatie}/{gebruikersnaam}", issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (no external image, works without JavaScript)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff", border=2))


def verify_code(secret: str, code: str, *, last_step: int | None = None, now: float | None = None) -> int | None:
    """The accepted time step, or None when the code is wrong, malformed or was used before."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // _STEP)
    for step in range(current - _DRIFT, current + _DRIFT + 1):
        if last_step is not None and step <= last_step:
            continue
        try:
            if totp.verify(code, for_time=step * _STEP, valid_window=0):
                return step
        except (ValueError, TypeError):  # not a base32 secret (a tampered enrolment form)
            return None
    return None
