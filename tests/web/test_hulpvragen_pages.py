"""Hulpvragen: pupil data views and bijlage downloads are audited; overdue requests stand out; the
secretariaat changes status (terugkoppeling via the outbox) and labels; monitoring sees no documents."""

from __future__ import annotations

import datetime as dt

from aiohttp.test_utils import TestClient
from sqlalchemy import select, update
from sqlmodel import col

from gateway.components import Components
from gateway.store.models import AuditEntry, Bijlage, Hulpvraag, OutboxMessage, StatusHistorie
from gateway.store.models.accounts import Role
from gateway.store.types import utcnow
from gateway.web.pages.workdays import add_working_days, is_overdue
from tests.web.factories import seed_queue
from tests.web.support import login, make_account, post_form
from verification.attachments import check_same_content


async def _first_hulpvraag(c: Components) -> tuple[Hulpvraag, list[Bijlage]]:
    async with c.db.reader() as s:
        hv = (await s.exec(select(Hulpvraag).order_by(col(Hulpvraag.id)))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        bijlagen = list((await s.exec(select(Bijlage).where(Bijlage.hulpvraag_id == hv.id))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    return hv, bijlagen


async def _audit(c: Components, action: str) -> list[AuditEntry]:
    async with c.db.reader() as s:
        return list((await s.exec(select(AuditEntry).where(col(AuditEntry.action) == action))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


def test_five_working_days_skip_the_weekend() -> None:
    tz = dt.UTC
    friday = dt.datetime(2025, 9, 12, 10, tzinfo=tz)
    assert add_working_days(friday.date(), 5) == dt.date(2025, 9, 19)
    assert not is_overdue(friday, None, dt.datetime(2025, 9, 19, 17, tzinfo=tz), 5, tz)
    assert is_overdue(friday, None, dt.datetime(2025, 9, 22, 8, tzinfo=tz), 5, tz)
    assert not is_overdue(friday, friday, dt.datetime(2025, 9, 30, tzinfo=tz), 5, tz)


async def test_the_detail_shows_pupil_status_history_and_bijlagen_and_is_audited(
    client: TestClient, web_components: Components
) -> None:
    await seed_queue(web_components)
    hv, bijlagen = await _first_hulpvraag(web_components)
    assert await login(client, await make_account(web_components, Role.SECRETARIAAT)) == 303
    html = await (await client.get(f"/hulpvragen/{hv.id}")).text()
    assert "Sanne Jansen" in html and "14-03-2016" in html and "Eline Hansen" in html
    assert "TLV&gt;voorlopige aanvraag" in html and "Statushistorie" in html
    for b in bijlagen:
        assert f'href="/bijlagen/{b.id}"' in html
    assert [a.object_id for a in await _audit(web_components, "hulpvraag_bekeken")] == [str(hv.id)]
    listing = await (await client.get("/hulpvragen")).text()
    assert "Sanne Jansen" in listing
    assert await _audit(web_components, "hulpvragen_bekeken")


async def test_a_bijlage_shows_its_own_findings(client: TestClient, web_components: Components) -> None:
    """What the gateway noticed about one document (here: the same file sent under a second name) stands beside
    that document, in the words the finding has everywhere else."""
    c = web_components
    await seed_queue(c)
    hv, bijlagen = await _first_hulpvraag(c)
    finding = check_same_content("Toelichting.pdf", bijlagen[0].bestandsnaam, None).to_dict()
    await c.db.run(
        lambda s: s.execute(update(Bijlage).where(col(Bijlage.id) == bijlagen[0].id).values(findings=[finding]))
    )
    assert await login(client, await make_account(c, Role.SECRETARIAAT)) == 303
    html = await (await client.get(f"/hulpvragen/{hv.id}")).text()
    assert "is precies hetzelfde bestand als" in html and 'title="BIJLAGE_INHOUD_DUBBEL"' in html


async def test_a_bijlage_download_is_streamed_and_audited(client: TestClient, web_components: Components) -> None:
    await seed_queue(web_components)
    hv, bijlagen = await _first_hulpvraag(web_components)
    opp = next(b for b in bijlagen if b.role == "opp")
    assert await login(client, await make_account(web_components, Role.SECRETARIAAT)) == 303
    resp = await client.get(f"/bijlagen/{opp.id}")
    assert resp.status == 200
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="OPP.pdf"')
    body = await resp.read()
    assert body.startswith(b"%PDF-1.4") and len(body) == opp.size
    (entry,) = await _audit(web_components, "bijlage_gedownload")
    assert entry.object_id == str(opp.id) and entry.details["hulpvraag_id"] == hv.id
    audit_page = await (await client.get("/audit?action=bijlage_gedownload")).text()
    assert "OPP.pdf" in audit_page


async def test_monitoring_sees_initials_only_and_cannot_download(
    client: TestClient, web_components: Components
) -> None:
    await seed_queue(web_components)
    hv, bijlagen = await _first_hulpvraag(web_components)
    assert await login(client, await make_account(web_components, Role.MONITORING)) == 303
    html = await (await client.get(f"/hulpvragen/{hv.id}")).text()
    assert "Sanne Jansen" not in html and "S. J." in html and "14-03-2016" not in html
    assert "/bijlagen/" not in html
    assert (await client.get(f"/bijlagen/{bijlagen[0].id}")).status == 403
    assert not await _audit(web_components, "bijlage_gedownload")


async def test_requests_without_a_reaction_after_five_working_days_stand_out(
    client: TestClient, web_components: Components
) -> None:
    await seed_queue(web_components)
    hv, _ = await _first_hulpvraag(web_components)
    async with web_components.db.session() as s:
        await s.exec(
            update(Hulpvraag).where(col(Hulpvraag.id) == hv.id).values(created_at=utcnow() - dt.timedelta(days=10))
        )
    assert await login(client, await make_account(web_components, Role.SECRETARIAAT)) == 303
    overdue = await (await client.get("/hulpvragen?te_laat=1")).text()
    assert f'href="/hulpvragen/{hv.id}"' in overdue and "geen reactie" in overdue
    await post_form(client, f"/hulpvragen/{hv.id}/status", {"status": "TLV>aanvraag"}, page="/hulpvragen")
    after = await (await client.get("/hulpvragen?te_laat=1")).text()
    assert f'href="/hulpvragen/{hv.id}"' not in after


async def test_the_secretariaat_changes_status_and_labels(client: TestClient, web_components: Components) -> None:
    await seed_queue(web_components)
    hv, _ = await _first_hulpvraag(web_components)
    assert await login(client, await make_account(web_components, Role.SECRETARIAAT)) == 303
    resp = await post_form(
        client,
        f"/hulpvragen/{hv.id}/status",
        {"status": "TLV>aanvraag", "toelichting": "Overleg op 3 oktober."},
        page="/hulpvragen",
    )
    assert resp.status == 303
    await post_form(client, f"/hulpvragen/{hv.id}/labels", {"labels": "spoed, thuiszitter"}, page="/hulpvragen")
    async with web_components.db.reader() as s:
        row = (await s.exec(select(Hulpvraag).where(col(Hulpvraag.id) == hv.id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        history = list(
            (await s.exec(select(StatusHistorie).where(col(StatusHistorie.hulpvraag_id) == hv.id))).scalars()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        )
        outbox = list(
            (await s.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == "oso_terugkoppeling"))).scalars()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        )
    assert row.status == "TLV>aanvraag" and row.labels == ["spoed", "thuiszitter"]
    assert history[-1].door.startswith("gebruiker:PO3008/") and history[-1].toelichting == "Overleg op 3 oktober."
    assert len(outbox) == 1  # the ParnasSys school hears about it
    empty = await post_form(client, f"/hulpvragen/{hv.id}/status", {"status": "  "}, page="/hulpvragen")
    assert empty.status == 400
