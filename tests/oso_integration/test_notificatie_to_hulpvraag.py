"""Notificatie → hulpvraag committed → afmelding at the Traffic Center, through the real core."""

from __future__ import annotations

from sqlalchemy import select

from adapters.parnassys.dossier_factory import AttachmentSpec
from adapters.parnassys.simulator.las import PreparedDossier
from gateway.store.models import Bijlage, Exchange, Hulpvraag, Mandaat, SeenMessage
from tests.oso_integration.conftest import Oso


async def _rows(oso: Oso, model: type) -> list:
    async with oso.c.db.reader() as s:
        return list((await s.exec(select(model))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def test_notificatie_becomes_a_hulpvraag_and_the_session_is_closed(oso: Oso) -> None:
    koppelsleutel = await oso.notify()
    assert await oso.process() == 1
    [hv] = await _rows(oso, Hulpvraag)
    assert hv.brin6 == "14SS00" and hv.source_system == "parnassys"
    assert hv.aanvraagtype == "Ondersteuningsaanvraag schoolgaand kind"
    assert hv.external_keys["koppelsleutel"] == koppelsleutel
    assert hv.external_keys["bronRouteringsKenmerk"] == "0000000700014SS00500"
    assert {b.role for b in await _rows(oso, Bijlage)} >= {"opp"}
    [ex] = await _rows(oso, Exchange)
    assert ex.state == "verwerkt" and ex.hulpvraag_id == hv.id
    assert await oso.deliver() == 1
    assert oso.world.tc.afmeldingen() == {koppelsleutel: "OverdrachtGeslaagd"}


async def test_what_the_osr_said_is_kept_in_the_mandaat_table(oso: Oso) -> None:
    await oso.notify()
    await oso.process()
    rows = await _rows(oso, Mandaat)
    assert {(m.brin4, m.systeem, m.bron) for m in rows} == {("14SS", "ParnasSys", "osr"), ("14SS", "Kindkans", "osr")}


async def test_the_message_id_is_remembered_in_the_store(oso: Oso) -> None:
    await oso.notify()
    assert len(await _rows(oso, SeenMessage)) == 1


async def test_a_second_exchange_for_the_same_request_adds_bijlagen_to_the_same_hulpvraag(oso: Oso) -> None:
    await oso.notify()
    extra = PreparedDossier(
        factory_options={
            "attachments": [
                AttachmentSpec(role="opp", bestandsnaam="OPP.pdf", size=21_000),
                AttachmentSpec(role="overig", bestandsnaam="Verslag-MDO.pdf", size=15_000),
            ]
        }
    )
    await oso.notify(prepared=extra)
    assert await oso.process() == 2
    [hv] = await _rows(oso, Hulpvraag)
    assert len({b.sha256 for b in await _rows(oso, Bijlage)}) >= 3
    assert [e.state for e in await _rows(oso, Exchange)] == ["verwerkt", "verwerkt"]
    assert await oso.deliver() == 2
    assert set(oso.world.tc.afmeldingen().values()) == {"OverdrachtGeslaagd"}
    assert hv.id is not None


async def test_the_nevenvestiging_is_its_own_vestiging(oso: Oso) -> None:
    await oso.notify(kenmerk="501", prepared=PreparedDossier(factory_options={"vestigingscode": "01"}))
    await oso.process()
    [hv] = await _rows(oso, Hulpvraag)
    assert hv.brin6 == "14SS01"


async def test_a_dossier_of_another_vestiging_is_refused_and_listed_under_that_vestiging(oso: Oso) -> None:
    await oso.notify(kenmerk="500", prepared=PreparedDossier(factory_options={"vestigingscode": "01"}))
    await oso.process()
    [ex] = await _rows(oso, Exchange)
    assert ex.state == "geweigerd" and ex.brin6 == "14SS01"  # the reason is about 14SS01, not 14SS00
    assert any("14SS01" in f["message"] or "01" in f["message"] for f in ex.findings)
