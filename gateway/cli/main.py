"""`gateway …` — the command line. Each capability adds its commands through `register(subparsers)`.

Exit codes: 0 success, 1 a check found a problem, 2 unusable input or settings (a Dutch message, never a
traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
from collections.abc import Sequence

from gateway.errors import ConfigError, GatewayError

__all__ = ["build_parser", "main"]

# Modules that add commands; the optional ones belong to capabilities that may not be in every build.
COMMAND_MODULES = (
    "gateway.cli.serve",
    "gateway.cli.db",
    "gateway.cli.demo",
    "gateway.dossier.cli",
    "gateway.registry.cli",
    "adapters.osr.cli",
    "adapters.esis.cli",
    "gateway.web.cli",
    "gateway.cli.purge",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        from gateway.cli.argparse_nl import dutch

        print(f"fout: {dutch(message)}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gateway",
        description="Intake-gateway voor passend onderwijs: ontvangt hulpvragen uit ParnasSys (OSO-SWV) en ESIS.",
    )
    parser.add_argument("--config", metavar="BESTAND", help="instellingen in TOML (anders GATEWAY_CONFIG)")
    sub = parser.add_subparsers(dest="command", metavar="COMMANDO", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = __import__(name, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2 if args.command is None else 0
    try:
        result = handler(args)
        if inspect.isawaitable(result):
            result = asyncio.run(result)  # type: ignore[arg-type]
        return int(result or 0)
    except ConfigError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        return 2
    except GatewayError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gestopt", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
