"""A real PostgreSQL server for the tests: the one named by GATEWAY_TEST_POSTGRES_URL, or a throw-away
cluster started from the local PostgreSQL binaries (initdb/pg_ctl) on a free loopback port.

When neither is possible the PostgreSQL tests are skipped — unless GATEWAY_TEST_REQUIRE_POSTGRES=1 (CI),
in which case they fail, so a green CI always means PostgreSQL really ran.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = ["postgres_server"]


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("GATEWAY_TEST_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (GATEWAY_TEST_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


@contextlib.contextmanager
def postgres_server(*, fsync: bool = False) -> Iterator[str]:
    """Yields an asyncpg URL of an empty database. A cluster of its own runs with ``fsync=off`` (fast) unless
    ``fsync`` asks for what production runs (the crash tests); a given URL is used as it is."""
    url = os.environ.get("GATEWAY_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        _unavailable("initdb/pg_ctl not found")
    run_as: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
    if os.geteuid() == 0:  # initdb refuses to run as root: use the postgres system user
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root and there is no 'postgres' user")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = tmp / "data", _free_port()
    try:
        subprocess.run(
            [*run_as, initdb, "-D", str(data), "-U", "gateway", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        durable = "on" if fsync else "off"
        opts = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync={durable} -c max_connections=200"
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-o", opts, "-l", str(tmp / "log"), "-w", "start"],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _unavailable(f"could not start a cluster: {exc.stderr.decode(errors='replace')[-500:]}")
    try:
        for _ in range(50):
            if (
                subprocess.run(
                    [
                        *run_as,
                        _bin("psql") or "psql",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "-U",
                        "gateway",
                        "-d",
                        "postgres",
                        "-c",
                        "CREATE DATABASE gateway_test",
                    ],
                    capture_output=True,
                ).returncode
                == 0
            ):
                break
            time.sleep(0.1)
        yield f"postgresql+asyncpg://gateway@127.0.0.1:{port}/gateway_test"
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
