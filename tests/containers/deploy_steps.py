"""The commands of docs/deploy.md, "Containers", as the container tests run them. `test_deploy_doc.py` checks
that the document shows exactly these (and nothing the tests do not run); `stack.py` and `test_image.py` run
them — shell lines verbatim, compose steps as `podman-compose` arguments (plus `--no-build` on `up`: the
image is built once, before)."""

from __future__ import annotations

__all__ = [
    "ARCHIVE_S3",
    "BUILD",
    "COMPOSE",
    "CONFIGURE",
    "CREATE_RESTORE_DB",
    "DUMP",
    "RECREATE_GATEWAYS",
    "RESTORE",
    "ROTATE",
    "RUN_ONE",
    "RUN_STACK",
    "START_GATEWAYS",
    "STOP_GATEWAYS",
    "UPGRADE_MIGRATE",
    "documented",
    "up",
]

GATEWAYS = ("gateway-1", "gateway-2", "worker")
COMPOSE = "docker compose -f docker/compose.yaml"

# docker build / docker run (test_image.py runs them with podman; the port is a free one there)
BUILD = ("build", "-f", "docker/Dockerfile", "-t", "swv-intake-gateway", ".")
RUN_ONE = ("run", "-d", "--read-only", "--tmpfs", "/tmp", "-p", "127.0.0.1:8080:8080", "swv-intake-gateway")

# "Configure" and "Rotate the blob key": shell lines, run verbatim from the directory that holds docker/
CONFIGURE = (
    "cp docker/gateway.env.example docker/gateway.env",
    "cp docker/seaweedfs/s3.example.json docker/seaweedfs/s3.json",
    "cp docker/postgres_password.example docker/postgres_password",
    "python3 -c \"import os,base64;print('2026-01=' + base64.b64encode(os.urandom(32)).decode())\" > docker/blob_keys",
)
ROTATE = (
    "python3 -c \"import os,base64;print('2026-07=' + base64.b64encode(os.urandom(32)).decode())\" >> docker/blob_keys",
    "sed -i 's/^GATEWAY_BLOBS__KEY_ID=.*/GATEWAY_BLOBS__KEY_ID=2026-07/' docker/gateway.env",
)

# compose steps (arguments after `docker compose -f docker/compose.yaml`)
RUN_STACK = ("up", "-d")  # podman 4.3: in stages, see deploy.md and stack.py
UPGRADE_MIGRATE = ("up", "-d", "--no-deps", "--force-recreate", "migrate")
RECREATE_GATEWAYS = ("up", "-d", "--no-deps", "--force-recreate", *GATEWAYS)
STOP_GATEWAYS = ("stop", *GATEWAYS)
START_GATEWAYS = ("start", *GATEWAYS)
DUMP = ("exec", "-T", "postgres", "pg_dump", "-U", "gateway", "-Fc", "gateway")  # > gateway.dump
ARCHIVE_S3 = ("exec", "-T", "s3", "tar", "-C", "/data", "-czf", "-", ".")  # > s3-data.tar.gz
CREATE_RESTORE_DB = ("exec", "-T", "postgres", "createdb", "-U", "gateway", "restored")
RESTORE = ("exec", "-T", "postgres", "pg_restore", "-U", "gateway", "-d", "restored", "--no-owner")  # < gateway.dump


def documented() -> set[str]:
    """Every command line the document may show, as it shows it."""
    compose = {
        RUN_STACK: "",
        UPGRADE_MIGRATE: "",
        RECREATE_GATEWAYS: "",
        STOP_GATEWAYS: "",
        START_GATEWAYS: "",
        DUMP: " > gateway.dump",
        ARCHIVE_S3: " > s3-data.tar.gz",
        CREATE_RESTORE_DB: "",
        RESTORE: " < gateway.dump",
    }
    lines = {f"{COMPOSE} {' '.join(args)}{suffix}" for args, suffix in compose.items()}
    lines |= {"docker " + " ".join(BUILD), "docker " + " ".join(RUN_ONE), *CONFIGURE, *ROTATE}
    return lines


def up(args: tuple[str, ...]) -> tuple[str, ...]:
    """A compose `up` step as the tests run it: without building (the image was built before)."""
    return (args[0], "--no-build", *args[1:]) if args[:1] == ("up",) else args
