"""ESIS verificatiecodes: the format rules (handbook §8.1) and the hashing helpers.

A school invents its own verificatiecode and enters it in ESIS (*Beheer > Koppelingen > Samenwerkingsverband
> Activeren*). The handbook's rule: the code starts with the 6-position BRIN code of the vestiging and is 20 to
50 characters long. The code travels in an HTTP header, so we also require printable ASCII without spaces
(ASSUMPTION, docs/assumptions/esis.md).

The code is a secret. It is stored only as a slow, salted scrypt hash; it is compared in constant time; the
only thing ever shown is a fingerprint derived from the hash, which tells two codes apart but says nothing
about the code. Pure: no I/O; the registered BRIN6 set comes in as a plain collection.

Hash parameters (``SCRYPT_DEFAULT``): N=2^15, r=8, p=1, 32-byte key, 16-byte random salt. That costs 32 MiB
and about 0.1–0.15 s of one core per hash on the reference machine (docs/performance.md). The parameters are
stored in every hash (``scrypt$N$r$p$salt$hash``), so raising them later only affects new codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Collection
from dataclasses import dataclass

from verification.findings import Finding, fout

__all__ = [
    "MAX_LENGTH",
    "MIN_LENGTH",
    "SCRYPT_DEFAULT",
    "ScryptParams",
    "brin6_prefix",
    "check_format",
    "fingerprint",
    "hash_code",
    "verify_code",
]

MIN_LENGTH = 20
MAX_LENGTH = 50
BRIN6 = re.compile(r"[0-9]{2}[A-Z]{2}[0-9]{2}")
_LOCATION = "verificatiecode"


def brin6_prefix(code: str) -> str:
    """The BRIN6 a code claims to belong to: its first six characters, upper-cased (lookup key)."""
    return code[:6].upper()


def _printable_problem(code: str) -> str | None:
    for i, ch in enumerate(code, start=1):
        if ch == " ":
            return f"bevat een spatie op positie {i}; spaties zijn niet toegestaan"
        if not ("!" <= ch <= "~"):
            return (
                f"bevat op positie {i} een teken dat niet is toegestaan; gebruik alleen letters (zonder accenten), "
                "cijfers en leestekens, zonder spaties"
            )
    return None


def check_format(
    code: str,
    *,
    registered_brin6: Collection[str],
    vestiging: str | None = None,
    location: str = _LOCATION,
) -> list[Finding]:
    """Findings for a verificatiecode a school wants to register.

    ``registered_brin6`` are the vestigingen registered with the SWV; ``vestiging`` (optional) is the BRIN6 the
    school says the code is for — then the code must start with exactly that one. Messages never repeat the
    code itself.
    """
    findings: list[Finding] = []
    n = len(code)
    prefix = brin6_prefix(code)
    registered = {b.upper() for b in registered_brin6}
    if vestiging is not None and prefix != vestiging.upper():
        findings.append(
            fout(
                "VERIFICATIECODE_BRIN_ONJUIST",
                "De verificatiecode begint niet met de BRIN-code van de vestiging (6 posities): laat de code "
                f"beginnen met {vestiging.upper()}.",
                location,
            )
        )
    elif not BRIN6.fullmatch(prefix) or prefix not in registered:
        extra = (
            f" Vestiging {prefix} is niet aangemeld bij het samenwerkingsverband; neem contact op met het secretariaat."
            if BRIN6.fullmatch(prefix)
            else " Een BRIN-code van een vestiging is bijvoorbeeld 14SS01."
        )
        findings.append(
            fout(
                "VERIFICATIECODE_BRIN_ONJUIST",
                f"De verificatiecode begint niet met de BRIN-code van de vestiging (6 posities).{extra}",
                location,
            )
        )
    if n < MIN_LENGTH:
        findings.append(
            fout(
                "VERIFICATIECODE_TE_KORT",
                f"De verificatiecode is te kort: {n} tekens, minimaal {MIN_LENGTH}.",
                location,
            )
        )
    elif n > MAX_LENGTH:
        findings.append(
            fout(
                "VERIFICATIECODE_TE_LANG",
                f"De verificatiecode is te lang: {n} tekens, maximaal {MAX_LENGTH}.",
                location,
            )
        )
    problem = _printable_problem(code)
    if problem:
        findings.append(fout("VERIFICATIECODE_TEKEN_ONGELDIG", f"De verificatiecode {problem}.", location))
    return findings


# ------------------------------------------------------------------------------------------------ hashing


@dataclass(frozen=True, slots=True)
class ScryptParams:
    n: int = 2**15  # CPU/memory cost: 128 * r * n bytes = 32 MiB
    r: int = 8
    p: int = 1
    dklen: int = 32
    salt_bytes: int = 16

    @property
    def maxmem(self) -> int:
        return 128 * self.r * self.n * self.p + 16 * 1024 * 1024


SCRYPT_DEFAULT = ScryptParams()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(code: str, salt: bytes, params: ScryptParams) -> bytes:
    return hashlib.scrypt(
        code.encode("utf-8", "surrogateescape"),
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        dklen=params.dklen,
        maxmem=params.maxmem,
    )


def hash_code(code: str, *, params: ScryptParams = SCRYPT_DEFAULT, salt: bytes | None = None) -> str:
    """A self-describing scrypt hash: ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (base64url)."""
    salt = salt if salt is not None else os.urandom(params.salt_bytes)
    digest = _derive(code, salt, params)
    return f"scrypt${params.n}${params.r}${params.p}${_b64(salt)}${_b64(digest)}"


def _parse(encoded: str) -> tuple[ScryptParams, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return None
    if n < 2 or n & (n - 1) or not (1 <= r <= 32) or not (1 <= p <= 16) or n > 2**20:
        return None  # refuse parameters that could exhaust memory
    return ScryptParams(n=n, r=r, p=p, dklen=len(digest), salt_bytes=len(salt)), salt, digest


def verify_code(code: str, encoded: str) -> bool:
    """Does ``code`` match the stored hash? Constant-time comparison of the derived keys."""
    parsed = _parse(encoded)
    if parsed is None:
        return False
    params, salt, digest = parsed
    return hmac.compare_digest(_derive(code, salt, params), digest)


def fingerprint(brin6: str, encoded: str) -> str:
    """What the pages and the CLI show instead of the code, e.g. ``27ZX00-…-3f9a-c2d1``.

    Derived from the salted slow hash (never from the code directly), so showing or storing it adds nothing
    an attacker could brute-force faster than the hash itself.
    """
    digest = hashlib.sha256(encoded.encode("ascii")).hexdigest()
    return f"{brin6.upper()}-…-{digest[:4]}-{digest[4:8]}"
