"""What the ESIS intake hands to the worker: one frozen, versioned dataclass per exchange kind
(``esis_aanvraag``, ``esis_wijziging``).

The core stores `stored()` in the inbox row with `version` and gives it back unread. `from_stored` reads every
version, and rows written before hand-offs were typed (``version=None``: the old ``meta`` dict, the same keys
as version 1) too. The stored keys are the ones the rest of the ESIS adapter, the blob sweep and retention
read (``documenten[].blob_key``: `HANDOFF_BLOBS`, the core's key for blobs a hand-off points at), so nothing
about a stored row changes but its version number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from adapters.esis.wijziging import Withdrawal
from gateway.store.blob_sweep import HANDOFF_BLOBS
from verification.findings import Finding

__all__ = [
    "KIND_AANVRAAG",
    "KIND_WIJZIGING",
    "AanvraagFields",
    "EsisAanvraagHandoff",
    "EsisWijzigingHandoff",
    "HandoffDocument",
    "Withdrawal",
]

KIND_AANVRAAG = "esis_aanvraag"
KIND_WIJZIGING = "esis_wijziging"


def _known(version: int | None, kind: str) -> None:
    if version not in (None, 1):
        raise ValueError(f"{kind} hand-off version {version} is newer than this gateway")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class HandoffDocument:
    """A document the intake streamed into the blob store (already inspected)."""

    bestandsnaam: str
    soort: str  # "opp" | "toelichting_onderwijsbehoeften" | "overig"
    omschrijving: str | None
    blob_key: str
    sha256: str
    size: int
    detected_type: str | None
    findings: tuple[Finding, ...] = ()

    def stored(self) -> dict[str, Any]:
        return {
            "bestandsnaam": self.bestandsnaam,
            "soort": self.soort,
            "omschrijving": self.omschrijving,
            "blob_key": self.blob_key,
            "sha256": self.sha256,
            "size": self.size,
            "detected_type": self.detected_type,
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_stored(cls, d: Mapping[str, Any]) -> Self:
        return cls(
            bestandsnaam=str(d["bestandsnaam"]),
            soort=str(d.get("soort") or "overig"),
            omschrijving=_text(d.get("omschrijving")),
            blob_key=str(d["blob_key"]),
            sha256=str(d["sha256"]),
            size=int(d["size"]),
            detected_type=_text(d.get("detected_type")),
            findings=tuple(Finding.from_dict(f) for f in d.get("findings") or ()),
        )


@dataclass(frozen=True, slots=True)
class AanvraagFields:
    """The request as ESIS sent it (adapters.esis.wire.EsisAanvraag, in its stored form)."""

    aanvraag_id: str
    swv_code: str
    brin6: str
    korte_omschrijving: str  # the aanvraagtype, in the SWV's exact wording
    omschrijving: str | None
    opp: bool
    leerling: Mapping[str, str | None]  # leerlingid, voornaam, tussenvoegsel, achternaam, geboortedatum (ISO)
    contact: Mapping[str, str]
    vestiging: Mapping[str, Any]

    def stored(self) -> dict[str, Any]:
        return {
            "aanvraag_id": self.aanvraag_id,
            "swv_code": self.swv_code,
            "brin6": self.brin6,
            "vestiging": dict(self.vestiging),
            "contact": dict(self.contact),
            "korte_omschrijving": self.korte_omschrijving,
            "omschrijving": self.omschrijving,
            "opp": self.opp,
            "leerling": dict(self.leerling),
        }

    @classmethod
    def from_stored(cls, a: Mapping[str, Any]) -> Self:
        return cls(
            aanvraag_id=str(a["aanvraag_id"]),
            swv_code=str(a.get("swv_code") or ""),
            brin6=str(a.get("brin6") or ""),
            korte_omschrijving=str(a["korte_omschrijving"]),
            omschrijving=_text(a.get("omschrijving")),
            opp=bool(a.get("opp", True)),
            leerling={str(k): _text(v) for k, v in (a.get("leerling") or {}).items()},
            contact={str(k): str(v) for k, v in (a.get("contact") or {}).items()},
            vestiging=dict(a.get("vestiging") or {}),
        )


@dataclass(frozen=True, slots=True)
class EsisAanvraagHandoff:
    version: ClassVar[int] = 1

    request_key: str  # the adapter's same-request key: "<BRIN6>/<omgeving>:<aanvraag_id>"
    omgeving: str
    code_id: int | None
    vingerafdruk: str | None
    inhoud_sha256: str  # of the JSON part: the same id with other content is refused (409)
    idempotency_key: str | None
    aanvraag: AanvraagFields
    documenten: tuple[HandoffDocument, ...] = ()

    def stored(self) -> dict[str, Any]:
        return {
            "esis_request_key": self.request_key,
            "omgeving": self.omgeving,
            "code_id": self.code_id,
            "vingerafdruk": self.vingerafdruk,
            "inhoud_sha256": self.inhoud_sha256,
            "idempotency_key": self.idempotency_key,
            "aanvraag": self.aanvraag.stored(),
            HANDOFF_BLOBS: [d.stored() for d in self.documenten],
        }

    @classmethod
    def from_stored(cls, data: Mapping[str, Any], version: int | None) -> Self:
        _known(version, KIND_AANVRAAG)
        return cls(
            request_key=str(data["esis_request_key"]),
            omgeving=str(data.get("omgeving") or ""),
            code_id=None if data.get("code_id") is None else int(data["code_id"]),
            vingerafdruk=_text(data.get("vingerafdruk")),
            inhoud_sha256=str(data.get("inhoud_sha256") or ""),
            idempotency_key=_text(data.get("idempotency_key")),
            aanvraag=AanvraagFields.from_stored(data["aanvraag"]),
            documenten=tuple(HandoffDocument.from_stored(d) for d in data.get(HANDOFF_BLOBS) or ()),
        )


@dataclass(frozen=True, slots=True)
class EsisWijzigingHandoff:
    version: ClassVar[int] = 1

    request_key: str
    aanvraag_id: str
    omgeving: str
    code_id: int | None
    vingerafdruk: str | None
    inhoud_sha256: str
    idempotency_key: str | None
    omschrijving: str | None  # None: unchanged
    verwijder: tuple[Withdrawal, ...] = ()
    documenten: tuple[HandoffDocument, ...] = ()

    def stored(self) -> dict[str, Any]:
        return {
            "esis_request_key": self.request_key,
            "aanvraag_id": self.aanvraag_id,
            "omgeving": self.omgeving,
            "code_id": self.code_id,
            "vingerafdruk": self.vingerafdruk,
            "inhoud_sha256": self.inhoud_sha256,
            "idempotency_key": self.idempotency_key,
            "omschrijving": self.omschrijving,
            "verwijder": [{"sha256": w.sha256, "bestandsnaam": w.bestandsnaam} for w in self.verwijder],
            HANDOFF_BLOBS: [d.stored() for d in self.documenten],
        }

    @classmethod
    def from_stored(cls, data: Mapping[str, Any], version: int | None) -> Self:
        _known(version, KIND_WIJZIGING)
        return cls(
            request_key=str(data["esis_request_key"]),
            aanvraag_id=str(data.get("aanvraag_id") or ""),
            omgeving=str(data.get("omgeving") or ""),
            code_id=None if data.get("code_id") is None else int(data["code_id"]),
            vingerafdruk=_text(data.get("vingerafdruk")),
            inhoud_sha256=str(data.get("inhoud_sha256") or ""),
            idempotency_key=_text(data.get("idempotency_key")),
            omschrijving=_text(data.get("omschrijving")),
            verwijder=tuple(
                Withdrawal(_text(w.get("sha256")), _text(w.get("bestandsnaam"))) for w in data.get("verwijder") or ()
            ),
            documenten=tuple(HandoffDocument.from_stored(d) for d in data.get(HANDOFF_BLOBS) or ()),
        )
