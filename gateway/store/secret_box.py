"""Small secrets at rest (the TOTP secret of an account), sealed with the configured key ring.

The key ring is the one of ``[blobs] keys`` / ``key_id`` (docs/assumptions/secrets.md): one set of master
keys to keep, rotate and back up. A value is sealed as ``enc:v1:<key id>:<base64(salt | nonce | ciphertext)>``
with AES-256-GCM under a key derived per value (HKDF-SHA256 over the master key with a random salt and its
own ``info``, so a TOTP key can never be confused with a blob key); ``purpose`` is the associated data, so a
sealed value cannot be moved to another column.

The key ring travels with the `Database` (``db.secret_keyring``, set by `gateway.components.build_components`),
so every account function — the CLI's and the web pages' alike — seals and opens without a new argument.
Without a key ring values are kept as they are (a development set-up); `seal_plain_totp_secrets` seals
what was stored before encryption was switched on (``gateway db upgrade`` runs it).
"""

from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gateway.store.blob_crypto import BlobIntegrityError, Keyring

__all__ = ["SealedSecretError", "is_sealed", "keyring_of", "open_secret", "seal_secret"]

_PREFIX = "enc:v1:"
_INFO = b"gateway-secret-v1"


class SealedSecretError(BlobIntegrityError):
    """A sealed secret could not be opened: wrong or missing key, or tampered."""


def keyring_of(db: Any) -> Keyring | None:
    return getattr(db, "secret_keyring", None)


def is_sealed(value: str | None) -> bool:
    return bool(value) and str(value).startswith(_PREFIX)


def _aead(master: bytes, salt: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(master))


def seal_secret(keyring: Keyring | None, value: str, purpose: str) -> str:
    """``value`` sealed with the active key; as it is without a key ring."""
    if keyring is None:
        return value
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = _aead(keyring.master(keyring.active), salt).encrypt(nonce, value.encode(), purpose.encode())
    return f"{_PREFIX}{keyring.active}:{base64.b64encode(salt + nonce + sealed).decode('ascii')}"


def open_secret(keyring: Keyring | None, stored: str, purpose: str) -> str:
    """The plain value of ``stored`` (a value stored before sealing was switched on passes as it is)."""
    if not is_sealed(stored):
        return stored
    key_id, _, body = stored[len(_PREFIX) :].partition(":")
    if keyring is None:
        raise SealedSecretError("a sealed secret needs the key ring ([blobs] keys)")
    try:
        raw = base64.b64decode(body, validate=True)
        plain = _aead(keyring.master(key_id), raw[:16]).decrypt(raw[16:28], raw[28:], purpose.encode())
    except SealedSecretError:
        raise
    except Exception as exc:  # unknown key id, bad Base64, failed tag
        raise SealedSecretError(f"sealed secret could not be opened ({type(exc).__name__})") from None
    return plain.decode()
