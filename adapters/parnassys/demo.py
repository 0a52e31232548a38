"""The ParnasSys part of `gateway demo`: a simulated OSO world (OSR with the demo seed, Traffic Center,
ParnasSys) on loopback, a throw-away PKI that switches the demo gateway to HTTPS with client
certificates, and a realistic batch of notificaties sent through the real endpoint — good requests,
a second exchange for the same request, and the mistakes schools make (missing mandate, wrong
routeringskenmerk, unknown vestiging, a BSN in the dossier, a TLV without OPP). Then a status change,
so the terugkoppeling reaches ParnasSys. Test doubles only; `gateway serve` never starts them.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from dataclasses import dataclass
from typing import Any

from adapters.parnassys.client import RemoteFault
from adapters.parnassys.dossier_factory import AttachmentSpec
from adapters.parnassys.simulator.las import PreparedDossier
from adapters.parnassys.simulator.world import DOEL_RK, GATEWAY_OIN, SimulatedWorld, long_kenmerk, start_world
from gateway.components import Components
from gateway.demo.runner import DemoContext, curl
from gateway.errors import Transient
from gateway.inbox.inbox import ACTIVE_STATES
from gateway.pipeline.ports.exchanges import count_exchanges
from gateway.pipeline.ports.outbox import count_waiting

__all__ = ["ParnassysDemo", "scenario"]


@dataclass(frozen=True)
class _Request:
    what: str
    brin: str
    kenmerk: str
    prepared: PreparedDossier
    behaviour: str | None = None


def _pupil(leerlingid: str, voornaam: str, achternaam: str, **more: Any) -> dict[str, Any]:
    return {"leerlingid": leerlingid, "voornaam": voornaam, "achternaam": achternaam, **more}


def _batch() -> list[_Request]:
    """The demo's notificaties: four that become hulpvragen, four whose sender may not send them, two with a
    problem in the dossier."""
    return [*_valid_requests(), *_sender_refusals(), *_content_refusals()]


def _valid_requests() -> list[_Request]:
    """Requests from senders with a mandate, for vestigingen in the registry: they become hulpvragen (Daan's
    second exchange joins his first)."""
    ondersteuning = "Ondersteuningsaanvraag schoolgaand kind"
    extra = [
        AttachmentSpec(role="opp", bestandsnaam="OPP.pdf", omschrijving="Ontwikkelingsperspectiefplan"),
        AttachmentSpec(role="overig", bestandsnaam="Verslag-MDO-maart.pdf", size=18_000, omschrijving="Verslag MDO"),
    ]
    return [
        _Request(
            "14SS00 ondersteuningsaanvraag (Daan)",
            "14SS",
            long_kenmerk("14SS", 500),
            PreparedDossier(aanvraagtype=ondersteuning, factory_options=_pupil("LL-1001", "Daan", "Verbeek")),
        ),
        _Request(
            "14SS01 aanvraag Kans!overleg (Fleur)",
            "14SS",
            long_kenmerk("14SS", 501),
            PreparedDossier(
                aanvraagtype="Aanvraag Kans!overleg",
                omschrijving="Fleur loopt vast in groep 6; graag een Kans!overleg.",
                factory_options=_pupil("LL-2001", "Fleur", "Maas", vestigingscode="01"),
            ),
        ),
        _Request(
            "14SS00 aanvraag TLV met OPP (Sem)",
            "14SS",
            "500",
            PreparedDossier(aanvraagtype="Aanvraag TLV", factory_options=_pupil("LL-1002", "Sem", "de Wit")),
        ),
        _Request(
            "14SS00 tweede uitwisseling voor Daan (extra bijlage, dezelfde hulpvraag)",
            "14SS",
            long_kenmerk("14SS", 500),
            PreparedDossier(
                aanvraagtype=ondersteuning, factory_options=_pupil("LL-1001", "Daan", "Verbeek", attachments=extra)
            ),
        ),
    ]


def _sender_refusals() -> list[_Request]:
    """Requests the sender checks refuse: no mandate, an expired one, the wrong kenmerk, an unknown vestiging."""
    return [
        _Request(
            "21KL00 zonder Kindkans-mandaat",
            "21KL",
            long_kenmerk("21KL", 500),
            PreparedDossier(factory_options=_pupil("LL-3001", "Noor", "Smits")),
        ),
        _Request(
            "30TV00 met verlopen Kindkans-mandaat",
            "30TV",
            long_kenmerk("30TV", 500),
            PreparedDossier(factory_options=_pupil("LL-4001", "Milan", "Peeters")),
        ),
        _Request(
            "14SS01 stuurt 500 in plaats van 501",
            "14SS",
            long_kenmerk("14SS", 500),
            PreparedDossier(factory_options=_pupil("LL-2002", "Lotte", "Hendriks", vestigingscode="01")),
        ),
        _Request(
            "onbekende vestiging 14SS02 (kenmerk 502)",
            "14SS",
            long_kenmerk("14SS", 502),
            PreparedDossier(factory_options=_pupil("LL-5001", "Ties", "Claassen")),
        ),
    ]


def _content_refusals() -> list[_Request]:
    """Requests whose dossier breaks a rule: a BSN in it, a TLV without an OPP."""
    return [
        _Request(
            "dossier met BSN (PaO.LL12)",
            "14SS",
            long_kenmerk("14SS", 500),
            PreparedDossier(factory_options=_pupil("LL-1003", "Julia", "Bos", mutation="bsn")),
        ),
        _Request(
            "aanvraag TLV zonder OPP",
            "14SS",
            long_kenmerk("14SS", 500),
            PreparedDossier(
                aanvraagtype="Aanvraag TLV",
                opp=False,
                factory_options=_pupil(
                    "LL-1004",
                    "Bram",
                    "van Dijk",
                    attachments=[AttachmentSpec(role="overig", bestandsnaam="Handelingsplan.pdf")],
                ),
            ),
        ),
    ]


class ParnassysDemo:
    name = "parnassys"

    def __init__(self) -> None:
        self.world: SimulatedWorld | None = None
        self.results: list[tuple[str, str]] = []

    async def start(self, ctx: DemoContext) -> None:
        self.world = await start_world(ctx.settings.data_dir / "oso-demo")
        ctx.settings = ctx.settings.replace(**self.world.tls_settings())
        # the CA that signed the gateway's server certificate, where a newcomer finds it: <data-dir>/ca.pem
        ctx.ca_file = ctx.settings.data_dir / "ca.pem"
        shutil.copyfile(self.world.files["ca"], ctx.ca_file)
        for name, values in self.world.sections().items():
            ctx.sections.setdefault(name, {}).update(values)

    async def seed(self, ctx: DemoContext, c: Components) -> None:
        return None  # the demo registry (14SS, 21KL, 30TV with their routeringskenmerken) is seeded by the runner

    async def send(self, ctx: DemoContext, c: Components) -> int:
        assert self.world is not None
        url = f"{ctx.gateway_url}/oso/swv"
        for request in _batch():
            try:
                await self.world.las.send_notificatie(
                    url,
                    gateway_oin=GATEWAY_OIN,
                    brin=request.brin,
                    routeringskenmerk=request.kenmerk,
                    doel_routeringskenmerk=DOEL_RK,
                    prepared=request.prepared,
                    behaviour=request.behaviour,
                )
                answer, code = "NotificatieOntvangen", None
            except RemoteFault as exc:
                answer, code = f"fout {exc.code}", exc.code
            except Transient as exc:
                answer, code = f"niet bereikbaar ({exc})", "NIET_BEREIKBAAR"
            self.results.append((request.what, answer))
            ctx.requests.append({"source": "parnassys", "request": request.what, "status": None, "code": code})
        terugkoppeling = await self._status_change(c)
        self._notes(ctx, terugkoppeling)
        return len(self.results)

    async def _status_change(self, c: Components) -> str | None:
        """Once the batch has settled: the secretariaat moves the first hulpvraag on; ParnasSys hears it."""
        from gateway.pipeline.ports.requests import first_request_from, status_catalogue_of
        from gateway.pipeline.status import change_status

        if not await _settled(c, 60.0):
            return None
        hv = await first_request_from(c.db, "parnassys")
        if hv is None:
            return None
        catalogue = await status_catalogue_of(c.db, hv.swv_id)
        steps = [name for name in catalogue.allowed_from(hv.status) if name != "Afgesloten"]
        if not steps:
            return None
        onward = [name for name in steps if "aanvulling" not in name and "afgewezen" not in name]
        status = (onward or steps)[-1]  # a step forward in the catalogue's flow (e.g. "…>in behandeling")
        await change_status(
            c.db,
            hv.hulpvraag_id,
            status,
            actor="demo:secretariaat",
            hooks=c.status_hooks,
            toelichting="De coördinator pakt dit op.",
        )
        await _outbox_empty(c, 15.0)
        return f"hulpvraag {hv.hulpvraag_id} → {status}"

    def _notes(self, ctx: DemoContext, terugkoppeling: str | None) -> None:
        assert self.world is not None
        w = self.world
        ctx.notes.append("OSO-SWV met ParnasSys (notificaties via HTTPS met clientcertificaat, 2W-be-S):")
        for what, answer in self.results:
            ctx.notes.append(f"  {answer:<38} {what}")
        afgemeld = w.tc.afmeldingen()
        ctx.simulators["parnassys"] = {
            "traffic_center_sessies": len(w.tc.sessies),
            "afmeldingen": dict(Counter(afgemeld.values())),
            "document_requests": w.las.document_requests,
            "terugkoppelingen": len(w.las.terugkoppelingen),
            "statuswijziging": terugkoppeling,
        }
        ctx.notes.append(
            f"  Traffic Center: {len(w.tc.sessies)} sessies, {len(afgemeld)} afgemeld "
            f"({', '.join(sorted(set(afgemeld.values()))) or '-'}); ParnasSys: {w.las.document_requests} "
            f"documentRequests, {len(w.las.terugkoppelingen)} terugkoppeling(en)"
            + (f" na statuswijziging {terugkoppeling}" if terugkoppeling else "")
            + "."
        )
        ctx.try_lines.append("OSO-SWV (de WSDL van het eindpunt waar ParnasSys notificaties aflevert):")
        ctx.try_lines.append("  " + curl(ctx, f"{ctx.gateway_url}/oso/swv?wsdl"))

    async def stop(self) -> None:
        if self.world is not None:
            await self.world.stop()
            self.world = None


async def _settled(c: Components, within: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        busy = await count_exchanges(c.db, "parnassys", ACTIVE_STATES)
        if busy == 0:
            return True
        await asyncio.sleep(0.1)
    return False


async def _outbox_empty(c: Components, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        waiting = await count_waiting(c.db)
        if waiting == 0:
            return
        await asyncio.sleep(0.1)


def scenario() -> ParnassysDemo:
    return ParnassysDemo()
