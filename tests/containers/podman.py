"""Podman and podman-compose as the container tests use them (the machine has no Docker engine; CI installs
podman with ../shared/tools/containers/setup). Staged compose start-up and healthchecks run by hand, as that
setup's README says: podman 4.3 has no systemd timers here and cannot start services that depend on a
finished one-shot container."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from tests.containers.deploy_steps import BUILD  # docs/deploy.md, "Build"
from tests.support.watchdog import ProcessDied

__all__ = ["IMAGE", "Compose", "available", "build_image", "exited", "healthy", "podman"]

IMAGE = "localhost/swv-intake-gateway:latest"  # the name docker/compose.yaml uses (short: swv-intake-gateway)
REPO = Path(__file__).resolve().parents[2]
BASE_IMAGE = "localhost/python:3.11-slim-bookworm"


def _env() -> dict[str, str]:
    return {**os.environ, "BUILDAH_FORMAT": "docker"}  # keeps the image's HEALTHCHECK


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, env=_env(), check=False)
    if check and proc.returncode != 0:
        out = proc.stdout[-2000:] + proc.stderr[-2000:]
        raise RuntimeError(f"podman {' '.join(args)}: exit {proc.returncode}\n{out}")
    return proc


def available() -> str | None:
    """None when podman, podman-compose and the base image are here; else why not (one line)."""
    for tool in ("podman", "podman-compose"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (run ../shared/tools/containers/setup)"
    if podman("image", "exists", BASE_IMAGE, check=False).returncode != 0:
        return f"the base image {BASE_IMAGE} is missing (run ../shared/tools/containers/setup)"
    return None


def build_image(tag: str = IMAGE) -> float:
    """`podman build` of docker/Dockerfile from the repository root; the seconds it took."""
    started = time.monotonic()
    assert BUILD[-1] == "." and "swv-intake-gateway" in BUILD
    args = [tag if a == "swv-intake-gateway" else a for a in BUILD[1:-1]]
    podman(BUILD[0], "-q", "--pull=never", *args, str(REPO), timeout=900)
    return time.monotonic() - started


def exited(container: str, tail: int = 60) -> str | None:
    """None while the container runs (or is starting); otherwise how it ended: its state, exit code and the
    end of its log (a `tests.support.watchdog.watching` probe, and `healthy`'s check)."""
    out = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container, check=False).stdout
    state, _, code = out.strip().partition(" ")
    if state not in ("exited", "stopped", "dead"):
        return None
    logs = podman("logs", "--tail", str(tail), container, check=False)
    return f"{container} is {state} (exit code {code or '?'}):\n{logs.stdout}{logs.stderr}"


def healthy(container: str, within: float = 120.0) -> float:
    """Run the container's HEALTHCHECK until it passes; the seconds it took. Fails if the container exits."""
    started = time.monotonic()
    deadline = started + within
    last = ""
    while time.monotonic() < deadline:
        if (ended := exited(container, tail=30)) is not None:
            raise ProcessDied(ended)
        probe = podman("healthcheck", "run", container, check=False, timeout=30)
        if probe.returncode == 0:
            return time.monotonic() - started
        last = probe.stdout + probe.stderr
        time.sleep(1.0)
    logs = podman("logs", "--tail", "30", container, check=False)
    raise TimeoutError(f"{container} not healthy after {within} s: {last}\n{logs.stdout}{logs.stderr}")


class Compose:
    """podman-compose on one project (its own name, so its containers and volumes are its own)."""

    def __init__(self, project: str, files: Sequence[Path], cwd: Path) -> None:
        self.project = project
        self.files = list(files)
        self.cwd = cwd

    def __call__(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        cmd = ["podman-compose", "-p", self.project]
        for f in self.files:
            cmd += ["-f", str(f)]
        proc = subprocess.run(
            [*cmd, *args], cwd=self.cwd, capture_output=True, text=True, timeout=timeout, env=_env(), check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: exit {proc.returncode}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        return proc

    def exec_to_file(self, args: Sequence[str], path: Path, timeout: float = 300) -> int:
        """`<args: exec -T service command> > path` (binary output, e.g. a dump); the size written."""
        cmd = ["podman-compose", "-p", self.project]
        for f in self.files:
            cmd += ["-f", str(f)]
        with path.open("wb") as out:
            proc = subprocess.run(
                [*cmd, *args],
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.PIPE,
                timeout=timeout,
                env=_env(),
                check=False,
            )
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: exit {proc.returncode}\n{proc.stderr[-2000:]!r}")
        return path.stat().st_size

    def exec_from_file(self, args: Sequence[str], data: IO[bytes], timeout: float = 300) -> None:
        """`<args: exec -T service command> < data` (e.g. a restore)."""
        cmd = ["podman-compose", "-p", self.project]
        for f in self.files:
            cmd += ["-f", str(f)]
        proc = subprocess.run(
            [*cmd, *args],
            cwd=self.cwd,
            stdin=data,
            capture_output=True,
            timeout=timeout,
            env=_env(),
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: exit {proc.returncode}\n{proc.stderr[-2000:]!r}")

    def container(self, service: str) -> str:
        out = podman(
            "ps",
            "-a",
            "--filter",
            f"label=com.docker.compose.project={self.project}",
            "--filter",
            f"label=com.docker.compose.service={service}",
            "--format",
            "{{.Names}}",
        ).stdout.split()
        if len(out) != 1:
            raise RuntimeError(f"expected one container for {service} in {self.project}, found {out}")
        return out[0]

    def down(self) -> None:
        try:
            self("down", "-v", "-t", "5", timeout=180)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass  # best effort; the next run uses a new project name
