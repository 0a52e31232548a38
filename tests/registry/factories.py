"""Factories for the registry tests: stored mandates, CSV files, and the CLI run against the test store."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

from gateway.cli.main import main
from gateway.components import Components
from gateway.registry.mandates import replace_mandates
from verification.mandates import Mandaat, OsoSwvParties

PARTIES = OsoSwvParties()
TODAY = dt.date(2025, 9, 1)


def mandaat(brin4: str, system: str, start: dt.date = dt.date(2022, 8, 15), end: dt.date | None = None) -> Mandaat:
    party = PARTIES.parnassys if system == "ParnasSys" else PARTIES.kindkans
    return Mandaat(brin4, PARTIES.service_namespace, party.name, party.supplier_oin, start, end)


async def store_mandates(c: Components, brin4: str, systems: Iterable[str], *, bron: str = "osr") -> None:
    await replace_mandates(
        c.db, {brin4: [mandaat(brin4, s) for s in systems]}, bron=bron, parties=PARTIES, actor="test"
    )


def csv_bytes(*lines: str, header: str = "brin6;naam;gemeente;routeringskenmerk;schoolnaam;bestuur;las") -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def config_file(c: Components, tmp_path: Path, osr: dict[str, object] | None = None) -> Path:
    """A settings file pointing at the test store (and, when given, an ``[osr]`` section)."""
    lines = [f'data_dir = "{c.settings.data_dir}"', 'log_level = "warning"']
    if osr:
        lines.append("[osr]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in osr.items()]
    path = tmp_path / "gateway.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def run_cli(*argv: str) -> int:
    """`gateway.cli.main.main` runs its own event loop: run it in a thread while this loop keeps serving
    the simulators the test started."""
    return await asyncio.to_thread(main, list(argv))
