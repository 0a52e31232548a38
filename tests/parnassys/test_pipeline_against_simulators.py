"""End to end over loopback HTTP(S): the ParnasSys simulator notifies the gateway, the handler opens a
session at the Traffic Center simulator, pulls the dossier, reads it into bijlagen, and closes the session
with the best result; terugkoppeling reaches the LAS once."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters.parnassys import handler as handler_module
from adapters.parnassys.client import LasClient, OsoSoapClient, TrafficCenterClient
from adapters.parnassys.config import ClientConfig, Credential, RetryPolicy
from adapters.parnassys.dossier_factory import AttachmentSpec
from adapters.parnassys.handler import AfmeldingDeliverer, OsoExchangeHandler, TerugkoppelingDeliverer
from adapters.parnassys.simulator.las import LasSimulator, PreparedDossier
from adapters.parnassys.simulator.traffic_center import TC_OIN, TrafficCenterSimulator
from adapters.parnassys.status_hook import Terugkoppelingen
from gateway.errors import Refusal, Transient
from gateway.pipeline.contracts import ClaimedExchange, Outcome, StatusChange, StoredHandoff
from gateway.store.blobs_local import LocalBlobStore
from tests.parnassys.conftest import GATEWAY_OIN, TOPICUS_OIN
from tests.support.official import POSWV_FULL, official
from tests.support.served import served

OFFICIAL_POSWV = POSWV_FULL
FAST = RetryPolicy(attempts=2, base=0.01, cap=0.02)


class Steps:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.with_outcome: list[str] = []  # the steps the handler asked to be written with the outcome

    async def step(
        self, name: str, message: str, *, waiting_for: str | None = None, with_outcome: bool = False
    ) -> None:
        self.names.append(name)
        if with_outcome:
            self.with_outcome.append(name)


class FixedLasEndpoint:
    def __init__(self, url: str) -> None:
        self.url = url

    async def las_endpoint(self, bron_routeringskenmerk: str, brin: str) -> str:
        return self.url


@pytest.fixture
async def world(pki, start_gateway, tmp_path: Path):
    servers = contextlib.AsyncExitStack()
    tc = TrafficCenterSimulator()
    tc_url = f"http://127.0.0.1:{await servers.enter_async_context(served(tc.app()))}/oso/tc"
    las_client = OsoSoapClient(
        ClientConfig(
            gateway_oin=TOPICUS_OIN,
            traffic_center_url=tc_url,
            traffic_center_oin=TC_OIN,
            trust_store_pem=pki.ca.cert_pem,
            credential=Credential(pki.topicus.cert, pki.topicus.key, *map(Path, pki.pair("topicus"))),
            retry=FAST,
        )
    )
    las = LasSimulator(client=las_client)
    las_url = f"http://127.0.0.1:{await servers.enter_async_context(served(las.app()))}/oso/las"
    tc.las_url = las_url
    gw = await start_gateway()
    gw_client = OsoSoapClient(
        ClientConfig(
            gateway_oin=GATEWAY_OIN,
            traffic_center_url=tc_url,
            traffic_center_oin=TC_OIN,
            trust_store_pem=pki.ca.cert_pem,
            credential=Credential(pki.gateway.cert, pki.gateway.key),
            retry=FAST,
        )
    )
    handler = OsoExchangeHandler(
        swv_code="PO3008",
        sender_checks=gw.checks,
        traffic_center=TrafficCenterClient(gw_client),
        las=LasClient(gw_client),
        las_endpoints=FixedLasEndpoint(las_url),
        blobs=LocalBlobStore(tmp_path / "blobs"),
    )
    yield tc, las, gw, handler, gw_client
    await las_client.close()
    await gw_client.close()
    await servers.aclose()


def _claim(gw, koppelsleutel: str) -> ClaimedExchange:
    new = gw.inbox.exchanges[f"oso:{koppelsleutel}"][1]
    return ClaimedExchange(
        id=1,
        key=new.key,
        source=new.source,
        kind=new.kind,
        swv_code=new.swv_code,
        brin6=new.brin6,
        payload=new.payload,
        meta=new.handoff.stored(),
        attempts=1,
        correlation_id="c1",
        received_at=dt.datetime.now(dt.UTC),
        handoff_version=new.handoff.version,
    )


async def _close(handler, tc, claimed, outcome) -> None:
    for message in handler.afterwards(claimed, outcome):
        await AfmeldingDeliverer(handler.tc, handler.sessions).deliver(message)


async def test_notificatie_becomes_a_hulpvraag_draft_and_the_session_is_closed(world):
    tc, las, gw, handler, _ = world
    koppelsleutel = await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN)
    claimed = _claim(gw, koppelsleutel)
    steps = Steps()
    draft = await handler.handle(claimed, steps)
    assert draft.aanvraagtype == "Ondersteuningsaanvraag schoolgaand kind" and draft.opp_expected is True
    assert draft.brin6.startswith("14SS") and draft.pupil is not None and draft.source_system == "parnassys"
    assert {b.role for b in draft.bijlagen} >= {"opp"} and all(b.blob_key for b in draft.bijlagen)
    assert draft.external_keys["koppelsleutel"] == koppelsleutel
    assert steps.names == ["sessie_geopend", "dossier_ontvangen"]
    assert steps.with_outcome == ["sessie_geopend", "dossier_ontvangen"]  # a small dossier: both go with the hulpvraag
    await _close(handler, tc, claimed, Outcome(state="verwerkt", hulpvraag_id=7, created=True))
    assert tc.afmeldingen() == {koppelsleutel: "OverdrachtGeslaagd"}


async def test_a_big_dossiers_step_is_written_on_its_own_before_it_is_read(world, monkeypatch):
    _, las, gw, handler, _ = world
    monkeypatch.setattr(handler_module, "_STEP_ALONE_FROM", 1000)  # "big" from 1 kB: the queue shows the step
    claimed = _claim(gw, await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN))
    steps = Steps()
    await handler.handle(claimed, steps)
    assert steps.names == ["sessie_geopend", "dossier_ontvangen"] and steps.with_outcome == ["sessie_geopend"]


def _reading_in(threads: list[int]) -> Any:
    """read_dossier, noting the thread it runs in."""
    from gateway.dossier import read_dossier

    def read(source: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return read_dossier(source, **kwargs)

    return read


@pytest.mark.parametrize("read_in_loop", [False, True])
async def test_a_dossier_in_memory_is_read_in_the_loops_thread_only_when_asked(world: Any, read_in_loop: bool) -> None:
    _, las, gw, handler, _ = world
    threads: list[int] = []
    handler._read_dossier, handler.read_in_loop = _reading_in(threads), read_in_loop
    draft = await handler.handle(_claim(gw, await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN)), Steps())
    assert draft.bijlagen and all(b.blob_key for b in draft.bijlagen)  # read in full either way
    assert (threads == [threading.get_ident()]) is read_in_loop


async def test_a_spooled_dossier_is_read_in_a_thread_also_when_the_loop_may_read(world: Any) -> None:
    _, las, gw, handler, gw_client = world
    gw_client.config = replace(gw_client.config, stream_response_bytes=1000)  # every answer is "big": spooled
    threads: list[int] = []
    handler._read_dossier, handler.read_in_loop = _reading_in(threads), True
    draft = await handler.handle(_claim(gw, await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN)), Steps())
    assert draft.bijlagen and len(threads) == 1 and threads[0] != threading.get_ident()


async def test_dossier_not_ready_is_refused_and_reported_in_the_afmelding(world):
    tc, las, gw, handler, _ = world
    koppelsleutel = await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN, behaviour="not_ready")
    claimed = _claim(gw, koppelsleutel)
    with pytest.raises(Refusal) as info:
        await handler.handle(claimed, Steps())
    assert [f.code for f in info.value.findings] == ["OSO_DOSSIER_GEWEIGERD", "DossierNietGereed"]
    await _close(handler, tc, claimed, Outcome(state="geweigerd", findings=info.value.findings))
    assert tc.afmeldingen() == {koppelsleutel: "DossierNietGereed"}


async def test_invalid_dossier_is_refused_with_the_dossier_findings(world):
    tc, las, gw, handler, _ = world
    koppelsleutel = await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN, behaviour="invalid")
    claimed = _claim(gw, koppelsleutel)
    with pytest.raises(Refusal) as info:
        await handler.handle(claimed, Steps())
    assert "PaO.LL12" in [f.code for f in info.value.findings]
    await _close(handler, tc, claimed, Outcome(state="geweigerd", findings=info.value.findings))
    assert tc.afmeldingen() == {koppelsleutel: "DossierOngeldig"}


async def test_dossier_of_another_school_is_refused(world):
    _, las, gw, handler, _ = world
    koppelsleutel = await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN, behaviour="wrong_dossier")
    with pytest.raises(Refusal) as info:
        await handler.handle(_claim(gw, koppelsleutel), Steps())
    assert info.value.first.code == "OSO_DOSSIER_ANDERE_SCHOOL"


@pytest.mark.parametrize("behaviour", ["503", "reset"])
async def test_unavailable_las_is_transient_and_the_session_is_reused(world, behaviour):
    tc, las, gw, handler, _ = world
    koppelsleutel = await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN, behaviour=behaviour)
    claimed = _claim(gw, koppelsleutel)
    with pytest.raises(Transient) as info:
        await handler.handle(claimed, Steps())
    assert info.value.waiting_for == "las"
    las.behaviours[koppelsleutel] = "ok"
    draft = await handler.handle(replace(claimed, attempts=2), Steps())
    assert draft.bijlagen
    assert [op for op, _ in tc.seen].count("overdracht") == 1


async def test_sender_refused_in_the_worker_is_told_over_a_session_opened_to_close_it(world):
    tc, las, gw, handler, _ = world
    koppelsleutel = await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN)
    gw.checks.mandates.clear()  # the mandate was withdrawn between intake and worker
    claimed = _claim(gw, koppelsleutel)
    with pytest.raises(Refusal) as info:
        await handler.handle(claimed, Steps())
    assert "overdracht" not in [op for op, _ in tc.seen]  # the refusal itself needs no session
    await _close(handler, tc, claimed, Outcome(state="geweigerd", findings=info.value.findings))
    assert [op for op, _ in tc.seen].count("overdracht") == 1
    assert tc.afmeldingen() == {koppelsleutel: "AanvraagGeweigerd"}


async def test_missing_aanvraag_block_leaves_the_aanvraagtype_to_the_secretariaat(world):
    _, las, gw, handler, _ = world
    koppelsleutel = await las.send_notificatie(
        gw.url, gateway_oin=GATEWAY_OIN, prepared=PreparedDossier(aanvraagtype=None)
    )
    draft = await handler.handle(_claim(gw, koppelsleutel), Steps())
    assert draft.aanvraagtype is None
    assert "OSO_AANVRAAG_ONTBREEKT" in [f.code for f in draft.findings]


async def test_terugkoppeling_reaches_the_las_once(world):
    tc, las, gw, handler, _ = world
    koppelsleutel = await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN)
    new = gw.inbox.exchanges[f"oso:{koppelsleutel}"][1]
    change = StatusChange(  # what the core hands the status hook after a status change
        hulpvraag_id=1,
        change_id=1,
        status="Kans!overleg>aanvraag",
        vorige_status="Nieuw>te classificeren",
        toelichting="In behandeling",
        brin6=new.brin6,
        source_system="parnassys",
        external_keys={},
        contributions=(StoredHandoff(new.kind, new.handoff.version, new.handoff.stored()),),
    )
    [message] = Terugkoppelingen().after_status_change(change)
    await TerugkoppelingDeliverer(handler.tc, handler.las).deliver(message)
    assert [t["status"] for t in las.terugkoppelingen] == ["Kans!overleg>aanvraag"]
    assert ("meldenTerugkoppeling", {"koppelsleutel": koppelsleutel}) in tc.seen


@official
async def test_official_poswv_example_goes_through_the_handler(world):
    _, las, gw, handler, _ = world
    las.brin = "00YY"  # the example's school
    gw.checks.vestigingen.add(("00YY", "500"))
    gw.checks.mandates.add("00YY")
    koppelsleutel = await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN, routeringskenmerk="500")
    las.prepared[koppelsleutel] = PreparedDossier(dossier=OFFICIAL_POSWV.read_bytes())
    draft = await handler.handle(_claim(gw, koppelsleutel), Steps())
    assert draft.pupil is not None and draft.pupil.leerlingid
    assert draft.brin6.startswith("00YY")
    assert draft.aanvraagtype == "Ondersteuningsaanvraag schoolgaand kind"


@pytest.mark.parametrize(
    ("prepared", "location"),
    [
        (PreparedDossier(omschrijving="Leerling met BSN 123 456 782 heeft hulp nodig."), "aanvraag/omschrijving"),
        (
            PreparedDossier(
                factory_options={
                    "attachments": [
                        AttachmentSpec(omschrijving="OPP, onderwijsnummer 1012.34.567"),
                        AttachmentSpec(role="toelichting_onderwijsbehoeften", bestandsnaam="Toelichting.pdf"),
                    ]
                }
            ),
            None,
        ),
    ],
)
async def test_a_bsn_typed_into_free_text_refuses_the_exchange_on_ll12_without_the_number(
    world, prepared: PreparedDossier, location: str | None
):
    _, las, gw, handler, _ = world
    koppelsleutel = await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN, prepared=prepared)
    with pytest.raises(Refusal) as info:
        await handler.handle(_claim(gw, koppelsleutel), Steps())
    codes = [(f.code, f.location) for f in info.value.findings]
    assert any(code == "PaO.LL12" and (location is None or loc == location) for code, loc in codes), codes
    text = repr(info.value.findings)
    assert "456" not in text and "34.567" not in text


BIG = [  # ≈ 12 MB of dossier: the client streams it into a sealed spool, the reader reads it from there
    AttachmentSpec(role="opp", bestandsnaam="OPP.pdf", size=4_500_000),
    AttachmentSpec(role="overig", bestandsnaam="Verslag.pdf", size=4_500_000),
    AttachmentSpec(role="overig", bestandsnaam="Kapot.pdf", broken="truncated"),
]


async def _big_exchange(world, monkeypatch, **options: object) -> tuple[ClaimedExchange, list[type]]:
    """A big dossier prepared at the LAS; the handler's reads are watched: what it hands ``read_dossier``."""
    from adapters.parnassys import client as client_module
    from gateway.dossier import read_dossier

    def never_whole(data: bytes, **_: object) -> None:
        raise AssertionError(f"a {len(data)} byte answer was parsed whole")

    _, las, gw, handler, _ = world
    prepared = PreparedDossier(factory_options={"brin": "14SS", "attachments": BIG, **options})
    claimed = _claim(gw, await las.send_notificatie(gw.url, gateway_oin=GATEWAY_OIN, prepared=prepared))
    real_parse = client_module.parse_xml
    monkeypatch.setattr(
        client_module,
        "parse_xml",
        lambda data, **kw: never_whole(data) if len(data) > 2**21 else real_parse(data, **kw),
    )
    handed: list[type] = []

    def watched(source: object, **kwargs: Any) -> Any:
        handed.append(type(source))
        return read_dossier(source, **kwargs)  # type: ignore[arg-type]  # the handler hands bytes or a BinaryIO

    handler._read_dossier = watched
    return claimed, handed


