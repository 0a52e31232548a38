"""The plaintext verification code appears nowhere: not in any file of the data directory (database, WAL,
blobs) and not in the logs — across registration, activation, requests, bad attempts and a lockout."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from adapters.esis.simulator import Document, aanvraag, pdf_document
from gateway.logging import configure_logging
from gateway.registry import codes
from tests.esis.conftest import BRIN6, Gateway

SECRET = "27ZX00-Zeer!Geheim-Wachtwoord-42"


@pytest.fixture
def log_buffer(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure_logging("json", "debug", stream=buf)
    caplog.set_level(logging.DEBUG)
    yield buf
    configure_logging()


@pytest.fixture
def esis_section() -> dict[str, object]:
    return {"delay_step_seconds": 0.0, "lock_after": 3}


async def test_plaintext_code_is_nowhere_in_database_files_or_logs(
    gateway: Gateway, log_buffer: io.StringIO, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    opp = Document("OPP-2025.pdf", pdf_document(), soort="opp")
    async with gateway.esis(None) as anon:
        r = await anon.register_code(BRIN6, "nieuwe-omgeving", SECRET, email="ict@dewilg.example")
    assert r.status == 201, r.body
    view = await codes.activate(gateway.c.db, r.body["id"], "test:secretariaat")
    async with gateway.esis(SECRET) as esis:
        body = aanvraag(BRIN6, documenten=[opp])
        assert (await esis.create(body, [opp])).status == 202
        await gateway.drain()
        assert (await esis.status(body["esis_aanvraag_id"])).status == 200
    await codes.revoke(gateway.c.db, view.id, "test:secretariaat")
    async with gateway.esis(SECRET) as esis:
        for _ in range(4):  # revoked → 401 three times, then locked out
            await esis.status(body["esis_aanvraag_id"])
    async with gateway.esis(SECRET[:-1] + "x") as near:
        await near.status(body["esis_aanvraag_id"])

    logs = log_buffer.getvalue() + caplog.text + "".join(capsys.readouterr())
    assert "esis_client_geblokkeerd" in logs and "verificatiecode_geactiveerd" in logs
    needle = SECRET.encode()
    hits = []
    files = [p for p in gateway.c.settings.data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "gateway.db" for p in files)
    for p in files:
        data = p.read_bytes()
        if needle in data or SECRET.encode("utf-16-le") in data:
            hits.append(str(p))
    assert hits == []
    assert SECRET not in logs and SECRET[6:] not in logs
