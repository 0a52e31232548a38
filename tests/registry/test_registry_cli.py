"""`gateway registry list|add-school|add-vestiging|set-routering`: Dutch output, refusals on stderr with exit 2,
never a traceback."""

from __future__ import annotations

import pytest

from gateway.components import Components
from gateway.registry import service
from gateway.registry.koppelcheck import koppelcheck
from tests.registry.factories import run_cli, store_mandates
from tests.support.fakes import new_exchange
from verification.findings import fout


async def test_add_school_vestiging_and_routering(
    components: Components, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_cli(*cli, "registry", "add-school", "55AA", "OBS De Linde", "--las", "ParnasSys") == 0
    assert "School 55AA (OBS De Linde): toegevoegd." in capsys.readouterr().out
    assert await run_cli(*cli, "registry", "add-vestiging", "55AA01", "De Linde Lierop", "--gemeente", "Someren") == 0
    captured = capsys.readouterr()
    assert "scholenkring Asten, Someren, Deurne, coördinator Manon de Groot" in captured.out
    assert "let op:" in captured.err and "501" in captured.err
    assert await run_cli(*cli, "registry", "set-routering", "55AA01", "500") == 2
    err = capsys.readouterr().err
    assert "fout: Routeringskenmerk 500 hoort niet bij vestiging 55AA01" in err and "Traceback" not in err
    assert await run_cli(*cli, "registry", "set-routering", "55AA01", "501") == 0
    assert "routeringskenmerk 501" in capsys.readouterr().out
    assert await run_cli(*cli, "registry", "list", "--brin4", "55AA") == 0
    out = capsys.readouterr().out
    assert "55AA01  501" in out and "Manon de Groot" in out
    assert await run_cli(*cli, "registry", "set-routering", "55AA01", "--wissen") == 0
    assert "nog niet vastgelegd" in capsys.readouterr().out
    assert (v := await service.get_vestiging(components.db, "PO3008", "55AA01")) and v.routeringskenmerk is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add-vestiging", "99ZZ00", "X", "--gemeente", "Helmond"], "School 99ZZ is niet geregistreerd"),
        (["add-vestiging", "14SS05", "X", "--gemeente", "Tilburg"], "Kies een van: Asten, Boekel"),
        (["add-school", "ABCD", "X"], "geen geldige BRIN-code"),
        (["set-routering", "14SS00", "931"], "buiten de 500-reeks"),
    ],
)
async def test_refusals_go_to_stderr_with_exit_2(
    cli: list[str], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert await run_cli(*cli, "registry", *argv) == 2
    assert message in capsys.readouterr().err


async def test_koppelcheck_reads_the_store_on_both_databases(any_components: Components) -> None:
    c = any_components
    await store_mandates(c, "14SS", ("ParnasSys", "Kindkans"))
    await c.inbox.record_refusal(new_exchange("x1", brin6="14SS01"), [fout("PaO.LL12", "Het OPP ontbreekt.")])
    report = await koppelcheck(c, "14SS01")
    assert report.ready, report.to_dict()
    assert report.line("uitwisseling_1").message.endswith("geweigerd — Het OPP ontbreekt.")
    assert report.line("mandaat_vestiging").status.value == "ok"
