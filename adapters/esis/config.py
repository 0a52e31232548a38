"""Knobs of the ESIS koppeling (``[esis]`` section); `EsisLimits.from_section` reads them (called by the plug-in)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from gateway.inspection import InspectionLimits

__all__ = ["EsisLimits"]


@dataclass(frozen=True)
class EsisLimits:
    max_document_bytes: int = 10 * 1024 * 1024  # handbook: at most 10 MB per bijlage
    max_documents: int = 20  # per request (create or update)
    max_json_bytes: int = 256 * 1024  # the aanvraag/wijziging JSON part
    chunk_bytes: int = 64 * 1024  # read size while streaming a document
    allowed_types: tuple[str, ...] = ("pdf", "doc", "docx")  # handbook: ESIS sends PDF or Word
    # a DOCX is a ZIP: judged by its central directory and by the bytes it actually inflates to, streaming
    # (gateway.inspection, the same inspector as the dossier's)
    max_zip_ratio: float = 100.0  # an entry may unpack to at most this many times its compressed size ...
    zip_ratio_from_bytes: int = 1024 * 1024  # ... judged only for entries that unpack to more than this
    max_zip_total_bytes: int = 100 * 1024 * 1024  # all entries together, actually inflated
    # slow senders (slow-loris): aiohttp has no body-read timeout, so the ESIS readers enforce one
    read_idle_seconds: float = 30.0  # every read of the body must bring data within this ...
    min_bytes_per_second: int = 8 * 1024  # ... and after the grace period the body must average this rate
    min_rate_grace_seconds: float = 10.0
    # brute-force protection, per (claimed vestiging, client IP), in memory per process (docs/assumptions/esis.md)
    window_seconds: float = 900.0  # failures older than this are forgotten
    slow_after: int = 3  # from the 4th bad code on, every answer is delayed ...
    delay_step_seconds: float = 0.5  # ... by this much per extra failure ...
    max_delay_seconds: float = 5.0  # ... up to this
    lock_after: int = 10  # this many bad codes within the window locks the client out ...
    lock_seconds: float = 900.0  # ... for this long
    # the counts above are per (vestiging the code claims, client IP); this one per client IP over all
    # vestigingen together (a spray of guesses from one address; ESIS's shared addresses stay far below it)
    ip_lock_after: int = 100
    max_registrations_per_window: int = 20  # code registrations per client IP per window
    code_cache_seconds: float = 300.0  # how long a verified code is remembered (HMAC, in memory)

    @property
    def inspection(self) -> InspectionLimits:
        return InspectionLimits(
            max_bytes=self.max_document_bytes,
            max_inflated_bytes=self.max_zip_total_bytes,
            max_ratio=self.max_zip_ratio,
            ratio_from_bytes=self.zip_ratio_from_bytes,
            chunk_bytes=max(self.chunk_bytes, 64 * 1024),
        )

    @property
    def max_request_bytes(self) -> int:
        return self.max_documents * self.max_document_bytes + self.max_json_bytes + 1024 * 1024

    @classmethod
    def from_section(cls, section: Mapping[str, Any], *, max_document_bytes: int | None = None) -> EsisLimits:
        kw: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in section and f.name != "allowed_types":
                kw[f.name] = type(getattr(cls(), f.name))(section[f.name])
        if max_document_bytes is not None and "max_document_bytes" not in kw:
            kw["max_document_bytes"] = max_document_bytes
        return cls(**kw)
