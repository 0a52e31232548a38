"""The Python versions we promise are the ones CI tests, and `PYTHON=` finds them as a new user would type them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import REPO


def _classified() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    prefix = "Programming Language :: Python :: "
    return {c.removeprefix(prefix) for c in project["classifiers"] if re.fullmatch(r"\d+\.\d+", c.removeprefix(prefix))}


def test_the_classifiers_list_the_versions_ci_tests() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    oldest = project["requires-python"].removeprefix(">=")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    newest = set(re.findall(r"find_python python(\d+\.\d+)", ci))
    assert "\nbin/test\n" in ci, "the whole suite runs on the default interpreter"
    assert _classified() == {oldest, *newest}
    assert oldest == "3.11" and newest == {"3.13"}


def _find(name: str, pyenv_root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f'source "{REPO}/bin/_python"; find_python "$0"', name],
        env={**os.environ, "PYENV_ROOT": str(pyenv_root)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_python_is_found_among_pyenvs_versions_when_not_on_path(tmp_path: Path) -> None:
    """pyenv's shim for a version that is installed but not selected answers 'command not found'; the
    bootstrap then takes the interpreter from pyenv's versions folder."""
    installed = tmp_path / "versions" / "3.99.1" / "bin"
    installed.mkdir(parents=True)
    (installed / "python3.99").symlink_to(sys.executable)

    found = _find("python3.99", tmp_path)

    assert found.returncode == 0 and found.stdout.strip() == str(installed / "python3.99")


def test_an_interpreter_that_is_nowhere_is_reported_missing(tmp_path: Path) -> None:
    assert _find("python3.98", tmp_path).returncode == 1
    assert _find("/no/such/python3", tmp_path).returncode == 1


def test_an_interpreter_on_path_is_given_as_itself() -> None:
    found = _find(sys.executable, Path("/nonexistent"))
    assert found.returncode == 0
    assert Path(found.stdout.strip()).resolve() == Path(sys.executable).resolve()
