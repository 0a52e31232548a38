"""`gateway codes list|activate|revoke`: Dutch output, fingerprints only, clear errors without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli.main import main
from gateway.components import Components
from gateway.registry import codes

CODE = "27ZX00-de-wilg-code-voor-esis"


@pytest.fixture
def cli(components: Components, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    async def no_migration(_db: object) -> None:  # the test database is made by create_all
        return None

    monkeypatch.setattr("gateway.runtime.upgrade", no_migration)
    config = tmp_path / "gateway.toml"
    config.write_text(f'data_dir = "{components.settings.data_dir}"\nlog_level = "warning"\n', encoding="utf-8")
    return ["--config", str(config)]


async def _registered(c: Components) -> codes.CodeView:
    return await codes.register(c.db, "27ZX00", "esis-prod", CODE, "school", contact_email="ict@dewilg.example")


def _run(argv: list[str]) -> int:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # main() runs its own event loop
        return pool.submit(main, argv).result()


async def test_list_activate_revoke(cli: list[str], components: Components, capsys: pytest.CaptureFixture[str]) -> None:
    view = await _registered(components)
    assert _run([*cli, "codes", "list"]) == 0
    out = capsys.readouterr().out
    assert view.fingerprint in out and "aangemeld" in out and "wachten op activering" in out
    assert CODE not in out
    assert _run([*cli, "codes", "activate", str(view.id)]) == 0
    out = capsys.readouterr().out
    assert "is actief" in out and "ict@dewilg.example" in out
    assert _run([*cli, "codes", "revoke", str(view.id), "--reden", "school gestopt met ESIS"]) == 0
    assert "is ingetrokken" in capsys.readouterr().out
    assert _run([*cli, "codes", "list", "--status", "ingetrokken", "--brin4", "27ZX"]) == 0
    assert "school gestopt met ESIS" in capsys.readouterr().out


async def test_unknown_or_revoked_code_gives_a_dutch_error(
    cli: list[str], components: Components, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run([*cli, "codes", "activate", "999"]) == 2
    assert "fout: Er is geen verificatiecode met nummer 999." in capsys.readouterr().err
    view = await _registered(components)
    await codes.revoke(components.db, view.id, "test")
    assert _run([*cli, "codes", "activate", str(view.id)]) == 2
    err = capsys.readouterr().err
    assert "ingetrokken" in err and "Traceback" not in err
