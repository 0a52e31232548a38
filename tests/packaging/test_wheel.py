"""The wheel is complete: built from the sources alone, installed into a fresh virtual environment outside
the checkout, it checks a dossier and serves (web pages, ESIS OpenAPI, OSO WSDLs, migrations) — so
`pip install .` and the container image get a working gateway, not only an editable checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from adapters.parnassys.dossier_factory import write_dossier
from tests.conftest import REPO
from tests.reliability.harness import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# What a source distribution holds, and what docker/Dockerfile copies: nothing else may be needed.
SOURCES = ("pyproject.toml", "README.md", "gateway", "adapters", "verification", "schemas")


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv outside the checkout with only the wheel (and its dependencies from the package index)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, src / name)
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", base / "dist", src, cwd=base)
    (wheel,) = (base / "dist").glob("swv_intake_gateway-*.whl")
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=base)
    _run(venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel, cwd=base)
    return venv


def _clean_env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, "GATEWAY_DATA_DIR": str(data), **extra}


_PROBE = """
import gateway, schemas
from adapters.parnassys.wsdl import served_wsdl, types_xsd
from gateway.store.migrate import MIGRATIONS
print(gateway.__file__)
print(schemas.__file__)
print(MIGRATIONS)
assert "definitions" in served_wsdl("oso-swv.wsdl", "https://gw.example.nl/oso/swv")
assert "schema" in types_xsd()
assert sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py"))
"""


def test_the_installed_gateway_is_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    out = _run(installed / "bin" / "python", "-c", _PROBE, cwd=tmp_path, env=_clean_env(tmp_path))
    for line in out.split():
        assert line.startswith(str(installed)), line
        assert not line.startswith(str(REPO))


def test_the_installed_gateway_checks_a_generated_dossier(installed: Path, tmp_path: Path) -> None:
    good, bad = tmp_path / "goed.xml", tmp_path / "fout.xml"
    write_dossier(good)
    write_dossier(bad, mutation="bsn")
    proc = subprocess.run(
        [str(installed / "bin" / "gateway"), "dossier", "check", str(good), str(bad), "--json"],
        cwd=tmp_path,
        env=_clean_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr  # one valid, one invalid: the schema and the rules were found
    verdicts = {Path(v["file"]).name: v for v in map(json.loads, proc.stdout.splitlines())}
    assert verdicts["goed.xml"]["valid"] is True, verdicts["goed.xml"]
    assert verdicts["fout.xml"]["valid"] is False
    assert "PaO.LL12" in json.dumps(verdicts["fout.xml"])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:  # loopback only
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_installed_gateway_migrates_and_serves_until_ready(installed: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = _clean_env(data)
    _run(installed / "bin" / "gateway", "db", "upgrade", cwd=tmp_path, env=env, timeout=120)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(installed / "bin" / "gateway"), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        status = 0
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, _ = _get(base + "/health/ready")
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200, (tmp_path / "serve.log").read_text(errors="replace")[-3000:]
        status, page = _get(base + "/inloggen")  # a template
        assert status == 200 and b"<form" in page
        status, css = _get(base + "/static/gateway.css")  # a static file
        assert status == 200 and css
        status, spec = _get(base + "/esis/v1/openapi.yaml")  # the ESIS OpenAPI
        assert status == 200 and b"openapi" in spec
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()
