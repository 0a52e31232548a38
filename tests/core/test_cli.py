"""The command line is a contract: its --help is locked, and bad input never gives a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli.main import build_parser
from tests.conftest import REPO

SNAPSHOT = Path(__file__).resolve().parents[1] / "contracts" / "cli_help.txt"


def _all_help() -> str:
    parser = build_parser()
    parts = [parser.format_help()]

    def walk(p: object, prefix: str) -> None:
        for action in getattr(p, "_actions", []):
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict):
                for name, sub in sorted(choices.items()):
                    parts.append(f"== {prefix}{name} ==\n{sub.format_help()}")
                    walk(sub, f"{prefix}{name} ")

    walk(parser, "")
    return "\n".join(parts)


def test_the_help_of_every_command_matches_the_locked_contract() -> None:
    current = _all_help()
    if os.environ.get("GATEWAY_UPDATE_CONTRACTS") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")
    assert SNAPSHOT.read_text(encoding="utf-8") == current, (
        "the CLI changed: if on purpose, run GATEWAY_UPDATE_CONTRACTS=1 bin/test tests/core/test_cli.py"
    )


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
