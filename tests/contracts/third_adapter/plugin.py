"""A third source system, as a test double: proves that one new folder of this shape plus one line in the
composition root (`gateway.app.PLUGINS`) plug a source system into the gateway end to end, with no change to
the core. Never installed by `gateway serve`; only tests add it to `PLUGINS`.

It has what a real adapter has: an intake endpoint that puts a typed hand-off in the inbox, an exchange
handler, a status hook (a status change is told to the source, through the outbox), the deliverer of that
message, and the Dutch label of whom it waits for when its source is down.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from aiohttp import web

from gateway.components import Components
from gateway.errors import Transient
from gateway.pipeline.contracts import (
    ClaimedExchange,
    HulpvraagDraft,
    NewExchange,
    OutboundMessage,
    PupilIdentity,
    StatusChange,
    StepRecorder,
)
from tests.contracts.third_adapter.handoff import KIND, SOURCE, DerdeVerzoek

PATH = "/derde/v1/verzoeken"
STATUS_MESSAGE = "derde_status"
WAITING_FOR = {"derde_bron": "de derde bron (testdubbel)"}


@dataclass
class DerdeSource:
    """The double's outside system: what it was told."""

    told: list[dict[str, object]] = field(default_factory=list)

    def close(self) -> None:
        pass


class DerdeHandler:
    async def handle(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
        verzoek = exchange.handoff(DerdeVerzoek)
        if verzoek.wacht_eerst and exchange.attempts == 1:
            raise Transient("de derde bron antwoordt niet", waiting_for="derde_bron")
        await steps.step("derde_verzoek", f"Verzoek {verzoek.verzoek_id} omgezet naar een hulpvraag.")
        return HulpvraagDraft(
            swv_code=exchange.swv_code,
            brin6=verzoek.brin6,
            pupil=PupilIdentity(verzoek.leerlingid, verzoek.voornaam, verzoek.achternaam, verzoek.geboortedatum),
            aanvraagtype=None,  # the secretariaat classifies
            omschrijving=None,
            source_system=SOURCE,
            external_keys={"derde_verzoek_id": verzoek.verzoek_id},
        )


class DerdeStatusHook:
    def after_status_change(self, change: StatusChange) -> list[OutboundMessage]:
        ids = [c.read(DerdeVerzoek).verzoek_id for c in change.contributions if c.kind == KIND]
        return [
            OutboundMessage(
                kind=STATUS_MESSAGE,
                key=f"{STATUS_MESSAGE}:{change.change_id}:{verzoek_id}",
                payload={"verzoek_id": verzoek_id, "status": change.status, "toelichting": change.toelichting},
            )
            for verzoek_id in ids
        ]


class DerdeDeliverer:
    def __init__(self, source: DerdeSource) -> None:
        self.source = source

    async def deliver(self, message: OutboundMessage) -> None:
        self.source.told.append(dict(message.payload))


def install(app: web.Application, c: Components) -> None:
    async def intake(request: web.Request) -> web.Response:
        body = await request.json()
        verzoek = DerdeVerzoek(
            verzoek_id=str(body["verzoek_id"]),
            brin6=str(body["brin6"]),
            leerlingid=str(body["leerlingid"]),
            voornaam=str(body["voornaam"]),
            achternaam=str(body["achternaam"]),
            geboortedatum=dt.date.fromisoformat(str(body["geboortedatum"])),
            wacht_eerst=bool(body.get("wacht_eerst", False)),
        )
        result = await c.inbox.put(
            NewExchange(
                key=f"derde:{verzoek.verzoek_id}",
                source=SOURCE,
                kind=KIND,
                swv_code=c.settings.swv_code,
                payload=await request.read(),
                brin6=verzoek.brin6,
                handoff=verzoek,
            )
        )
        return web.json_response({"uitwisseling": result.exchange_id}, status=202)

    source = DerdeSource()
    c.extras["derde_bron"] = source
    app.router.add_post(PATH, intake)
    c.machine_routes.append("/derde/*")  # a machine route: the pages' session checks do not apply
    c.handlers[KIND] = DerdeHandler()
    c.status_hooks[SOURCE] = DerdeStatusHook()
    c.deliverers[STATUS_MESSAGE] = DerdeDeliverer(source)
    c.waiting_for_labels.update(WAITING_FOR)
