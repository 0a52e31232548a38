"""The compose stack under load: docker/compose.yaml as an operator fills it in (docs/deploy.md), brought up
with podman-compose — PostgreSQL, SeaweedFS S3, `migrate`, two intake gateways and one worker gateway, blobs
encrypted — and driven from outside the containers by the project's own simulators: ParnasSys senders over
mTLS (tests/reliability/sender.py, the simulated OSR / Traffic Center / LAS on loopback) and the ESIS client
(adapters/esis/simulator.py). Mid-run gateway containers are killed (`podman kill`) and started again.

The gateways run on the host network (a test override, `stack.override.yaml` written next to the copy of the
compose file) so that they reach the simulators on loopback; PostgreSQL and S3 stay on the compose network and
are published on free loopback ports for the checks, which read the store as the gateways wrote it.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import subprocess
import tarfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from adapters.esis.simulator import Document, EsisSimulator, aanvraag, pdf_document
from adapters.parnassys.simulator.world import start_world
from gateway.components import build_components
from gateway.inbox.inbox import ACTIVE_STATES
from gateway.registry import codes
from gateway.settings import load_settings
from gateway.store.blob_crypto import MAGIC
from gateway.store.db import Database
from gateway.store.models import Exchange, OutboxMessage
from gateway.store.seed import seed_demo_registry, seed_swv
from tests.containers import deploy_steps as steps
from tests.containers.podman import REPO, Compose, exited, healthy, podman
from tests.reliability.harness import StoreReport, free_port, store_report, write_toml
from tests.reliability.sender import NotificatieSender
from tests.support.watchdog import watching

__all__ = ["StackConfig", "StackReport", "prepare_compose_dir", "run_stack"]

ESIS_BRIN6 = "27ZX00"  # a demo ESIS vestiging (gateway.store.seed)
ESIS_CODE = "27ZX00-stack-test-verificatiecode"
GATEWAYS = ("gateway-1", "gateway-2", "worker")


@dataclass(frozen=True)
class StackConfig:
    exchanges: int = 300  # OSO-SWV notificaties
    esis: int = 50  # ESIS aanvragen
    concurrency: int = 12
    kills: tuple[tuple[str, float], ...] = (("gateway-1", 0.3), ("worker", 0.6))  # service, share acknowledged
    drain_timeout: float = 240.0
    after_operations: int = 30  # exchanges sent after the back-up, the upgrade and the key rotation (0: skip)


@dataclass
class StackReport:
    config: StackConfig
    seconds_up: float = 0.0  # compose up (staged) until every gateway is healthy
    seconds_load: float = 0.0  # first notificatie until everything is processed
    acknowledged: int = 0
    notificatie_calls: int = 0
    sender_errors: dict[str, int] = field(default_factory=dict)
    esis_accepted: int = 0
    esis_calls: int = 0
    esis_errors: dict[str, int] = field(default_factory=dict)
    kills: list[str] = field(default_factory=list)
    kills_mid_run: int = 0
    lost: list[str] = field(default_factory=list)
    doubled: int = 0
    bijlagen_wrong: list[str] = field(default_factory=list)
    afmeldingen_missing: list[str] = field(default_factory=list)
    afmeldingen_twice: list[str] = field(default_factory=list)
    tc_sessions: int = 0  # sessions opened at the Traffic Center (overdracht)
    tc_sessions_open: int = 0  # of those, never closed (an attempt killed between overdracht and its commit)
    esis_hulpvragen: int = 0
    store: StoreReport | None = None
    # docs/deploy.md's operations, run after the load: back-up, upgrade (migrate + recreate), key rotation
    backup_bytes: dict[str, int] = field(default_factory=dict)  # file → size
    backup_magic: bytes = b""
    backup_s3_files: int = 0
    restored_hulpvragen: int = -1  # hulpvragen in a database restored from the dump
    seconds_operations: float = 0.0
    final: StoreReport | None = None  # the store after the operations and `after_operations` more exchanges
    final_acknowledged: int = 0
    final_lost: list[str] = field(default_factory=list)
    key_ids: dict[str, int] = field(default_factory=dict)  # stored objects per blob key id ("plaintext": none)

    def summary(self) -> dict[str, Any]:
        s = self.store
        return {
            "exchanges": self.config.exchanges,
            "esis": self.config.esis,
            "seconds_up": round(self.seconds_up, 1),
            "seconds_load": round(self.seconds_load, 1),
            "acknowledged": self.acknowledged,
            "notificatie_calls": self.notificatie_calls,
            "sender_errors": self.sender_errors,
            "esis_accepted": self.esis_accepted,
            "esis_calls": self.esis_calls,
            "esis_errors": self.esis_errors,
            "kills": self.kills,
            "kills_mid_run": self.kills_mid_run,
            "hulpvragen": s.hulpvragen if s else None,
            "esis_hulpvragen": self.esis_hulpvragen,
            "exchanges_per_state": dict(s.exchanges) if s else None,
            "bijlagen": s.bijlagen if s else None,
            "bijlagen_bad_hash": len(s.bijlagen_bad_hash) if s else None,
            "lost": len(self.lost),
            "doubled": self.doubled,
            "bijlagen_wrong": len(self.bijlagen_wrong),
            "afmeldingen_missing": len(self.afmeldingen_missing),
            "afmeldingen_twice": len(self.afmeldingen_twice),
            "tc_sessions": self.tc_sessions,
            "tc_sessions_left_open": self.tc_sessions_open,
            "outbox": dict(s.outbox) if s else None,
            "backup_bytes": self.backup_bytes,
            "restored_hulpvragen": self.restored_hulpvragen,
            "seconds_operations": round(self.seconds_operations, 1),
            "final_exchanges_per_state": dict(self.final.exchanges) if self.final else None,
            "final_lost": len(self.final_lost),
            "key_ids": self.key_ids,
        }


# -- the compose directory, filled in as docs/deploy.md says ---------------------------------------------------


def _sh(command: str, cwd: Path) -> None:
    subprocess.run(["bash", "-euc", command], cwd=cwd, check=True, timeout=60)


def prepare_compose_dir(target: Path, *, db_password: str, s3_key: str, s3_secret: str) -> Path:
    """A copy of docker/ with its secret files made by the commands of docs/deploy.md ("Configure")."""
    docker = target / "docker"
    shutil.copytree(
        REPO / "docker",
        docker,
        ignore=shutil.ignore_patterns("gateway.env", "blob_keys", "postgres_password", "*.json"),
    )
    (docker / "seaweedfs").mkdir(exist_ok=True)
    shutil.copy2(REPO / "docker" / "seaweedfs" / "s3.example.json", docker / "seaweedfs" / "s3.example.json")
    for line in steps.CONFIGURE:  # docs/deploy.md, "Configure" (from the directory that holds docker/)
        _sh(line, target)
    # "… and fill in every CHANGE-ME": what an operator types, done by replacing the placeholders
    replacements = {
        "CHANGE-ME-db-password": db_password,
        "CHANGE-ME-access-key": s3_key,
        "CHANGE-ME-secret-key-at-least-32-characters": s3_secret,
        "CHANGE-ME-metrics-token": base64.urlsafe_b64encode(os.urandom(24)).decode(),
    }
    for name in ("gateway.env", "seaweedfs/s3.json", "postgres_password"):
        path = docker / name
        text = path.read_text(encoding="utf-8")
        for old, new in replacements.items():
            text = text.replace(old, new)
        assert "CHANGE-ME" not in text, f"{name} still holds a placeholder"
        path.write_text(text, encoding="utf-8")
    for path in docker.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # bind-mounted secrets, read by uid 10001 / postgres
    return docker


def _env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


def _override(
    docker: Path, *, pg_port: int, s3_port: int, ports: dict[str, int], world: Path, db_password: str
) -> Path:
    common = {
        "GATEWAY_DATABASE_URL": f"postgresql+asyncpg://gateway:{db_password}@127.0.0.1:{pg_port}/gateway",
        "GATEWAY_BLOBS__ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "GATEWAY_CONFIG": str(world / "gateway.toml"),
        "GATEWAY_HOST": "127.0.0.1",
    }

    def env(extra: dict[str, str]) -> str:
        return "".join(f"      {k}: '{v}'\n" for k, v in {**common, **extra}.items())

    lines = [
        "services:",
        "  postgres:",
        f"    ports: ['127.0.0.1:{pg_port}:5432']",
        "  s3:",
        f"    ports: ['127.0.0.1:{s3_port}:8333']",
        "  migrate:",
        "    network_mode: host",
        f"    volumes: ['{world}:{world}:ro']",
        "    environment:",
        env({}).rstrip("\n"),
    ]
    for service, port in ports.items():
        lines += [
            f"  {service}:",
            "    network_mode: host",
            "    ports: !reset []",
            f"    volumes: ['{world}:{world}:ro']",
            "    environment:",
            env({"GATEWAY_PORT": str(port)}).rstrip("\n"),
        ]
    path = docker / "stack.override.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- the run ---------------------------------------------------------------------------------------------------


async def _active(db: Database) -> int:
    async with db.reader() as s:
        stmt = select(func.count()).select_from(Exchange).where(col(Exchange.state).in_(ACTIVE_STATES))
        return int((await s.exec(stmt)).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _outbox_waiting(db: Database) -> int:
    async with db.reader() as s:
        stmt = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.state) == "wachtend")
        return int((await s.exec(stmt)).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _esis_exchanges(db: Database) -> Counter[str]:
    async with db.reader() as s:
        stmt = (
            select(col(Exchange.state), func.count())
            .where(col(Exchange.key).startswith("esis:"))
            .group_by(Exchange.state)
        )
        return Counter({str(st): int(n) for st, n in (await s.exec(stmt)).all()})  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _send_esis(base_urls: list[str], ca: Path, n: int, report: StackReport) -> None:
    """``n`` new aanvragen, each with two documents, alternating between the intake gateways; a call that
    fails (a gateway down) is sent again, same aanvraag, same Idempotency-Key, to the next gateway."""
    clients = [EsisSimulator(url, ESIS_CODE, ca_file=str(ca)) for url in base_urls]
    for client in clients:
        await client.__aenter__()
    errors: Counter[str] = Counter()
    try:
        sem = asyncio.Semaphore(4)

        async def one(i: int) -> None:
            docs = [
                Document(f"OPP-stack-{i}.pdf", pdf_document(f"OPP {i}"), soort="opp", content_type="application/pdf"),
                Document(f"Verslag-stack-{i}.pdf", pdf_document(f"Verslag {i}"), content_type="application/pdf"),
            ]
            body = aanvraag(ESIS_BRIN6, aanvraag_id=f"STACK-{i}", leerlingid=f"STACK-{i}", documenten=docs)
            async with sem:
                for attempt in range(60):
                    report.esis_calls += 1
                    r = await clients[(i + attempt) % len(clients)].create(body, docs, idempotency_key=f"stack-{i}")
                    if r.status == 202:
                        report.esis_accepted += 1
                        return
                    errors[str(r.code or r.status)] += 1
                    await asyncio.sleep(0.5)
                errors["gave_up"] += 1

        await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)
        report.esis_errors = dict(errors)


def _key_ids(env: dict[str, str], s3_port: int) -> dict[str, int]:
    """Objects in the bucket per key id of their sealed header (``plaintext`` if not sealed)."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{s3_port}",
        aws_access_key_id=env["GATEWAY_BLOBS__ACCESS_KEY_ID"],
        aws_secret_access_key=env["GATEWAY_BLOBS__SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    bucket = env["GATEWAY_BLOBS__BUCKET"]
    out: Counter[str] = Counter()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            head = s3.get_object(Bucket=bucket, Key=obj["Key"], Range="bytes=0-63")["Body"].read()
            if head.startswith(MAGIC):
                out[head[5 : 5 + head[4]].decode()] += 1
            else:
                out["plaintext"] += 1
    return dict(out)


async def _drain(db: Database, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await _active(db) == 0 and await _outbox_waiting(db) == 0:
            return
        await asyncio.sleep(0.5)


async def _run_migrate(compose: Compose) -> None:
    compose(*steps.up(steps.UPGRADE_MIGRATE))
    migrate = compose.container("migrate")
    code = (await asyncio.to_thread(podman, "wait", migrate, timeout=180)).stdout.strip()
    if code != "0":
        logs = podman("logs", migrate, check=False)
        raise RuntimeError(f"migrate exited with {code}:\n{logs.stdout}{logs.stderr}")


def _backup(compose: Compose, backup: Path, report: StackReport) -> None:
    """docs/deploy.md "Back up", with the gateways stopped: the database first, then the object store."""
    backup.mkdir()
    dump = backup / "gateway.dump"
    report.backup_bytes["gateway.dump"] = compose.exec_to_file(steps.DUMP, dump)
    report.backup_magic = dump.read_bytes()[:5]
    archive = backup / "s3-data.tar.gz"
    report.backup_bytes["s3-data.tar.gz"] = compose.exec_to_file(steps.ARCHIVE_S3, archive)
    with tarfile.open(archive) as tar:
        report.backup_s3_files = sum(1 for m in tar.getmembers() if m.isfile())
    # the dump restores: into a second database of the same server, then count its hulpvragen
    compose(*steps.CREATE_RESTORE_DB)
    with dump.open("rb") as data:
        compose.exec_from_file(steps.RESTORE, data)
    count = compose("exec", "-T", "postgres", "psql", "-U", "gateway", "-d", "restored", "-tAc",
                    "SELECT count(*) FROM hulpvraag")  # fmt: skip
    report.restored_hulpvragen = int(count.stdout.strip())


async def _operations(compose: Compose, docker: Path, backup: Path, report: StackReport) -> None:
    """docs/deploy.md "Back up" (cold: gateways stopped), "Upgrade" (migrate, then recreate the gateways) and
    "Rotate the blob key" (a new key line, the new KEY_ID, recreate the gateways)."""
    started = time.monotonic()
    compose(*steps.STOP_GATEWAYS)
    await asyncio.to_thread(_backup, compose, backup, report)
    compose(*steps.START_GATEWAYS)
    # docs/deploy.md, "Rotate the blob key": a new key next to the old one, new blobs sealed with it
    await asyncio.to_thread(_sh, "\n".join(steps.ROTATE), docker.parent)
    await _run_migrate(compose)  # the upgrade's migration (a no-op when the schema is current)
    compose(*steps.up(steps.RECREATE_GATEWAYS))
    await asyncio.gather(*(asyncio.to_thread(healthy, compose.container(s), 180) for s in GATEWAYS))
    report.seconds_operations = time.monotonic() - started


async def run_stack(cfg: StackConfig, work: Path, image: str) -> StackReport:
    report = StackReport(cfg)
    db_password = uuid.uuid4().hex
    s3_key, s3_secret = "gateway-" + uuid.uuid4().hex[:8], uuid.uuid4().hex + uuid.uuid4().hex
    docker = prepare_compose_dir(work, db_password=db_password, s3_key=s3_key, s3_secret=s3_secret)
    world_dir = work / "world"
    world = await start_world(world_dir, tls=False)  # the gateway's own endpoint is TLS with client certs
    ports = {name: free_port() for name in GATEWAYS}
    pg_port, s3_port = free_port(), free_port()
    tls = world.tls_settings()
    write_toml(
        world_dir / "gateway.toml",
        {
            "lease_seconds": 5.0,
            "poll_interval": 0.1,
            "retry_base_seconds": 0.2,
            "retry_max_seconds": 1.0,
            "log_level": "warning",
            **{k: str(v) for k, v in tls.items()},
        },
        world.sections(),
    )
    for path in [world_dir, *world_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # test-only keys, read by the gateway's uid 10001
    override = _override(
        docker, pg_port=pg_port, s3_port=s3_port, ports=ports, world=world_dir, db_password=db_password
    )
    compose = Compose(f"gwtest{uuid.uuid4().hex[:8]}", [docker / "compose.yaml", override], cwd=work)
    host_env = {
        **_env_file(docker / "gateway.env"),
        "GATEWAY_DATABASE_URL": f"postgresql+asyncpg://gateway:{db_password}@127.0.0.1:{pg_port}/gateway",
        "GATEWAY_BLOBS__ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "GATEWAY_BLOBS__KEYS_FILE": str(docker / "blob_keys"),
        "GATEWAY_DATA_DIR": str(work / "checks"),
    }
    checks = build_components(load_settings(environ=host_env))
    db = checks.db
    try:
        started = time.monotonic()
        # the staged start-up of ../shared/tools/containers/README.md (podman-compose 4.3 here)
        compose("up", "-d", "--no-build", "postgres", "s3")
        for service in ("postgres", "s3"):
            await asyncio.to_thread(healthy, compose.container(service), 120)
        await _run_migrate(compose)
        # the SWV and its schools (an operator: `gateway registry import`), the ESIS school's verificatiecode
        swv_id = await seed_swv(db)
        await seed_demo_registry(db, swv_id)
        view = await codes.register(db, ESIS_BRIN6, "stack", ESIS_CODE, "stack-test")
        await codes.activate(db, view.id, "stack-test")
        compose("up", "-d", "--no-build", "--no-deps", *GATEWAYS)
        containers = {service: compose.container(service) for service in GATEWAYS}
        await asyncio.gather(*(asyncio.to_thread(healthy, c, 180) for c in containers.values()))
        report.seconds_up = time.monotonic() - started

        down: set[str] = set()  # killed by the test, not yet healthy again

        async def restart(container: str) -> None:
            await asyncio.to_thread(podman, "start", container)
            await asyncio.to_thread(healthy, container, 120)
            down.discard(container)

        def died() -> str | None:  # a gateway that exited by itself fails the run at once, with its log
            for c in containers.values():
                if c in down:
                    continue
                ended = exited(c)  # a podman call, in the watchdog's thread: the test may kill c meanwhile
                if ended is not None and c not in down:  # not killed by the test while we looked
                    return ended
            return None

        async with watching(died):
            intake = [f"https://127.0.0.1:{ports[s]}" for s in ("gateway-1", "gateway-2")]
            sender = NotificatieSender(world, [u + "/oso/swv" for u in intake], concurrency=cfg.concurrency)
            loaded = time.monotonic()
            sending = asyncio.create_task(sender.run(cfg.exchanges, give_up_after=300.0))
            esis = asyncio.create_task(_send_esis(intake, tls["tls_client_ca"], cfg.esis, report))

            # a killed container restarts in the background, so the next kill still lands while schools are sending
            # (awaiting each restart let a quiet machine finish the whole load before the second kill)
            restarts = []
            for service, share in cfg.kills:
                while len(sender.acknowledged) < cfg.exchanges * share and not sending.done():  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                busy = not sending.done() or await _active(db) > 0  # schools still sending, or work not yet done
                down.add(containers[service])
                await asyncio.to_thread(podman, "kill", containers[service])
                report.kills.append(service)
                if busy:
                    report.kills_mid_run += 1
                restarts.append(asyncio.create_task(restart(containers[service])))
            await asyncio.gather(*restarts)
            await sending
            await esis
            await _drain(db, cfg.drain_timeout)
            report.seconds_load = time.monotonic() - loaded

        store = await store_report(db, checks.blobs)
        report.store = store
        report.acknowledged = len(sender.acknowledged)
        report.notificatie_calls = sum(sender.sends.values())
        report.sender_errors = dict(sender.errors)
        report.esis_hulpvragen = (await _esis_exchanges(db)).get("verwerkt", 0)
        closed: Counter[str] = Counter(s.koppelsleutel for s in world.tc.sessies.values() if s.afgemeld)
        afmeldingen = world.tc.afmeldingen()
        report.tc_sessions = len(world.tc.sessies)
        report.tc_sessions_open = sum(1 for x in world.tc.sessies.values() if not x.afgemeld)
        for k in sender.acknowledged:
            hid = store.hulpvraag_per_koppelsleutel.get(k)
            if hid is None:
                report.lost.append(k)
            elif store.per_koppelsleutel.get(k) != sender.expected[k]:
                report.bijlagen_wrong.append(k)
            if afmeldingen.get(k) != "OverdrachtGeslaagd":
                report.afmeldingen_missing.append(k)
            if closed[k] > 1:
                report.afmeldingen_twice.append(k)
        expected = len(sender.acknowledged) + report.esis_accepted
        report.doubled = max(0, store.hulpvragen - expected) + max(
            0, expected - store.distinct_hulpvragen_of_exchanges - len(report.lost)
        )
        if cfg.after_operations:
            await _operations(compose, docker, work / "backup", report)
            more = NotificatieSender(world, [u + "/oso/swv" for u in intake], concurrency=cfg.concurrency)
            await more.run(cfg.after_operations, start=cfg.exchanges, give_up_after=120.0)
            await _drain(db, cfg.drain_timeout)
            await checks.close()
            checks = build_components(load_settings(environ=host_env))  # reads blob_keys again: both keys
            report.final = final = await store_report(checks.db, checks.blobs)
            report.final_acknowledged = len(more.acknowledged)
            report.final_lost = [k for k in more.acknowledged if final.hulpvraag_per_koppelsleutel.get(k) is None]
            report.key_ids = await asyncio.to_thread(_key_ids, host_env, s3_port)
        return report
    finally:
        for service in ("migrate", *GATEWAYS):
            try:
                logs = podman("logs", "--tail", "200", compose.container(service), check=False)
                (work / f"{service}.log").write_text(logs.stdout + logs.stderr, encoding="utf-8")
            except RuntimeError:
                pass  # not started
        await checks.close()
        await world.stop()
        await asyncio.to_thread(compose.down)
