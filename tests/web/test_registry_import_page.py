"""The secretariaat imports schools and vestigingen from a CSV on the page and reads the per-line report."""

from __future__ import annotations

import io

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from gateway.components import Components
from gateway.store.models import Vestiging
from gateway.store.models.accounts import Role
from tests.web.support import csrf_of, login, make_account

CSV = (
    "brin6;naam;gemeente;routeringskenmerk;schoolnaam\n"
    "44AB00;De Linde;Helmond;500;Basisschool De Linde\n"
    "44AB01;De Linde Noord;Helmond;999;\n"
)


async def test_a_csv_import_adds_the_good_lines_and_reports_the_refused_one(
    client: TestClient, web_components: Components
) -> None:
    secretariaat = await make_account(web_components, Role.SECRETARIAAT)
    assert await login(client, secretariaat) == 303
    token = csrf_of(await (await client.get("/scholen/import")).text())
    form = FormData()
    form.add_field("csrf", token)
    form.add_field("proef", "nee")
    form.add_field("bestand", io.BytesIO(CSV.encode()), filename="scholen.csv", content_type="text/csv")
    resp = await client.post("/scholen/import", data=form)
    html = await resp.text()
    assert resp.status == 200, html
    assert "44AB00" in html and "44AB01" in html and "500-reeks" in html
    async with web_components.db.reader() as s:
        brin6s = set((await s.exec(select(Vestiging.brin6).where(Vestiging.brin6.like("44AB%")))).scalars())  # type: ignore[call-overload,attr-defined]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements; columns are typed as their values
    assert brin6s == {"44AB00"}
