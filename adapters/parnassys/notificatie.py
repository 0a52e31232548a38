"""The OSO ``notificatieRequest``: the domain object, its format checks and the reply.

Pure: takes the parsed operation element, returns a `Notificatie` and findings. Field rules follow
DOMAIN.md §2.1/§2.4/§2.5: BRIN4 ``[0-9]{2}[A-Z]{2}``; a routeringskenmerk either as ParnasSys shows it
(``500``) or in the OSO'21 20-character form (``0000000700014SS00500``: OIN stem + BRIN4 + 5-digit suffix);
koppelsleutel a GUID; ``doel`` = ``SWV``; ``bronBrin`` = ``doelBrin``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

from lxml import etree

from adapters.parnassys.refusals import refusal
from adapters.parnassys.soap import NS
from verification.findings import Finding
from verification.identifiers import OngeldigeIdentificatie
from verification.routering import parse_routeringskenmerk, read_routeringskenmerk, routeringskenmerk_syntax_ok

__all__ = [
    "FIELDS",
    "Notificatie",
    "check_notificatie",
    "normalise_routeringskenmerk",
    "notificatie_response",
    "read_notificatie",
    "vestigingscode_for",
]

FIELDS = ("bronBrin", "bronRouteringsKenmerk", "doelBrin", "doelRouteringsKenmerk", "koppelsleutel", "doel")
_BRIN4 = re.compile(r"[0-9]{2}[A-Z]{2}")
_MAX_FIELD = 64
_BRON_RK = "bronRouteringsKenmerk"


@dataclass(frozen=True, slots=True)
class Notificatie:
    bronBrin: str  # the standard's field names
    bronRouteringsKenmerk: str
    doelBrin: str
    doelRouteringsKenmerk: str
    koppelsleutel: str
    doel: str

    @property
    def key(self) -> str:
        key = self.key_for(self.koppelsleutel)
        assert key is not None
        return key

    @staticmethod
    def key_for(koppelsleutel: str) -> str | None:
        """The inbox key ``oso:<koppelsleutel>`` (canonical GUID form), or None for a malformed one."""
        try:
            return f"oso:{uuid.UUID(koppelsleutel)}"
        except ValueError:
            return None

    @staticmethod
    def partial(values: dict[str, str]) -> _Partial | None:
        """Enough of a (possibly refused) notificatie to derive its BRIN6 for the queue."""
        brin, rk = values.get("bronBrin"), values.get("bronRouteringsKenmerk")
        if not brin or not rk or not _BRIN4.fullmatch(brin):
            return None
        return _Partial(brin, rk)

    @property
    def brin6(self) -> str | None:
        code = vestigingscode_for(self.bronRouteringsKenmerk)
        return f"{self.bronBrin}{code}" if code is not None else None

    def to_meta(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> Notificatie:
        return cls(**{name: str(meta[name]) for name in FIELDS})


@dataclass(frozen=True, slots=True)
class _Partial:
    bronBrin: str
    bronRouteringsKenmerk: str

    @property
    def brin6(self) -> str | None:
        code = vestigingscode_for(self.bronRouteringsKenmerk)
        return f"{self.bronBrin}{code}" if code is not None else None


def read_notificatie(operation: etree._Element) -> tuple[dict[str, str], list[Finding]]:
    """The six fields as strings (missing ones reported); child elements in any namespace but ours ignored."""
    values: dict[str, str] = {}
    findings: list[Finding] = []
    for name in FIELDS:
        els = operation.findall(f"{{{NS}}}{name}")
        if len(els) != 1 or not (els[0].text or "").strip():
            findings.append(refusal("NOTIFICATIE_VELD_ONTBREEKT", f"notificatieRequest/{name}", field=name))
            continue
        values[name] = (els[0].text or "").strip()
    return values, findings


def normalise_routeringskenmerk(value: str) -> tuple[str | None, int | None]:
    """(BRIN4 or None, suffix number) of a routeringskenmerk in either form; (None, None) if unreadable.
    The reading is `verification.routering.read_routeringskenmerk`, the only one."""
    read = read_routeringskenmerk(value)
    return read if read is not None else (None, None)


def vestigingscode_for(routeringskenmerk: str) -> str | None:
    """ASSUMPTION (DOMAIN §2.4): 500 → hoofdvestiging ``00``, 501 → ``01``, …, 599 → ``99``."""
    _, number = normalise_routeringskenmerk(routeringskenmerk)
    if number is None or not 500 <= number <= 599:
        return None
    return f"{number - 500:02d}"


def check_notificatie(
    values: dict[str, str], *, own_doel_routeringskenmerken: Collection[str]
) -> tuple[Notificatie | None, list[Finding]]:
    """Format and content rules; returns the Notificatie only when every field is usable."""
    findings: list[Finding] = []

    def bad(name: str, detail: str) -> None:
        findings.append(refusal("NOTIFICATIE_VELD_ONGELDIG", f"notificatieRequest/{name}", field=name, detail=detail))

    for name, value in values.items():
        if len(value) > _MAX_FIELD:
            bad(name, f"langer dan {_MAX_FIELD} tekens")
    for name in ("bronBrin", "doelBrin"):
        if name in values and not _BRIN4.fullmatch(values[name]):
            bad(name, "verwacht een BRIN-code van vier posities, bijvoorbeeld 14SS")
    if "koppelsleutel" in values:
        try:
            uuid.UUID(values["koppelsleutel"])
        except ValueError:
            bad("koppelsleutel", "verwacht een GUID zoals het Traffic Center die uitgeeft")
    if "bronRouteringsKenmerk" in values:
        try:
            kenmerk = parse_routeringskenmerk(
                values["bronRouteringsKenmerk"], "notificatieRequest/bronRouteringsKenmerk"
            )
        except OngeldigeIdentificatie as exc:
            if exc.finding.code == "ROUTERING_BUITEN_500_REEKS":  # the message of verification/routering.py
                findings.append(exc.finding)
            else:
                bad("bronRouteringsKenmerk", "verwacht bijvoorbeeld 500 of 0000000700014SS00500")
        else:
            if kenmerk.brin4 is not None and kenmerk.brin4 != values.get("bronBrin"):
                bad("bronRouteringsKenmerk", f"het kenmerk hoort bij BRIN {kenmerk.brin4}, niet bij bronBrin")
    if "doelRouteringsKenmerk" in values:
        rk = values["doelRouteringsKenmerk"]
        if not routeringskenmerk_syntax_ok(rk):
            bad("doelRouteringsKenmerk", "verwacht een nummer zoals 500 of 20 posities")
        elif rk not in own_doel_routeringskenmerken:
            findings.append(
                refusal("NOTIFICATIE_DOEL_ROUTERING_ONBEKEND", "notificatieRequest/doelRouteringsKenmerk", value=rk)
            )
    if "doel" in values and values["doel"] != "SWV":
        findings.append(refusal("NOTIFICATIE_DOEL_ONJUIST", "notificatieRequest/doel", doel=values["doel"][:20]))
    if (
        "bronBrin" in values
        and "doelBrin" in values
        and values["bronBrin"] != values["doelBrin"]
        and _BRIN4.fullmatch(values["bronBrin"])
    ):
        findings.append(
            refusal(
                "NOTIFICATIE_BRIN_AFWIJKEND",
                "notificatieRequest/doelBrin",
                bron=values["bronBrin"],
                doel=values["doelBrin"][:8],
            )
        )
    if findings or len(values) != len(FIELDS):
        return None, findings
    return Notificatie(**values), findings


def notificatie_response() -> etree._Element:
    el = etree.Element(f"{{{NS}}}notificatieResponse", nsmap={"oso": NS})
    etree.SubElement(el, f"{{{NS}}}resultaat").text = "NotificatieOntvangen"
    return el
