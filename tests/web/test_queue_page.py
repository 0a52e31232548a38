"""Inkomende wachtrij: counts, filters, the refused item's reason, retry (one and all matching), release and
refuse a held item — each with a confirmation step and an audit entry."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.store.models import AuditEntry, Exchange, ExchangeState
from gateway.store.models.accounts import Role
from gateway.web.pages.actions import REFUSED_BY_SECRETARIAAT
from tests.web.factories import REFUSAL_MESSAGE, drain, seed_queue
from tests.web.support import login, make_account, post_form


async def _exchange(c: Components, exchange_id: int) -> Exchange:
    async with c.db.reader() as s:
        return (await s.exec(select(Exchange).where(col(Exchange.id) == exchange_id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _audit(c: Components, action: str) -> list[AuditEntry]:
    async with c.db.reader() as s:
        return list((await s.exec(select(AuditEntry).where(col(AuditEntry.action) == action))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _secretariaat(client: TestClient, c: Components) -> None:
    assert await login(client, await make_account(c, Role.SECRETARIAAT)) == 303


async def test_the_queue_shows_every_exchange_with_state_reason_and_counts(
    client: TestClient, web_components: Components
) -> None:
    data = await seed_queue(web_components)
    await _secretariaat(client, web_components)
    html = await (await client.get("/wachtrij")).text()
    assert REFUSAL_MESSAGE in html
    assert "Het routeringskenmerk 42 ligt niet tussen 500 en 599." in html
    assert "Wacht op het LAS van de school — volgende poging" in html
    assert "Kindcentrum Het Klaverblad" in html  # school name for 21KL00
    assert "Oudste wachtende" in html
    assert f'href="/wachtrij/{data.held}"' in html


async def test_filters_narrow_the_queue(client: TestClient, web_components: Components) -> None:
    data = await seed_queue(web_components)
    await _secretariaat(client, web_components)
    refused = await (await client.get("/wachtrij?state=geweigerd")).text()
    assert f'href="/wachtrij/{data.refused}"' in refused and f'href="/wachtrij/{data.processed}"' not in refused
    esis = await (await client.get("/wachtrij?source=esis")).text()
    assert f'href="/wachtrij/{data.esis}"' in esis and f'href="/wachtrij/{data.refused}"' not in esis
    school = await (await client.get("/wachtrij?school=30TV")).text()
    assert f'href="/wachtrij/{data.held}"' in school and f'href="/wachtrij/{data.esis}"' not in school
    nothing = await (await client.get("/wachtrij?van=2001-01-01&tot=2001-01-02")).text()
    assert "Geen uitwisselingen gevonden." in nothing
    search = await (await client.get(f"/wachtrij?q={data.intake_refused}")).text()
    assert f'href="/wachtrij/{data.intake_refused}"' in search


async def test_a_refused_item_shows_its_reason_findings_and_timeline_and_can_be_retried(
    client: TestClient, web_components: Components
) -> None:
    data = await seed_queue(web_components)
    await _secretariaat(client, web_components)
    detail = await (await client.get(f"/wachtrij/{data.refused}")).text()
    assert REFUSAL_MESSAGE in detail and "TEST_GEWEIGERD" in detail and "Verloop" in detail
    confirm = await post_form(client, f"/wachtrij/{data.refused}/opnieuw")
    assert confirm.status == 200 and "Ja, doorgaan" in await confirm.text()
    assert (await _exchange(web_components, data.refused)).state == ExchangeState.GEWEIGERD.value
    done = await post_form(client, f"/wachtrij/{data.refused}/opnieuw", {"bevestigd": "ja"})
    assert done.status == 303
    assert (await _exchange(web_components, data.refused)).state == ExchangeState.WACHT_OP_HERHALING.value
    assert [a.object_id for a in await _audit(web_components, "uitwisseling_opnieuw")] == [str(data.refused)]


async def test_retry_all_that_match_a_filter(client: TestClient, web_components: Components) -> None:
    data = await seed_queue(web_components)
    await _secretariaat(client, web_components)
    confirm = await post_form(client, "/wachtrij/opnieuw", {"state": "geweigerd"})
    text = await confirm.text()
    assert "2 uitwisseling(en) opnieuw aanbieden" in text
    assert "2 hiervan zijn geweigerd om wat de school stuurde" in text  # only the school can fix those
    done = await post_form(client, "/wachtrij/opnieuw", {"state": "geweigerd", "bevestigd": "ja"})
    assert done.status == 303
    for i in (data.refused, data.intake_refused):
        assert (await _exchange(web_components, i)).state == ExchangeState.WACHT_OP_HERHALING.value
    assert (await _exchange(web_components, data.held)).state == ExchangeState.VASTGEHOUDEN.value
    (entry,) = await _audit(web_components, "wachtrij_alles_opnieuw")
    assert entry.details["aantal"] == 2 and entry.details["filter"] == {"state": "geweigerd"}


async def test_a_held_item_can_be_released_and_is_processed_again(
    client: TestClient, web_components: Components
) -> None:
    data = await seed_queue(web_components)
    await _secretariaat(client, web_components)
    await post_form(client, f"/wachtrij/{data.held}/vrijgeven", {"bevestigd": "ja"})
    ex = await _exchange(web_components, data.held)
    assert ex.meta["vrijgegeven"] is True and ex.state == ExchangeState.WACHT_OP_HERHALING.value
    assert await _audit(web_components, "uitwisseling_vrijgegeven")
    await drain(web_components)  # the scripted handler holds it again: the release reached the worker
    assert (await _exchange(web_components, data.held)).attempts == 2


async def test_a_held_item_can_be_refused_with_the_secretariaats_reason(
    client: TestClient, web_components: Components
) -> None:
    data = await seed_queue(web_components)
    await _secretariaat(client, web_components)
    short = await post_form(client, f"/wachtrij/{data.held}/weigeren", {"bevestigd": "ja", "reden": "nee"})
    assert short.status == 400
    reason = "De aanvraag hoort bij een ander samenwerkingsverband."
    await post_form(client, f"/wachtrij/{data.held}/weigeren", {"bevestigd": "ja", "reden": reason})
    ex = await _exchange(web_components, data.held)
    assert ex.state == ExchangeState.GEWEIGERD.value
    assert ex.findings[0]["code"] == REFUSED_BY_SECRETARIAAT and reason in ex.findings[0]["message"]
    (entry,) = await _audit(web_components, "uitwisseling_geweigerd")
    assert entry.details["reden"] == reason
    refused_again = await post_form(client, f"/wachtrij/{data.refused}/weigeren", {"bevestigd": "ja", "reden": reason})
    assert refused_again.status == 409


async def test_monitoring_reads_the_queue_but_cannot_act_or_see_the_raw_exchange(
    client: TestClient, web_components: Components
) -> None:
    data = await seed_queue(web_components)
    assert await login(client, await make_account(web_components, Role.MONITORING)) == 303
    html = await (await client.get(f"/wachtrij/{data.refused}")).text()
    assert REFUSAL_MESSAGE in html and "Opnieuw aanbieden" not in html
    assert (await client.get(f"/wachtrij/{data.refused}/ruw")).status == 403
    assert (await post_form(client, f"/wachtrij/{data.refused}/opnieuw", {"bevestigd": "ja"})).status == 403


async def test_the_secretariaat_sees_the_raw_exchange_and_that_view_is_audited(
    client: TestClient, web_components: Components
) -> None:
    data = await seed_queue(web_components)
    await _secretariaat(client, web_components)
    html = await (await client.get(f"/wachtrij/{data.processed}/ruw")).text()
    assert "LL-100" in html
    assert [a.object_id for a in await _audit(web_components, "uitwisseling_ruw_bekeken")] == [str(data.processed)]
