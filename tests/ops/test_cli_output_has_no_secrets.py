"""No secret or password in the output of any CLI command, nor in its log lines (JSON logging on).

The data directory is set up with every kind of secret the gateway holds — the blob key ring, the mail
password, an ESIS verificatiecode, TOTP secrets of accounts — and then the commands are run one after the
other; stdout and stderr are scanned for each secret. The one deliberate exception is ``users add``, which
shows a new account's TOTP secret once, for enrolment; it must not reappear anywhere else. A PostgreSQL
URL with a password is shown without it when the database cannot be reached.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest

from adapters.parnassys.dossier_factory import build_dossier
from gateway.cli.main import main
from gateway.components import build_components
from gateway.registry import codes
from gateway.settings import load_settings
from gateway.store.seed import seed_demo_registry, seed_swv
from gateway.web.auth.accounts import list_accounts

MASTER = bytes(range(32))
MAIL_PASSWORD = "Mail-Geheim-8d2f"
CODE = "27ZX00-Zeer!Geheim-Koppeling-42"
DB_PASSWORD = "Pg-Geheim-5c1a"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(data))
    monkeypatch.setenv("GATEWAY_LOG_FORMAT", "json")
    monkeypatch.setenv("GATEWAY_BLOBS__KEYS", "k1=" + base64.b64encode(MASTER).decode())
    monkeypatch.setenv("GATEWAY_BLOBS__KEY_ID", "k1")
    monkeypatch.setenv("GATEWAY_MAIL__PASSWORD", MAIL_PASSWORD)
    assert main(["db", "upgrade"]) == 0

    async def prepare() -> None:
        c = build_components(load_settings())
        try:
            swv_id = await seed_swv(c.db)
            await seed_demo_registry(c.db, swv_id)
            await codes.register(c.db, "27ZX00", "esis-eenbes", CODE, "test")
        finally:
            await c.close()

    asyncio.run(prepare())
    return data


def _secrets_of_accounts() -> list[str]:
    async def go() -> list[str]:
        c = build_components(load_settings())
        try:
            from gateway.web.auth.accounts import plain_totp

            return [plain_totp(c.db, a) for a in await list_accounts(c.db) if a.totp_secret]
        finally:
            await c.close()

    return asyncio.run(go())


def _forbidden() -> list[str]:
    return [
        base64.b64encode(MASTER).decode(),
        MASTER.hex(),
        MAIL_PASSWORD,
        CODE,
        CODE[7:],
        DB_PASSWORD,
    ]


def test_no_command_prints_or_logs_a_secret(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dossier = tmp_path / "dossier.xml"
    dossier.write_bytes(build_dossier())
    assert main(["users", "add", "--rol", "secretariaat", "PO3008", "jansen"]) == 0
    enrolment = capsys.readouterr()
    (totp,) = _secrets_of_accounts()
    assert totp in enrolment.out  # shown once, on purpose

    commands = [
        ["db", "upgrade"],
        ["users", "list"],
        ["users", "unlock", "PO3008", "jansen"],
        ["users", "reset-totp", "PO3008", "jansen"],
        ["codes", "list"],
        ["codes", "activate", "1"],
        ["codes", "list", "--status", "actief"],
        ["codes", "revoke", "1", "--reden", "test"],
        ["registry", "list"],
        ["registry", "add-school", "14ZZ", "De Proef"],
        ["registry", "add-vestiging", "14ZZ00", "De Proef", "--gemeente", "Helmond"],
        ["koppelcheck", "27ZX00"],
        ["koppelcheck", "--json", "27ZX00"],
        ["dossier", "check", str(dossier)],
        ["purge", "--dry-run"],
        ["purge"],
    ]
    outputs: list[str] = []
    for argv in commands:
        main(argv)  # some end with a Dutch refusal (exit 1 or 2): the output counts, not the verdict
        got = capsys.readouterr()
        outputs.append(f"$ gateway {' '.join(argv)}\n{got.out}\n{got.err}")
        for line in got.err.splitlines():
            if line.strip().startswith("{"):
                json.loads(line)  # JSON logging configured: log lines are JSON
    everything = "\n".join(outputs)
    assert "Database bijgewerkt" in everything and "jansen" in everything and "27ZX00" in everything
    assert "Zou verwijderen" in everything and "Verwijderd" in everything
    for secret in [*_forbidden(), totp]:
        assert secret not in everything, secret


def test_a_database_url_is_shown_without_its_password(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", f"postgresql+asyncpg://gateway:{DB_PASSWORD}@127.0.0.1:9/gateway")
    for argv in (["db", "upgrade"], ["purge"], ["users", "list"]):
        main(argv)
        got = capsys.readouterr()
        assert DB_PASSWORD not in got.out + got.err, argv
    assert main(["db", "upgrade"]) != 0
    assert "gateway:***@127.0.0.1:9" in capsys.readouterr().err