async def test_a_big_dossier_from_the_las_is_read_as_it_arrives_into_the_same_bijlagen(
    world, monkeypatch, tmp_path, spools
):
    """Over signed HTTPS: the client streams the documentResponse (adapters.parnassys.soap_stream) into a
    sealed spool, the reader reads it from there; the hulpvraag gets the bijlagen and findings the dossier
    itself gives, and the spool is gone afterwards."""
    from adapters.parnassys.dossier_factory import build_dossier
    from gateway.dossier import read_dossier

    claimed, handed = await _big_exchange(world, monkeypatch)
    handler = world[3]
    draft = await handler.handle(claimed, Steps())
    direct = read_dossier(build_dossier(brin="14SS", attachments=BIG), blobs=LocalBlobStore(tmp_path / "direct"))
    assert [(b.bestandsnaam, b.role, b.sha256, b.size, b.findings) for b in draft.bijlagen] == [
        (a.bestandsnaam, a.role, a.sha256, a.size, a.findings) for a in direct.attachments
    ]
    assert draft.pupil == direct.pupil and len(draft.bijlagen) == 3
    assert [f.code for b in draft.bijlagen for f in b.findings] == ["BIJLAGE_ZIP_ONGELDIG"]
    assert len(handed) == 1 and not issubclass(handed[0], bytes)  # a file-like: the reader's streaming path
    assert len(spools) == 1 and spools[0].closed


@pytest.mark.parametrize("how", ["another_school", "reader_fails"])
async def test_a_big_dossiers_spool_is_closed_when_the_exchange_fails(world, monkeypatch, spools, how):
    """Refused after the read (a dossier of another school), or the read itself fails: no file, no key left."""
    claimed, handed = await _big_exchange(world, monkeypatch, **({"brin": "99XX"} if how == "another_school" else {}))
    handler = world[3]
    if how == "reader_fails":
        from gateway.store.blobs import BlobStoreUnavailable

        def unavailable(source: object, **_: Any) -> Any:
            source.read(1000)  # type: ignore[attr-defined]  # a file-like: begun, then the blob store fails
            raise BlobStoreUnavailable("blob store weg")

        handler._read_dossier = unavailable
    with pytest.raises(Refusal if how == "another_school" else BlobStoreUnavailable) as info:
        await handler.handle(claimed, Steps())
    if how == "another_school":
        assert info.value.first.code == "OSO_DOSSIER_ANDERE_SCHOOL" and handed
    assert len(spools) == 1 and spools[0].closed
