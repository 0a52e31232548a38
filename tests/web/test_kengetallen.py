"""Kengetallen: counts per week by aanvraagtype, channel and scholenkring, refusals by reason and the time to
the first reply, as SVG charts without pupil data, for the secretariaat and monitoring."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from aiohttp.test_utils import TestClient

from gateway.components import Components
from gateway.store.models.accounts import Role
from gateway.web.pages.charts import bar_chart, stacked_bars
from gateway.web.pages.kengetallen import gather, reply_bucket, working_days_between
from tests.web.factories import seed_queue
from tests.web.support import login, make_account


def test_working_days_to_the_first_reply_skip_the_weekend() -> None:
    friday = dt.date(2025, 9, 12)
    assert working_days_between(friday, friday) == 0
    assert working_days_between(friday, dt.date(2025, 9, 15)) == 1  # Monday
    assert working_days_between(friday, dt.date(2025, 9, 22)) == 6
    assert reply_bucket(0) == "zelfde dag" and reply_bucket(9) == "meer dan 5"


def test_charts_escape_their_text_and_use_no_inline_css() -> None:
    svg = str(stacked_bars("<titel>", ["01-09"], {"a & <b>": [3]})) + str(bar_chart("x", [("<script>", 2)]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; &lt;b&gt;" in svg
    assert "style=" not in svg


async def test_the_figures_count_requests_refusals_and_replies(web_components: Components) -> None:
    await seed_queue(web_components)
    k = await gather(web_components.db, "PO3008", 4)
    assert k.total == sum(sum(v) for v in k.per_channel.values()) >= 2
    assert set(k.per_channel) <= {"ParnasSys", "ESIS", "test"}
    assert "Helmond" in k.per_kring
    assert any("Geweigerd in de test." in label for label, _ in k.refusals)
    assert dict(k.replies)["nog geen reactie"] == k.total


@pytest.mark.parametrize("role", [Role.SECRETARIAAT, Role.MONITORING], ids=lambda r: r.value)
async def test_the_page_shows_charts_without_pupil_data(
    client: TestClient, web_components: Components, role: Role
) -> None:
    await seed_queue(web_components)
    assert await login(client, await make_account(web_components, role)) == 303
    html = await (await client.get("/kengetallen?weken=26")).text()
    assert html.count("<svg") == 5 and "laatste 26 weken" in html
    assert "Sanne" not in html and "Jansen" not in html and not re.search(r"LL-\d", html)
