"""What the dossier reader is configured with (`DossierLimits`), what it may be given besides bytes, a file or a
path (`ParsedDossier`), and what it returns (`DossierReport`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from gateway.inspection import InspectionLimits
from gateway.pipeline.contracts import BijlageDraft, PupilIdentity
from verification.findings import Finding

__all__ = ["MB", "DossierLimits", "DossierReport", "ParsedDossier"]

MB = 1024 * 1024


@dataclass(frozen=True)
class DossierLimits:
    """The knobs of the dossier reader. Every limit is checked before the work it protects is done."""

    max_dossier_bytes: int = 200 * MB  # the whole XML, checked before/while reading
    max_attachment_bytes: int = 10 * MB  # one document after unzipping (handbook: 10 MB per bijlage)
    max_attachments: int = 50  # documents per dossier
    max_zip_ratio: float = 100.0  # uncompressed / compressed size of a ZIP entry ...
    zip_ratio_from_bytes: int = 1 * MB  # ... judged only for entries larger than this
    max_zip_overhead_bytes: int = 1 * MB  # a decoded ZIP may exceed max_attachment_bytes by this much
    max_text_bytes: int = 1 * MB  # any text node other than bestandsinhoud
    max_depth: int = 64  # element nesting
    max_elements: int = 100_000  # elements per dossier
    max_schema_findings: int = 20  # XSD errors reported per dossier
    spool_bytes: int = 1 * MB  # a decoded ZIP or document stays in memory up to this size, then on disk
    chunk_bytes: int = 256 * 1024  # read size for the XML and for unzipping
    fast_path_bytes: int = 2 * MB  # dossiers up to this size are parsed whole in C (gateway.dossier.small)

    @functools.cached_property
    def inspection(self) -> InspectionLimits:
        """The attachment inspector's limits (gateway.inspection), from these (made once: asked per bijlage)."""
        return InspectionLimits(
            max_bytes=self.max_attachment_bytes,
            max_ratio=self.max_zip_ratio,
            ratio_from_bytes=self.zip_ratio_from_bytes,
            chunk_bytes=self.chunk_bytes,
            spool_bytes=self.spool_bytes,
        )

    @property
    def max_zip_bytes(self) -> int:
        return self.max_attachment_bytes + self.max_zip_overhead_bytes


@dataclass(frozen=True)
class ParsedDossier:
    """A dossier its caller has parsed already, handed over instead of its bytes so that it is not serialised
    and parsed again (the OSO-SWV client parses a documentResponse whole; docs/performance.md, "Issue 18,
    seventh round"). The caller promises what the reader's own parse would give: ``root`` is the root element
    of a document of its own (nothing above it), parsed without DTD, entities or network and with comments
    and processing instructions dropped. ``size`` is at least the dossier's size in bytes (the answer it came
    in will do): the limits that lean on the size are then only asked more, never less. The reader may change
    the tree (a BSN is blanked in it), so it is the reader's from then on."""

    root: Any  # lxml.etree._Element
    size: int


@dataclass
class DossierReport:
    valid: bool  # XSD-valid and no blocking dossier-level finding (attachment findings do not count)
    findings: list[Finding] = field(default_factory=list)  # dossier-level, then per-attachment
    pupil: PupilIdentity | None = None  # never a BSN
    brin: str | None = None
    vestigingscode: str | None = None
    attachments: list[BijlageDraft] = field(default_factory=list)
    overstap: str | None = None  # POSWV / VOSWV / ...

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def brin6(self) -> str | None:
        return f"{self.brin}{self.vestigingscode}" if self.brin and self.vestigingscode else None

    def to_dict(self) -> dict[str, Any]:
        pupil = self.pupil
        return {
            "valid": self.valid,
            "errors": [f.to_dict() for f in self.findings],
            "pupil": None
            if pupil is None
            else {
                "leerlingid": pupil.leerlingid,
                "voornaam": pupil.voornaam,
                "tussenvoegsel": pupil.tussenvoegsel,
                "achternaam": pupil.achternaam,
                "geboortedatum": pupil.geboortedatum.isoformat() if pupil.geboortedatum else None,
            },
            "brin": self.brin,
            "vestigingscode": self.vestigingscode,
            "overstap": self.overstap,
            "attachments": [
                {
                    "bestandsnaam": a.bestandsnaam,
                    "role": a.role,
                    "omschrijving": a.omschrijving,
                    "size": a.size,
                    "sha256": a.sha256,
                    "detected_type": a.detected_type,
                    "blob_key": a.blob_key,
                    "findings": [f.to_dict() for f in a.findings],
                }
                for a in self.attachments
            ],
        }
