"""docs/deploy.md, "Containers": every command it shows is one the container tests run (deploy_steps.py), and
every step the tests take from it is shown — so the operator's path cannot drift from the tested one."""

from __future__ import annotations

import re

from tests.conftest import REPO
from tests.containers.deploy_steps import documented

DOC = REPO / "docs" / "deploy.md"


def _container_commands() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Containers") : text.index("## Order of start-up")]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_every_command_in_the_container_section_is_one_the_tests_run() -> None:
    shown = _container_commands()
    assert shown, "the Containers section has command blocks"
    assert [c for c in shown if c not in documented()] == []


def test_every_step_the_tests_run_is_in_the_container_section() -> None:
    assert documented() - set(_container_commands()) == set()
