"""`gateway …` — the command line. Each capability adds its commands through `register(subparsers)`.

Exit codes: 0 success, 1 a check found a problem, 2 unusable input or settings (a Dutch message, never a
traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import inspect
import sys
from collections.abc import Sequence
from typing import NoReturn

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
    "gateway.cli.blobs",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        from gateway.cli.argparse_nl import dutch

        print(f"fout: {dutch(message)}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gateway",
        description="Intake-gateway voor passend onderwijs: ontvangt hulpvragen uit ParnasSys (OSO-SWV) en ESIS.",
    )
    parser.add_argument("--config", metavar="BESTAND", help=_CONFIG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMANDO", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = __import__(name, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    _config_on_every_command(parser)
    return parser


_CONFIG_HELP = "instellingen in TOML (anders GATEWAY_CONFIG)"


def _config_on_every_command(parser: argparse.ArgumentParser) -> None:
    """`--config` is accepted before and after the (sub)command: `gateway --config X serve` and
    `gateway serve --config X` mean the same. On a command it defaults to SUPPRESS, so it only overrides the
    top-level value when given there."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for child in dict.fromkeys(action.choices.values()):  # aliases map to the same parser
            if not any("--config" in a.option_strings for a in child._actions):
                child.add_argument("--config", metavar="BESTAND", default=argparse.SUPPRESS, help=_CONFIG_HELP)
            _config_on_every_command(child)


def main(argv: Sequence[str] | None = None) -> int:
    if not faulthandler.is_enabled():
        faulthandler.enable()  # a crash in a C extension leaves a Python traceback on stderr, not just a signal
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2 if args.command is None else 0
    try:
        result = handler(args)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
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
