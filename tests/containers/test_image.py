"""The image: built from docker/Dockerfile, one container on SQLite answers /health/ready (its own
HEALTHCHECK passes), as the unprivileged user, on a read-only root filesystem, with no build tools inside."""

from __future__ import annotations

import urllib.request
import uuid

import pytest

from tests.containers.deploy_steps import RUN_ONE
from tests.containers.podman import healthy, podman
from tests.reliability.harness import free_port

pytestmark = [pytest.mark.container, pytest.mark.slow, pytest.mark.timeout(900)]


def test_one_container_on_sqlite_is_ready_as_non_root_on_a_read_only_root(image: str) -> None:
    name = f"gateway-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    # docs/deploy.md, "Build": the one-container command, on a free port and with a name to find it by
    run = [f"127.0.0.1:{port}:8080" if a == "127.0.0.1:8080:8080" else image if a == "swv-intake-gateway" else a
           for a in RUN_ONE]  # fmt: skip
    podman(run[0], "--name", name, *run[1:])
    try:
        healthy(name, within=120)  # the image's HEALTHCHECK (gateway-healthcheck) passes
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=5) as r:
            assert r.status == 200
            assert b'"database": "ok"' in r.read()
        assert podman("exec", name, "id", "-u").stdout.strip() == "10001"
        assert podman("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", name).stdout.strip() == "true"
        probe = podman("exec", name, "sh", "-c", "touch /opt/gateway/x", check=False)
        assert probe.returncode != 0 and "Read-only file system" in probe.stderr
        # SQLite on the data volume, the only writable place besides /tmp
        assert podman("exec", name, "test", "-s", "/var/lib/gateway/gateway.db").returncode == 0
        # the final stage holds the installed wheel only: no source tree, no pip in its venv, no compiler
        tools = podman("exec", name, "sh", "-c", "ls /src /opt/gateway/bin/pip; command -v gcc cc", check=False)
        assert tools.stdout.strip() == "", tools.stdout
        where = podman("exec", name, "python", "-c", "import gateway; print(gateway.__file__)").stdout
        assert where.startswith("/opt/gateway/lib/python3.11/site-packages/gateway/"), where
    finally:
        podman("rm", "-f", "-t", "2", name, check=False)
