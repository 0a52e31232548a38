"""`gateway demo [--once] [--json] [--verbose]`: the main job for a newcomer (see gateway.demo.runner).

The terminal tells the story (what was sent, what was accepted or refused and why, how to log in, what to
try); the gateway's own log lines go to ``<data-dir>/gateway.log`` (``--verbose`` shows them too). With
``--once`` (and always with ``--json``) the gateway stops after the batch and the output says so; without
it, the last line says where it keeps serving. ``--json`` prints the shape of
``schemas/demo/summary.schema.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shlex
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from gateway.cli.common import settings_from
from gateway.components import Components
from gateway.demo.report import collect, render_text
from gateway.demo.runner import (
    DemoContext,
    DemoScenario,
    PortReservation,
    demo_data_dir,
    reset_data_dir,
    run_demo,
)
from gateway.logging import configure_logging
from gateway.settings import Settings

__all__ = ["LOG_FILE", "gateway_command", "register", "scenarios"]

LOG_FILE = "gateway.log"  # in the demo's data directory
SUMMARY_SCHEMA = "demo-summary/1"  # the "schema" field of --json; schemas/demo/summary.schema.json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="demo: een SWV met gesimuleerde scholen die echte aanvragen sturen")
    p.add_argument("--once", action="store_true", help="verstuur de reeks aanvragen, toon de uitkomst en stop")
    p.add_argument(
        "--json", action="store_true", help="uitkomst als JSON (schemas/demo/summary.schema.json); stopt daarna"
    )
    p.add_argument("--verbose", action="store_true", help="toon ook het logboek van de gateway in de terminal")
    p.add_argument(
        "--port", type=int, help="poort van de gateway (standaard GATEWAY_PORT of 8080; 0 = een vrije poort)"
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        help="map voor de demo-opslag (standaard demo-data; leeggemaakt bij elke start, op de accountsleutel na)",
    )
    p.set_defaults(handler=_demo)


def scenarios() -> list[DemoScenario]:
    """The simulated outside systems that take part, in order. Imported here: the CLI is a composition root."""
    found: list[DemoScenario] = []
    for module in ("adapters.parnassys.demo", "adapters.esis.demo"):
        try:
            mod = __import__(module, fromlist=["scenario"])
        except ModuleNotFoundError as exc:
            if exc.name is not None and module.startswith(exc.name):
                continue
            raise
        found.append(mod.scenario())
    return found


def gateway_command() -> str:
    """How to run this CLI from where the user stands: ``bin/gateway`` in the checkout, else ``gateway``."""
    script = Path(__file__).resolve().parents[2] / "bin" / "gateway"
    if not script.is_file():
        return "gateway"
    try:
        return str(script.relative_to(Path.cwd().resolve()))
    except ValueError:
        return shlex.quote(str(script))


class _Tee:
    """The log stream of ``--verbose``: the log file and the terminal."""

    def __init__(self, *streams: TextIO) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for s in self.streams:
            s.write(text)
        return len(text)

    def flush(self) -> None:
        for s in self.streams:
            s.flush()

    def isatty(self) -> bool:
        return False


async def _demo(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {"data_dir": demo_data_dir(args.data_dir)}
    port = PortReservation() if args.port == 0 else None
    if args.port is not None:
        overrides["port"] = port.port if port is not None else args.port
    try:
        return await _demo_on(args, settings_from(args, **overrides), port)
    finally:
        if port is not None:
            port.release()  # when the demo stopped before its gateway bound it


async def _demo_on(args: argparse.Namespace, settings: Settings, port: PortReservation | None) -> int:
    reset_data_dir(settings.data_dir)
    log_file = settings.data_dir / LOG_FILE
    with log_file.open("a", encoding="utf-8", buffering=1) as log:
        stream: Any = _Tee(log, sys.stderr) if args.verbose else log
        configure_logging(settings.log_format, settings.log_level, stream=stream)
        root = logging.getLogger()  # aiohttp's and asyncio's own lines: into the same stream
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
        root.addHandler(handler)
        try:
            return await _run(args, settings, log_file, port)
        finally:
            root.removeHandler(handler)


async def _demo_accounts(c: Components) -> list[Any]:
    try:
        from gateway.web.cli import create_demo_accounts, demo_key
    except ModuleNotFoundError:
        return []
    return list(await create_demo_accounts(c.db, c.settings.swv_code, key=demo_key(c.settings.data_dir)))


async def _run(args: argparse.Namespace, settings: Settings, log_file: Path, port: PortReservation | None) -> int:
    serve = not (args.once or args.json)
    if not args.json:
        where = "ook hier in de terminal (--verbose)" if args.verbose else "--verbose toont het ook hier"
        print(
            f"Demo van de intake-gateway voor SWV {settings.swv_code}: de gateway start, gesimuleerde scholen "
            "sturen een reeks aanvragen (ongeveer 10 seconden).\n"
            f"Opslag van de demo: {settings.data_dir} (database gateway.db, bijlagen in blobs/).\n"
            f"Logboek van de gateway: {log_file} ({where}).",
            flush=True,
        )
    scs = scenarios()
    ctx, c, runner = await run_demo(settings, scs, fresh=False, port=port)
    stopped = False
    try:
        accounts = await _demo_accounts(c)
        summary = await collect(c.db)
        if args.json:
            print(json.dumps(_document(ctx, summary, accounts, log_file), ensure_ascii=False, indent=2))
            return 0
        print(_story(ctx, summary))
        if not serve:
            await _stop(runner, scs, c)
            stopped = True
            print(
                "\nKlaar: de gateway is weer gestopt (--once). Start 'bin/gateway demo' zonder --once om de "
                "webpagina's te openen en de curl-voorbeelden te proberen."
            )
            return 0
        print(_while_serving(ctx, accounts))
        print(f"\nDe gateway draait op {ctx.gateway_url} — stop met Ctrl-C.", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        print("De gateway is gestopt.", file=sys.stderr)
    finally:
        if not stopped:
            await _stop(runner, scs, c)
    return 0


async def _stop(runner: Any, scs: list[DemoScenario], c: Components) -> None:
    await runner.cleanup()
    for sc in scs:
        await sc.stop()
    await c.close()


# door refusals the ESIS adapter does not record: no authenticated sender (adapters/esis/door.py)
_NOT_RECORDED = frozenset({401, 429})


def _story(ctx: DemoContext, summary: dict[str, Any]) -> str:
    lines = [render_text(summary)]
    n = len(ctx.door_refusals)
    if n:
        what = "is 1 aanvraag" if n == 1 else f"zijn {n} aanvragen"
        lines += [
            "",
            f"Daarnaast {what} direct aan de deur geweigerd met een HTTP-fout. Met een geldige verificatiecode staat "
            "de weigering in de wachtrij (hierboven), zonder de inhoud van de aanvraag; zonder geldige code is er "
            "niets van opgeslagen:",
        ]
        for r in ctx.door_refusals:
            kept = "in de wachtrij" if r["status"] not in _NOT_RECORDED else "niets opgeslagen"
            lines.append(f"  {r['source']:<9} {r['status']}  {r['request']} ({kept})")
            lines.append(f"        [{r['code'] or '-'}] {r['message'] or '(geen toelichting)'}")
    lines += ["", *ctx.notes]
    return "\n".join(lines)


def _login_command(ctx: DemoContext, organisatie: str, gebruiker: str) -> str:
    env = "" if ctx.settings.database_url else f"GATEWAY_DATA_DIR={shlex.quote(str(ctx.settings.data_dir))} "
    return f"{env}{gateway_command()} users totp {shlex.quote(organisatie)} {shlex.quote(gebruiker)}"


def _while_serving(ctx: DemoContext, accounts: list[Any]) -> str:
    url = ctx.gateway_url
    lines = [""]
    if ctx.ca_file is not None:
        lines.append(
            f"Test-CA van deze demo (nieuw bij elke start): {ctx.ca_file} — curl gebruikt hem met --cacert (zoals "
            "hieronder); vertrouw hem in de browser door ca.pem te importeren als certificaatautoriteit, of "
            "accepteer de waarschuwing."
        )
    lines.append(f"Webpagina's: {url}/ — begin bij de wachtrij: {url}/wachtrij")
    if accounts:
        first = accounts[0]
        lines.append(
            "Inloggen: organisatie, gebruiker en wachtwoord hieronder, plus de code van dit moment, die dit "
            "commando toont:"
        )
        lines.append(f"  {_login_command(ctx, first.organisatie, first.gebruikersnaam)}")
        lines.append("  (voor een ander account: dezelfde regel met diens organisatie en gebruiker)")
        lines += [f"  {acc.line()}" for acc in accounts]
        lines.append(
            f"  De demo-accounts staan in {ctx.settings.data_dir / 'gateway.db'}; hun codes (en de sleutel in een "
            f"authenticator-app) blijven gelijk zolang {ctx.settings.data_dir / 'demo-accounts.key'} bestaat."
        )
    if ctx.try_lines:
        lines += ["Probeer zelf (kopieer een regel):", *[f"  {line}" for line in ctx.try_lines]]
    return "\n".join(lines)


def _document(ctx: DemoContext, summary: dict[str, Any], accounts: list[Any], log_file: Path) -> dict[str, Any]:
    """The --json output (schemas/demo/summary.schema.json). Never a password or a TOTP secret."""
    return {
        "schema": SUMMARY_SCHEMA,
        "gateway": ctx.gateway_url,
        "running": False,
        "data_dir": str(ctx.settings.data_dir),
        "log_file": str(log_file),
        "ca_file": str(ctx.ca_file) if ctx.ca_file is not None else None,
        "accounts": [
            {
                "role": a.role,
                "organisatie": a.organisatie,
                "gebruikersnaam": a.gebruikersnaam,
                "login_code_command": _login_command(ctx, a.organisatie, a.gebruikersnaam),
            }
            for a in accounts
        ],
        "requests": ctx.requests,
        "door_refusals": ctx.door_refusals,
        "simulators": ctx.simulators,
        **summary,
    }
