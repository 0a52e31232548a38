"""Why a file could not be used, in Dutch: the CLI names the file and the reason, never ``None`` or a repr.

`os_error_reason` turns an `OSError` into a short Dutch reason (the operating system's own text is English
and sometimes missing); `read_input` reads a file a command was given, or raises `ConfigError` with
"bestand PAD: REDEN".
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from gateway.errors import ConfigError

__all__ = ["file_error", "os_error_reason", "read_input", "tls_error_reason"]

_REASONS = {
    errno.ENOENT: "bestaat niet",
    errno.EACCES: "geen leesrechten (controleer de rechten van het bestand)",
    errno.EPERM: "geen toestemming om het te openen",
    errno.EISDIR: "dit is een map, geen bestand",
    errno.ENOTDIR: "een deel van het pad is geen map",
    errno.ENAMETOOLONG: "de bestandsnaam is te lang",
    errno.ELOOP: "het pad bevat een kring van symbolische koppelingen",
    errno.EMFILE: "te veel open bestanden; probeer het opnieuw",
    errno.ENFILE: "te veel open bestanden; probeer het opnieuw",
    errno.EIO: "leesfout van de schijf",
    errno.ENOSPC: "de schijf is vol",
    errno.EROFS: "het bestandssysteem is alleen-lezen",
    errno.ENXIO: "het apparaat bestaat niet",
    errno.ECONNREFUSED: "de verbinding werd geweigerd (draait de server, en klopt de poort?)",
    errno.ETIMEDOUT: "geen antwoord binnen de wachttijd",
    errno.EHOSTUNREACH: "de server is onbereikbaar",
    errno.ENETUNREACH: "het netwerk is onbereikbaar",
    errno.ECONNRESET: "de server verbrak de verbinding",
}


def os_error_reason(exc: OSError) -> str:
    """A Dutch reason for ``exc``; for an error number not listed, its symbolic name (e.g. ``EBUSY``)."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    if exc.errno is not None:
        return f"het besturingssysteem weigert ({errno.errorcode.get(exc.errno, exc.errno)})"
    if isinstance(exc, FileNotFoundError):
        return _REASONS[errno.ENOENT]
    if isinstance(exc, PermissionError):
        return _REASONS[errno.EACCES]
    if isinstance(exc, IsADirectoryError):
        return _REASONS[errno.EISDIR]
    return "kan niet worden gelezen"


_TLS_REASONS = {
    "KEY_VALUES_MISMATCH": "de sleutel hoort niet bij het certificaat",
    "NO_START_LINE": "geen PEM-bestand (verwacht '-----BEGIN ...')",
    "PEM_LIB": "geen bruikbaar PEM-certificaat of -sleutel",
    "BAD_DECRYPT": "de sleutel is versleuteld of beschadigd",
    "CA_MD_TOO_WEAK": "het certificaat is ondertekend met een te zwak algoritme",
    "EE_KEY_TOO_SMALL": "de sleutel is te kort",
}


def tls_error_reason(exc: OSError) -> str:
    """A Dutch reason why a certificate, key or CA file could not be loaded (`ssl.SSLError` or `OSError`)."""
    import ssl

    if isinstance(exc, ssl.SSLError):
        return _TLS_REASONS.get(str(exc.reason or ""), "geen bruikbaar certificaat, sleutel of CA-bestand (PEM)")
    return os_error_reason(exc)


def file_error(path: str | os.PathLike[str], exc: OSError) -> ConfigError:
    """``bestand PAD: REDEN`` — the file the error is about (the one the OS named, else ``path``)."""
    named = exc.filename if isinstance(exc.filename, str) and exc.filename else os.fspath(path)
    return ConfigError(f"bestand {named}: {os_error_reason(exc)}.")


def read_input(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of a file a command was given (at most ``limit`` + 1, so the caller can say "too big")."""
    try:
        with Path(path).open("rb") as fh:
            return fh.read() if limit is None else fh.read(limit + 1)
    except OSError as exc:
        raise file_error(path, exc) from None
