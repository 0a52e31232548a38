"""Plays ParnasSys's sending side under faults: registers each notificatie at the Traffic Center simulator,
prepares a dossier of a *different pupil* with uniquely named bijlagen, sends the notificatie to a gateway
and keeps sending it (same koppelsleutel, new MessageID — as ParnasSys would) until it is acknowledged
with ``NotificatieOntvangen``. It records what was acknowledged and what each exchange's bijlagen should
hash to, so the checks can say "every acknowledged exchange became exactly one hulpvraag, bijlagen intact".
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from adapters.parnassys.dossier_factory import AttachmentSpec
from adapters.parnassys.simulator.las import PreparedDossier, _request
from adapters.parnassys.simulator.world import DOEL_RK, GATEWAY_OIN, SimulatedWorld
from adapters.parnassys.soap import NS

__all__ = ["NotificatieSender", "expected_sha256"]

KENMERK = "0000000700014SS00500"  # the demo school 14SS, vestiging 00 (seeded registry and OSR seed)


def _attachments(i: int) -> tuple[AttachmentSpec, ...]:
    return (
        AttachmentSpec(role="opp", bestandsnaam=f"OPP-{i:05d}.pdf", omschrijving="Ontwikkelingsperspectiefplan"),
        AttachmentSpec(
            role="toelichting_onderwijsbehoeften",
            bestandsnaam=f"Toelichting-{i:05d}.pdf",
            omschrijving="Toelichting onderwijsbehoeften",
        ),
    )


# what a notificatie's dossier does at the gateway (the `scenario` of `NotificatieSender`)
OK, HELD, INVALID = "ok", "held", "invalid"
_FORBIDDEN = AttachmentSpec(role="overig", bestandsnaam="hulpmiddel.exe", kind="exe", size=2_000)


def expected_sha256(specs: Sequence[AttachmentSpec]) -> set[str]:
    """What the stored bijlagen must hash to: the documents inside the ZIPs, built as the dossier factory
    builds them (in this process, where the LAS simulator runs)."""
    return {hashlib.sha256(s.document()).hexdigest() for s in specs}


def _kind(exc: Exception) -> str:
    text = str(exc)
    if "Cannot connect" in text or "Connect call failed" in text:
        return "refused"  # the gateway was down: nothing was sent
    if "Disconnected" in text or "reset" in text.lower() or "closed" in text.lower():
        return "cut_mid_request"  # the gateway died while the notificatie was in flight
    return type(exc).__name__


@dataclass
class NotificatieSender:
    world: SimulatedWorld
    gateway_urls: Sequence[str]
    concurrency: int = 16
    resend_delay: float = 0.2
    brin: str = "14SS"
    kenmerk: str = KENMERK  # bronRouteringsKenmerk: which vestiging (and so which LAS endpoint)
    vestigingscode: str = "00"  # the dossier's vestiging, matching the kenmerk
    acknowledged: dict[str, int] = field(default_factory=dict)  # koppelsleutel → index
    expected: dict[str, set[str]] = field(default_factory=dict)  # koppelsleutel → sha256 of its bijlagen
    sends: Counter[str] = field(default_factory=Counter)  # koppelsleutel → notificatie calls made
    errors: Counter[str] = field(default_factory=Counter)  # error type → count
    # i → OK (processed), HELD (a forbidden bijlage: held for the secretariaat), INVALID (refused by the worker
    # after the acknowledgement: the dossier carries a BSN); None: every one OK
    scenario: Callable[[int], str] | None = None
    kind: dict[str, str] = field(default_factory=dict)  # koppelsleutel → its scenario
    _rr: itertools.count[int] = field(default_factory=itertools.count)
    _rng: random.Random = field(default_factory=lambda: random.Random(11))

    @property
    def resent(self) -> int:
        return sum(n - 1 for n in self.sends.values() if n > 1)

    async def register(self, i: int) -> str:
        """meldenNotificatie at the TC simulator (direct, not through the gateway's proxies)."""
        las = self.world.las
        tc = las.client.config
        values = self._values()
        resp = await las.client.call(
            tc.traffic_center_url,
            "meldenNotificatie",
            _request("meldenNotificatie", {**values, "doel": "SWV"}),
            system="traffic_center",
            to_oin=tc.traffic_center_oin,
        )
        koppelsleutel = resp.findtext(f"{{{NS}}}koppelsleutel") or ""
        specs = _attachments(i)
        kind = self.scenario(i) if self.scenario else OK
        self.kind[koppelsleutel] = kind
        las.prepared[koppelsleutel] = PreparedDossier(
            brin=self.brin,
            factory_options={
                "brin": self.brin,
                "vestigingscode": self.vestigingscode,
                "leerlingid": f"LL-REL-{i:05d}",
                "voornaam": f"Kind{i}",
                "attachments": (*specs, _FORBIDDEN) if kind == HELD else specs,
            },
        )
        if kind == INVALID:
            las.behaviours[koppelsleutel] = "invalid"
        self.expected[koppelsleutel] = expected_sha256(specs)  # a held one, once released, goes on without the .exe
        return koppelsleutel

    def _values(self) -> dict[str, str]:
        return {
            "bronBrin": self.brin,
            "bronRouteringsKenmerk": self.kenmerk,
            "doelBrin": self.brin,
            "doelRouteringsKenmerk": DOEL_RK,
        }

    async def deliver(self, koppelsleutel: str, i: int, *, give_up_after: float | None = None) -> None:
        """Send until acknowledged (each try to the next gateway URL)."""
        loop = asyncio.get_running_loop()
        deadline = None if give_up_after is None else loop.time() + give_up_after
        body = _request("notificatie", {**self._values(), "koppelsleutel": koppelsleutel, "doel": "SWV"})
        while True:
            url = self.gateway_urls[next(self._rr) % len(self.gateway_urls)]
            self.sends[koppelsleutel] += 1
            try:
                resp = await self.world.las.client.call(url, "notificatie", body, system="gateway", to_oin=GATEWAY_OIN)
            except Exception as exc:  # connection refused/reset while the gateway is down: send again
                self.errors[_kind(exc)] += 1
            else:
                if (resp.findtext(f"{{{NS}}}resultaat") or "").strip() == "NotificatieOntvangen":
                    self.acknowledged[koppelsleutel] = i
                    return
                self.errors["unexpected_answer"] += 1
            if deadline is not None and loop.time() > deadline:
                self.errors["gave_up"] += 1
                return
            await asyncio.sleep(self.resend_delay * (0.5 + self._rng.random()))

    async def run(self, n: int, *, start: int = 0, give_up_after: float | None = 120.0) -> None:
        """Register and deliver ``n`` notificaties with `concurrency` in flight."""
        queue = iter(range(start, start + n))

        async def worker() -> None:
            for i in queue:
                koppelsleutel = await self.register(i)
                await self.deliver(koppelsleutel, i, give_up_after=give_up_after)

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
