"""Refused notificaties are in the queue with their reason; the school's sender gets the same reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from adapters.parnassys.client import RemoteFault
from adapters.parnassys.simulator.las import PreparedDossier
from gateway.store.models import Exchange, Hulpvraag
from tests.oso_integration.conftest import Oso


async def _exchanges(oso: Oso) -> list[Exchange]:
    async with oso.c.db.reader() as s:
        return list((await s.exec(select(Exchange).order_by(col(Exchange.id)))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


def _codes(ex: Exchange) -> list[str]:
    return [f["code"] for f in ex.findings]


async def test_an_unknown_vestiging_is_refused_at_intake_and_recorded(oso: Oso) -> None:
    with pytest.raises(RemoteFault) as info:
        await oso.notify(kenmerk="502")
    assert info.value.code == "VESTIGING_NIET_GEREGISTREERD"
    [ex] = await _exchanges(oso)
    assert ex.state == "geweigerd" and _codes(ex) == ["VESTIGING_NIET_GEREGISTREERD"]
    assert ex.key == f"oso:{oso.world.las.last_koppelsleutel}"
    assert await oso.process() == 0


async def test_a_kenmerk_outside_the_500_range_is_refused_at_intake(oso: Oso) -> None:
    with pytest.raises(RemoteFault) as info:
        await oso.notify(kenmerk="931")
    assert info.value.code == "ROUTERING_BUITEN_500_REEKS"
    [ex] = await _exchanges(oso)
    assert ex.state == "geweigerd"


async def test_a_missing_kindkans_mandate_is_refused_in_the_worker_and_parnassys_is_told(oso: Oso) -> None:
    koppelsleutel = await oso.notify(brin="21KL", kenmerk="0000000700021KL00500")
    await oso.process()
    [ex] = await _exchanges(oso)
    assert ex.state == "geweigerd" and _codes(ex) == ["MANDAAT_ONTBREEKT"]
    assert "Kindkans" in ex.findings[0]["message"]
    assert "overdracht" not in [op for op, _ in oso.world.tc.seen]  # refused before a session was needed
    assert await oso.deliver() == 1  # the afmelding: a session opened only to close it
    assert oso.world.tc.afmeldingen() == {koppelsleutel: "AanvraagGeweigerd"}


async def test_a_cached_missing_mandate_is_refused_at_intake(oso: Oso) -> None:
    await oso.notify(brin="21KL", kenmerk="0000000700021KL00500")
    await oso.process()  # the worker asked the OSR; the answer is cached
    with pytest.raises(RemoteFault) as info:
        await oso.notify(brin="21KL", kenmerk="0000000700021KL00500")
    assert info.value.code == "MANDAAT_ONTBREEKT"


async def test_a_nevenvestiging_sending_500_is_refused_after_the_dossier(oso: Oso) -> None:
    await oso.notify(kenmerk="500", prepared=PreparedDossier(factory_options={"vestigingscode": "01"}))
    await oso.process()
    [ex] = await _exchanges(oso)
    assert ex.state == "geweigerd" and _codes(ex) == ["ROUTERING_VESTIGING_WIJKT_AF"]
    assert "501" in ex.findings[0]["message"]
    await oso.deliver()
    assert list(oso.world.tc.afmeldingen().values()) == ["AanvraagGeweigerd"]


async def test_a_dossier_with_a_bsn_is_refused_and_the_afmelding_says_so(oso: Oso) -> None:
    await oso.notify(behaviour="invalid")
    await oso.process()
    [ex] = await _exchanges(oso)
    assert ex.state == "geweigerd" and "PaO.LL12" in _codes(ex)
    await oso.deliver()
    assert list(oso.world.tc.afmeldingen().values()) == ["DossierOngeldig"]


async def test_a_tlv_without_opp_is_refused_by_the_aanvraagtype_rules(oso: Oso) -> None:
    from adapters.parnassys.dossier_factory import AttachmentSpec

    prepared = PreparedDossier(
        aanvraagtype="Aanvraag TLV",
        opp=False,
        factory_options={"attachments": [AttachmentSpec(role="overig", bestandsnaam="Verslag.pdf")]},
    )
    await oso.notify(prepared=prepared)
    await oso.process()
    [ex] = await _exchanges(oso)
    assert ex.state == "geweigerd"
    assert ex.meta["aanvraagtype"] == "Aanvraag TLV"  # what it asked for, though no hulpvraag was made
    async with oso.c.db.reader() as s:
        assert (await s.exec(select(Hulpvraag))).scalars().first() is None  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    await oso.deliver()
    assert list(oso.world.tc.afmeldingen().values()) == ["AanvraagGeweigerd"]


async def test_an_exchange_refused_after_its_dossier_keeps_the_aanvraagtype_it_asked_for(oso: Oso) -> None:
    await oso.notify(
        prepared=PreparedDossier(aanvraagtype="Aanvraag Kans!overleg", factory_options={"mutation": "bsn"})
    )
    await oso.process()
    [ex] = await _exchanges(oso)
    assert ex.state == "geweigerd" and "PaO.LL12" in _codes(ex)
    assert ex.meta["aanvraagtype"] == "Aanvraag Kans!overleg"  # the queue's detail page reads it from here


async def test_an_aanvraagtype_holding_a_bsn_is_never_kept_on_the_exchange(oso: Oso) -> None:
    await oso.notify(prepared=PreparedDossier(aanvraagtype="Aanvraag 123456782"))
    await oso.process()
    [ex] = await _exchanges(oso)
    assert ex.state == "geweigerd" and _codes(ex) == ["PaO.LL12"]
    assert "aanvraagtype" not in ex.meta and "123456782" not in str(ex.meta)


async def test_an_unreachable_osr_makes_the_exchange_wait(oso: Oso) -> None:
    await oso.notify()
    oso.world.osr.outage("503")
    await oso.process()
    [ex] = await _exchanges(oso)
    assert ex.state == "wacht_op_herhaling" and ex.waiting_for == "osr"
