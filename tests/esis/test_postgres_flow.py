"""The same ESIS flow on SQLite and on a real PostgreSQL: create, retry, update, status."""

from __future__ import annotations

from aiohttp.test_utils import TestServer
from sqlalchemy import select

from adapters.esis.simulator import Document, aanvraag, docx_document, pdf_document
from gateway.app import create_app
from gateway.components import Components
from gateway.store.models import Bijlage, Hulpvraag
from tests.esis.conftest import BRIN6, CODE, Gateway, active_code


async def test_create_retry_update_on_both_databases(any_components: Components) -> None:
    await active_code(any_components, BRIN6, CODE)
    app = create_app(any_components, run_workers=False)
    server = TestServer(app)
    await server.start_server()
    gw = Gateway(any_components, app, server)
    opp = Document("OPP-2025.pdf", pdf_document(), soort="opp")
    plan = Document("Plan.docx", docx_document())
    try:
        body = aanvraag(BRIN6, documenten=[opp, plan])
        async with gw.esis() as esis:
            first = await esis.create(body, [opp, plan])
            again = await esis.create(body, [opp, plan])
            assert first.status == again.status == 202
            assert first.body["uitwisseling_id"] == again.body["uitwisseling_id"]
            await gw.drain()
            r = await esis.update(
                body["esis_aanvraag_id"], remove=[{"bestandsnaam": "Plan.docx"}], omschrijving="Nieuw"
            )
            assert r.status == 202
            await gw.drain()
            st = await esis.status(body["esis_aanvraag_id"])
        async with any_components.db.reader() as s:
            [hv] = list((await s.exec(select(Hulpvraag))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            removed = {b.bestandsnaam: b.removed for b in (await s.exec(select(Bijlage))).scalars()}  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        assert hv.omschrijving == "Nieuw" and removed == {"OPP-2025.pdf": False, "Plan.docx": True}
        assert [u["status"] for u in st.body["uitwisselingen"]] == ["verwerkt", "verwerkt"]
    finally:
        await server.close()
