"""The command line is a contract: its commands, options and Dutch help texts are locked, and bad input never
gives a traceback.

The contract (tests/contracts/cli_help.txt) is read from the parser's own description of every command, not
from argparse's --help layout, which changes between Python versions (3.13 wraps and lists options
differently): what a user can type and what it says, on every interpreter.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli.main import build_parser
from tests.conftest import REPO

SNAPSHOT = Path(__file__).resolve().parents[1] / "contracts" / "cli_help.txt"


def _choices(action: argparse.Action) -> str:
    return "{" + ",".join(str(c) for c in action.choices) + "}" if action.choices else ""


def _help(action: argparse.Action, prog: str) -> str:
    """The help text as the user reads it (argparse's %-placeholders filled in), without the layout."""
    text = action.help or ""
    if "%" in text:
        params = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
        params["choices"] = ", ".join(str(c) for c in action.choices) if action.choices else None
        text = text % {**params, "prog": prog}
    return " ".join(text.split())


def _metavar(action: argparse.Action) -> str | None:
    """The metavar as one string (argparse also allows a tuple, one name per value)."""
    return " ".join(action.metavar) if isinstance(action.metavar, tuple) else action.metavar


def _argument(action: argparse.Action, prog: str, exclusive: dict[int, str]) -> str:
    if action.option_strings:
        kind = "required option" if action.required else "option"
        takes = "" if action.nargs == 0 else " " + (_choices(action) or _metavar(action) or action.dest.upper())
        name = ", ".join(action.option_strings) + takes
    else:
        kind = "argument"
        name = _metavar(action) or action.dest
        if action.choices:
            name += " " + _choices(action)
    facts = []
    if action.nargs not in (None, 0):
        facts.append(f"nargs={action.nargs}")
    if action.default not in (None, False, argparse.SUPPRESS) and action.nargs != 0:
        facts.append(f"default={action.default}")
    if id(action) in exclusive:
        facts.append(exclusive[id(action)])
    detail = f" [{'; '.join(facts)}]" if facts else ""
    return f"  {kind} {name}{detail}: {_help(action, prog)}".rstrip()


def _command(parser: argparse.ArgumentParser) -> list[str]:
    """One command: what it says it does, its arguments and options, its subcommands."""
    lines = [f"== {parser.prog} =="]
    if parser.description:
        lines.append("  description: " + " ".join(parser.description.split()))
    if parser.epilog:
        lines.append("  epilog: " + " ".join(parser.epilog.split()))
    exclusive: dict[int, str] = {}
    for group in parser._mutually_exclusive_groups:
        names = " | ".join(
            a.option_strings[0] if a.option_strings else _metavar(a) or a.dest for a in group._group_actions
        )
        for a in group._group_actions:
            exclusive[id(a)] = f"{'one of' if group.required else 'at most one of'} {names}"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue  # argparse's own -h/--help (its English text is argparse's, not ours)
        if isinstance(action, argparse._SubParsersAction):
            lines.append(f"  commands {action.metavar or action.dest}:")
            helps = {a.dest: _help(a, parser.prog) for a in action._choices_actions}
            lines += [f"    {name}: {helps.get(name, '')}".rstrip() for name in action.choices]
            continue
        lines.append(_argument(action, parser.prog, exclusive))
    return lines


def _contract() -> str:
    lines: list[str] = []

    def walk(parser: argparse.ArgumentParser) -> None:
        lines.extend([*_command(parser), ""])
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for _, sub in sorted(action.choices.items()):
                    walk(sub)

    walk(build_parser())
    return "\n".join(lines)


def test_every_command_option_and_help_text_matches_the_locked_contract() -> None:
    current = _contract()
    if os.environ.get("GATEWAY_UPDATE_CONTRACTS") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")
    assert SNAPSHOT.read_text(encoding="utf-8") == current, (
        "the CLI changed: if on purpose, run GATEWAY_UPDATE_CONTRACTS=1 bin/test tests/core/test_cli.py"
    )


def test_the_contract_is_read_from_the_parser_not_from_the_help_layout() -> None:
    text = _contract()
    assert "usage:" not in text and "options:" not in text  # argparse's layout, which differs per version
    assert "  option --config BESTAND: instellingen in TOML (anders GATEWAY_CONFIG)" in text
    assert "    serve: start de gateway (HTTP-ingangen en verwerking)" in text


def test_help_lists_the_foundation_commands() -> None:
    text = build_parser().format_help()
    for command in ("serve", "demo", "db"):
        assert command in text


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["serve", "--port", "nope"], {}),
        (["db", "upgrade"], {"GATEWAY_PORT": "abc"}),
        (["--config", "/does/not/exist.toml", "db", "upgrade"], {}),
        (["no-such-command"], {}),
    ],
)
def test_bad_input_gives_a_message_and_exit_2_never_a_traceback(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=REPO,
        env={**os.environ, "GATEWAY_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "fout:" in proc.stderr


def test_a_port_in_use_gives_a_message_and_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
            cwd=REPO,
            env={**os.environ, "GATEWAY_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "al in gebruik" in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--config", "/etc/gateway.toml", "serve"],
        ["serve", "--config", "/etc/gateway.toml"],
        ["codes", "list", "--config", "/etc/gateway.toml"],
        ["--config", "/etc/gateway.toml", "codes", "list"],
    ],
)
def test_config_is_accepted_before_and_after_the_command(args: list[str]) -> None:
    assert build_parser().parse_args(args).config == "/etc/gateway.toml"


def test_config_after_the_command_wins_over_the_one_before_it() -> None:
    args = build_parser().parse_args(["--config", "a.toml", "db", "upgrade", "--config", "b.toml"])
    assert args.config == "b.toml"


def test_config_after_the_command_is_read(tmp_path: Path) -> None:
    data = tmp_path / "from-config"
    config = tmp_path / "gateway.toml"
    config.write_text(f'data_dir = "{data}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    proc = subprocess.run(
        [sys.executable, "-m", "gateway", "db", "upgrade", "--config", str(config)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (data / "gateway.db").is_file()
