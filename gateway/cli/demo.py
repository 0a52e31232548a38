"""`gateway demo [--once] [--json]`: the main job for a newcomer (see gateway.demo.runner)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from gateway.cli.common import settings_from
from gateway.components import Components
from gateway.demo.report import collect, render_text
from gateway.demo.runner import DemoScenario, demo_data_dir, free_port, run_demo

__all__ = ["register", "scenarios"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="demo: een SWV met gesimuleerde scholen die echte aanvragen sturen")
    p.add_argument("--once", action="store_true", help="verstuur de reeks aanvragen, toon de uitkomst en stop")
    p.add_argument("--json", action="store_true", help="uitkomst als JSON (aantallen per uitkomst)")
    p.add_argument("--port", type=int, default=8080, help="poort van de gateway (0 = een vrije poort)")
    p.add_argument("--data-dir", type=Path, help="map voor de demo-opslag (wordt eerst leeggemaakt)")
    p.set_defaults(handler=_demo)


async def _demo_accounts(c: Components) -> list[Any]:
    try:
        from gateway.web.cli import create_demo_accounts
    except ModuleNotFoundError:
        return []
    return list(await create_demo_accounts(c.db, c.settings.swv_code))


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


async def _demo(args: argparse.Namespace) -> int:
    quiet = "warning" if args.json or args.once else None
    settings = settings_from(
        args, log_level=quiet, data_dir=demo_data_dir(args.data_dir), port=args.port or free_port()
    )
    scs = scenarios()
    ctx, c, runner = await run_demo(settings, scs)
    try:
        summary = await collect(c.db)
        if args.json:
            print(json.dumps({"gateway": ctx.gateway_url, **summary}, ensure_ascii=False, indent=2))
        else:
            print(f"Gateway draait op {ctx.gateway_url} (opslag: {ctx.settings.data_dir})")
            print(render_text(summary))
            for line in ctx.notes:
                print(line)
            accounts = await _demo_accounts(c)
            if accounts:
                print(f"\nWebpagina's: {ctx.gateway_url}/ — log in met een van deze demo-accounts")
                print(
                    '(voeg de TOTP-sleutel toe aan een authenticator-app, of: python -c "import pyotp; '
                    "print(pyotp.TOTP('<sleutel>').now())\"):"
                )
                for acc in accounts:
                    print("  " + acc.line())
        if not args.once and not args.json:
            print("\nDe gateway blijft draaien; stop met Ctrl-C.", file=sys.stderr)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
    finally:
        await runner.cleanup()
        for sc in scs:
            await sc.stop()
        await c.close()
    return 0
