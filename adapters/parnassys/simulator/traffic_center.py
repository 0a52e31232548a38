"""Traffic Center SIMULATOR (test double; never used by `gateway serve`).

meldenNotificatie → koppelsleutel; overdracht → sessieId; sessiecontrole (SessieGeldig or SessieAfwijkend /
SessieReedsAfgemeld); afmelding; meldenTerugkoppeling → the LAS endpoint. Records every call it saw, in order
(`seen`), and every afmelding that closed a session (`closed`). One current session per koppelsleutel: a new
overdracht replaces an open one, which is then ``SessieAfwijkend`` (ASSUMPTION, docs/assumptions/oso.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from aiohttp import web

from adapters.parnassys.simulator.soapapp import SimFault, soap_handler

__all__ = ["TrafficCenterSimulator"]

TC_OIN = "00000001821002193000"  # a test OIN for the simulated Traffic Center


@dataclass
class _Sessie:
    koppelsleutel: str
    afgemeld: str | None = None  # resultaat of the afmelding
    vervangen: bool = False  # a later overdracht for the same koppelsleutel replaced it (docs/assumptions/oso.md)


@dataclass
class TrafficCenterSimulator:
    las_url: str = "http://127.0.0.1:0/oso/las"  # answered by meldenTerugkoppeling
    oin: str = TC_OIN
    notificaties: dict[str, dict[str, str]] = field(default_factory=dict)
    sessies: dict[str, _Sessie] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # every call, in order
    # every afmelding that closed a session, in order: (koppelsleutel, sessieId, resultaat)
    closed: list[tuple[str, str, str]] = field(default_factory=list)

    def afmeldingen(self) -> dict[str, str]:
        """koppelsleutel → resultaat of every closed session (the last one per koppelsleutel; use `closed`
        or `conversation` to see every one)."""
        return {s.koppelsleutel: s.afgemeld for s in self.sessies.values() if s.afgemeld}

    def conversation(self, koppelsleutel: str) -> list[tuple[str, str | None]]:
        """Every overdracht and afmelding call about ``koppelsleutel``, in order: ("overdracht", None) and
        ("afmelding", resultaat) — also the ones the TC refused."""
        return [
            (op, f.get("resultaat") if op == "afmelding" else None)
            for op, f in self.seen
            if op in ("overdracht", "afmelding") and f.get("koppelsleutel") == koppelsleutel
        ]

    def sessions_of(self, koppelsleutel: str) -> list[str]:
        """The sessions handed out for ``koppelsleutel``, in order."""
        return [sid for sid, s in self.sessies.items() if s.koppelsleutel == koppelsleutel]

    def open_sessions(self) -> list[str]:
        """Sessions neither closed by an afmelding nor replaced by a later overdracht."""
        return [sid for sid, s in self.sessies.items() if not s.afgemeld and not s.vervangen]

    def replaced(self) -> list[str]:
        """Sessions a later overdracht for the same koppelsleutel replaced before they were closed."""
        return [sid for sid, s in self.sessies.items() if s.vervangen]

    def expire(self, sessie_id: str) -> None:
        """The TC closes a session itself (e.g. it timed out): a later afmelding gets SessieReedsAfgemeld."""
        self.sessies[sessie_id].afgemeld = "Verlopen"

    async def melden_notificatie(self, f: dict[str, str], _: web.Request | None) -> dict[str, str]:
        self.seen.append(("meldenNotificatie", f))
        koppelsleutel = str(uuid.uuid4())
        self.notificaties[koppelsleutel] = f
        return {"koppelsleutel": koppelsleutel}

    async def overdracht(self, f: dict[str, str], _: web.Request | None) -> dict[str, str]:
        self.seen.append(("overdracht", f))
        if f.get("koppelsleutel") not in self.notificaties:
            raise SimFault("OnbekendeKoppelsleutel", "Deze koppelsleutel is niet bij het Traffic Center gemeld.")
        if f.get("overdrachtsoort") != "SWVaanvraag":
            raise SimFault("OnbekendeOverdrachtsoort", "Alleen SWVaanvraag wordt ondersteund.")
        for earlier in self.sessies.values():  # one current session per koppelsleutel: a new one replaces it
            if earlier.koppelsleutel == f["koppelsleutel"] and not earlier.afgemeld:
                earlier.vervangen = True
        sessie = str(uuid.uuid4())
        self.sessies[sessie] = _Sessie(f["koppelsleutel"])
        return {"sessieId": sessie}

    async def sessiecontrole(self, f: dict[str, str], _: web.Request | None) -> dict[str, str]:
        self.seen.append(("sessiecontrole", f))
        s = self.sessies.get(f.get("sessieId", ""))
        if s is None or s.koppelsleutel != f.get("koppelsleutel"):
            raise SimFault("SessieAfwijkend", "De sessie hoort niet bij deze koppelsleutel.")
        if s.vervangen:
            raise SimFault("SessieAfwijkend", "Er is een nieuwere sessie voor deze koppelsleutel.")
        if s.afgemeld:
            raise SimFault("SessieReedsAfgemeld", "De sessie is al afgemeld.")
        return {"resultaat": "SessieGeldig"}

    async def afmelding(self, f: dict[str, str], _: web.Request | None) -> dict[str, str]:
        self.seen.append(("afmelding", f))
        s = self.sessies.get(f.get("sessieId", ""))
        if s is None:
            raise SimFault("SessieAfwijkend", "Onbekende sessie.")
        if s.vervangen:
            raise SimFault("SessieAfwijkend", "Er is een nieuwere sessie voor deze koppelsleutel.")
        if s.afgemeld:
            raise SimFault("SessieReedsAfgemeld", "De sessie is al afgemeld.")
        s.afgemeld = f.get("resultaat") or "?"
        self.closed.append((s.koppelsleutel, f.get("sessieId", ""), s.afgemeld))
        return {"resultaat": "AfmeldingOntvangen"}

    async def melden_terugkoppeling(self, f: dict[str, str], _: web.Request) -> dict[str, str]:
        self.seen.append(("meldenTerugkoppeling", f))
        if f.get("koppelsleutel") not in self.notificaties:
            raise SimFault("OnbekendeKoppelsleutel", "Onbekende koppelsleutel.")
        return {"endpoint": self.las_url}

    def app(self, path: str = "/oso/tc") -> web.Application:
        app = web.Application()
        handler = soap_handler(
            self.oin,
            {
                "meldenNotificatie": self.melden_notificatie,
                "overdracht": self.overdracht,
                "sessiecontrole": self.sessiecontrole,
                "afmelding": self.afmelding,
                "meldenTerugkoppeling": self.melden_terugkoppeling,
            },
        )
        app.router.add_post(path, handler)
        return app
