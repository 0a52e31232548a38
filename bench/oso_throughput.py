"""OSO-SWV throughput and notificatie latency, end to end (docs/performance.md).

    .venv/bin/python bench/oso_throughput.py [--exchanges 1000] [--concurrency 32] [--rate 100] [--latency-n 500]
        [--split [--worker-processes N]] [--postgres [--processes N]] [--national] [--senders N]

The simulators (OSR, Traffic Center, ParnasSys, and the load generator that plays ParnasSys's sending side:
bench/oso_simulators.py) run in a separate process; the gateway (create_app, SQLite, HTTPS with client
certificates, 2W-be-S) in this one — role ``all``, or with ``--split`` role ``intake`` plus N processes of role
``worker``. Every dossier is the full official POSWV example, read from ../shared (never copied). An exchange is
complete when its afmelding reached the Traffic Center: notificatie → hulpvraag committed → afmelding.

0. floor, first: the same kind of dossier through the dossier reader into fsynced blobs, one core, without
   HTTP, SOAP, signatures, inbox or database (``ratio_to_floor`` compares the measured rate with it);

1. throughput: ``--exchanges`` notificaties sent with ``--concurrency`` in flight; exchanges/s =
   exchanges / (first send → last afmelding);
2. latency: ``--latency-n`` notificaties offered open-loop at ``--rate`` per second; p50/p99 of the
   notificatie call (TLS request → NotificatieOntvangen) as the sender sees it;
3. the floor again (``floor_after``), the gateway idle: ratios to the floor use the faster of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from oso_dossiers import POSWV, measure_floor
from oso_simulators import senders

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


# -- the gateway process ------------------------------------------------------------------------------------


async def _gateway(args: argparse.Namespace) -> dict[str, Any]:
    from scratch import scratch

    # the stores are big (≈ 0.5–0.9 GB of blobs for 500 exchanges; a national SQLite store ≈ 400 MB more): never
    # left behind (a day of runs filled the disk), and under run_all.py removed only after its last measurement
    with scratch("oso-bench-") as tmp:
        return await _gateway_in(args, tmp)


async def _gateway_in(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import aiohttp
    import structlog
    from aiohttp import web
    from sqlmodel import SQLModel

    import gateway.store.models  # noqa: F401
    from gateway.app import create_app
    from gateway.cli.serve import freeze_startup_objects, server_ssl_context
    from gateway.components import build_components
    from gateway.store.models import School, Swv, Vestiging
    from gateway.store.seed import seed_demo_registry, seed_swv

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    floor = measure_floor(tmp / "floor")  # first, on a quiet machine: nothing else runs yet
    control_file = tmp / "control.json"
    children: list[subprocess.Popen[bytes]] = []
    sim = subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
        [sys.executable, str(Path(__file__).with_name("oso_simulators.py")), str(tmp / "world"), str(control_file)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        for _ in range(200):
            if control_file.exists():
                break
            await asyncio.sleep(0.05)
        control = json.loads(control_file.read_text())
        role = "intake" if args.split else "all"
        settings = _settings(tmp, control, args.workers, args.database_url, role=role)
        c = build_components(settings)
        async with c.db.engine.begin() as conn:
            if args.database_url:  # a throw-away database: start empty
                await conn.run_sync(SQLModel.metadata.drop_all)
            await conn.run_sync(SQLModel.metadata.create_all)
        swv_id = await seed_swv(c.db)
        await seed_demo_registry(c.db, swv_id)
        async with c.db.session() as s:
            for brin4 in senders(args.senders):
                school = School(swv_id=swv_id, brin4=brin4, naam=f"Voorbeeldschool {brin4}", las="ParnasSys")
                s.add(school)
                await s.flush()
                assert school.id is not None  # the flush assigned it
                s.add(Vestiging(swv_id=swv_id, school_id=school.id, brin6=brin4 + "00", naam="Voorbeeldschool",
                                gemeente="Helmond", routeringskenmerk="500"))  # fmt: skip
            assert (await s.get(Swv, swv_id)) is not None
        national = await _seed_national(c, swv_id) if args.national else None
        app = create_app(c)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl_context(settings), reuse_port=True)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp types TCPSite._server as optional AbstractServer; a started site has sockets
        url = f"https://127.0.0.1:{port}/oso/swv"
        freeze_startup_objects()  # as `gateway serve` does
        specs = [{"role": role, "port": port} for _ in range(args.processes - 1)]  # same port (SO_REUSEPORT)
        if args.split:  # processing only, at lower priority; no listener
            specs += [{"role": "worker", "port": None} for _ in range(args.worker_processes)]
        for extra in specs:
            spec = json.dumps(
                {
                    "tmp": str(tmp),
                    "workers": args.workers,
                    "db": args.database_url,
                    "nice": args.worker_niceness,
                    **extra,
                }
            )
            children.append(
                subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
                    [sys.executable, __file__, "--gateway-process", spec],
                    cwd=REPO,
                    env={**os.environ, "PYTHONPATH": str(REPO)},
                )
            )
        if children:
            await asyncio.sleep(3)  # let them bind and start their workers
        results: dict[str, Any] = {
            "floor": floor,
            "workers": args.workers,
            "processes": args.processes,
            "topology": f"intake + {args.worker_processes} worker process(es)" if args.split else "role all",
            "database": "postgresql" if args.database_url else "sqlite",
            "registry": national or "small",
            "senders": args.senders,
        }
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as http:

            async def sim_state() -> dict[str, Any]:
                async with http.get(control["control"] + "/bench/state") as r:
                    return dict(await r.json())

            async def afmeldingen() -> int:
                return int((await sim_state())["afmeldingen"])

            async def wait_for(count: int, within: float) -> float:
                """The moment (this machine's monotonic clock) the count of afmeldingen was reached."""
                async with http.get(control["control"] + "/bench/wait", params={"count": count, "within": within}) as r:
                    reached = dict(await r.json())
                if r.status != 200:
                    raise TimeoutError(f"{reached['afmeldingen']} of {count} afmeldingen after {within} s")
                return float(reached["clock"])

            # warm-up (OSR cache, LAS endpoint, connections), once for every sender
            n_warm = max(20, args.senders)
            async with http.post(control["control"] + "/bench/run", json={"gateway_url": url, "n": n_warm}) as r:
                warm = await r.json()
            if warm["n_errors"]:
                raise RuntimeError(f"warm-up failed: {warm['errors']}")
            base = await wait_for(n_warm, 120) and await afmeldingen()

            async def prepare(n: int) -> None:
                async with http.post(control["control"] + "/bench/prepare", json={"n": n}) as r:
                    await r.json()

            await prepare(args.exchanges)
            flames = _flame_graphs(args.flame, children) if args.flame else []
            sim_cpu, gw_cpu, gw_sys = (await sim_state())["cpu"], time.process_time(), os.times().system
            child_cpu, child_sys = _cpu_seconds(children), _cpu_seconds(children, system_only=True)
            started = time.perf_counter()
            body = {"gateway_url": url, "n": args.exchanges, "concurrency": args.concurrency}
            async with http.post(control["control"] + "/bench/run", json=body) as r:
                run = await r.json()
            sent = time.perf_counter()
            done = await wait_for(base + args.exchanges - run["n_errors"], 600)
            sim_cpu, gw_cpu = (await sim_state())["cpu"] - sim_cpu, time.process_time() - gw_cpu
            gw_sys = os.times().system - gw_sys
            child_cpu = _cpu_seconds(children) - child_cpu
            child_sys = _cpu_seconds(children, system_only=True) - child_sys
            _stop_flame_graphs(flames)
            results["throughput"] = {
                "exchanges": args.exchanges,
                "errors": run["n_errors"],
                "error_examples": run["errors"],
                "send_seconds": round(sent - started, 2),
                "total_seconds": round(done - started, 2),
                "exchanges_per_second": round((args.exchanges - run["n_errors"]) / (done - started), 1),
                "notificatie_p50_ms_under_load": _ms(run["latencies"], 50),
                # CPU (user+system, all threads) per exchange: what bounds throughput on 2 cores
                "gateway_cpu_ms_per_exchange": round((gw_cpu + child_cpu) / args.exchanges * 1000, 1),
                "first_process_cpu_ms_per_exchange": round(gw_cpu / args.exchanges * 1000, 1),
                "first_process_system_cpu_ms_per_exchange": round(gw_sys / args.exchanges * 1000, 1),  # kernel
                "other_processes_system_cpu_ms_per_exchange": round(child_sys / args.exchanges * 1000, 1),
                "simulators_cpu_ms_per_exchange": round(sim_cpu / args.exchanges * 1000, 1),
            }
            await prepare(args.latency_n)
            base = await afmeldingen()
            body = {"gateway_url": url, "n": args.latency_n, "rate": args.rate}
            async with http.post(control["control"] + "/bench/run", json=body) as r:
                run = await r.json()
            await wait_for(base + args.latency_n - run["n_errors"], 600)
            results["latency"] = {
                "offered_per_second": args.rate,
                "n": args.latency_n,
                "errors": run["n_errors"],
                "p50_ms": _ms(run["latencies"], 50),
                "p99_ms": _ms(run["latencies"], 99),
                "max_ms": round(max(run["latencies"]) * 1000, 1) if run["latencies"] else None,
            }
        await runner.cleanup()
        await c.close()
        # the floor once more, now that the gateway is idle: one floor measured in ≈ 1 s can land in a moment of
        # other load on the VM (18.4 ms once, against ≈ 8.3 ms), which would make any ratio to it look good; the
        # faster of the two is the floor the ratios are judged against (docs/performance.md, tenth round)
        results["floor_after"] = measure_floor(tmp / "floor-after")
        fastest = max(floor["dossiers_per_second"], results["floor_after"]["dossiers_per_second"])
        eps = results["throughput"]["exchanges_per_second"]
        # wall time per exchange at the measured rate ÷ the floor's time per dossier (1 = as fast as the floor)
        results["throughput"]["ratio_to_floor"] = round(fastest / eps, 2) if eps else None
        return results
    finally:
        for proc in [*children, sim]:
            proc.terminate()
            proc.wait(10)


async def _seed_national(c: Any, swv_id: int) -> dict[str, Any]:
    """--national: the registry and the store at national scale before the clock starts (the benchmark's own
    sender, 00YY00, is one of the 8,000 vestigingen; bench/national_registry.py)."""
    from national_registry import seed_national

    seeded = await seed_national(c.db, swv_id)
    print(f"national scale: {seeded}", file=sys.stderr, flush=True)
    return seeded


def _flame_graphs(directory: Path, children: list[subprocess.Popen[bytes]]) -> list[subprocess.Popen[bytes]]:
    """py-spy sampling this process (the intake, or role all) and each gateway child process (the workers)
    during the throughput phase only, each into its own flame graph (SVG)."""
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.is_file():
        raise SystemExit("--flame vraagt py-spy: .venv/bin/pip install -e '.[bench]'")
    directory.mkdir(parents=True, exist_ok=True)
    names = [("intake" if children else "gateway", os.getpid())]
    names += [(f"worker-{i + 1}" if len(children) > 1 else "worker", c.pid) for i, c in enumerate(children)]
    raw = bool(os.environ.get("BENCH_FLAME_RAW"))  # collapsed stacks (text) to count buckets, not an SVG
    record = [str(spy), "record", "--rate", "250", "--nonblocking", "--format", "raw" if raw else "flamegraph"]
    if os.environ.get("BENCH_FLAME_GIL"):  # only the thread holding the GIL: Python's CPU, without waits
        record.append("--gil")
    procs = [
        subprocess.Popen(
            [*record, "--pid", str(pid), "--output", str(directory / f"{name}.{'txt' if raw else 'svg'}")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in names
    ]
    time.sleep(0.5)  # attached before the first notificatie
    return procs


def _stop_flame_graphs(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGINT)  # py-spy writes its SVG on SIGINT
    for proc in procs:
        proc.wait(60)


def _cpu_seconds(children: list[subprocess.Popen[bytes]], *, system_only: bool = False) -> float:
    """User + system (or only system) CPU of still-running child processes (Linux /proc), in seconds."""
    total = 0.0
    for child in children:
        fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[12]) if system_only else int(fields[11]) + int(fields[12])  # stime; utime + stime
        total += ticks / os.sysconf("SC_CLK_TCK")
    return total


def _settings(tmp: Path, control: dict[str, Any], workers: int, database_url: str | None, *, role: str = "all") -> Any:
    from gateway.settings import load_settings

    tls = {k: Path(v) for k, v in control["tls"].items()}
    settings = load_settings(environ={}, data_dir=tmp / "data", workers=workers, poll_interval=0.05, role=role)
    settings = settings.replace(sections=control["sections"], **tls)
    return settings.replace(database_url=database_url) if database_url else settings


async def _gateway_process(spec: dict[str, Any]) -> None:
    """Another gateway process of a multi-process run: same database, same port, its own workers."""
    import structlog
    from aiohttp import web

    from gateway.app import create_app
    from gateway.cli.serve import freeze_startup_objects, lower_priority, server_ssl_context
    from gateway.components import build_components

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    tmp = Path(spec["tmp"])
    control = json.loads((tmp / "control.json").read_text())
    settings = _settings(tmp, control, spec["workers"], spec["db"], role=spec["role"])
    settings = settings.replace(worker_niceness=spec["nice"])
    lower_priority(settings)
    c = build_components(settings)
    runner = web.AppRunner(create_app(c), access_log=None)
    await runner.setup()  # starts the workers (roles all and worker)
    freeze_startup_objects()
    if spec["port"] is None:
        await asyncio.Event().wait()
    site = web.TCPSite(runner, "127.0.0.1", spec["port"], ssl_context=server_ssl_context(settings), reuse_port=True)
    await site.start()
    await asyncio.Event().wait()


def _ms(values: list[float], pct: int) -> float | None:
    if not values:
        return None
    if pct == 50:
        return round(statistics.median(values) * 1000, 1)
    return round(statistics.quantiles(values, n=100)[pct - 1] * 1000, 1)


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--gateway-process":
        asyncio.run(_gateway_process(json.loads(sys.argv[2])))
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exchanges", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--rate", type=float, default=100.0)
    p.add_argument("--latency-n", type=int, default=500)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument(
        "--same-dossier",
        action="store_true",
        help="every exchange sends the very same dossier (one pupil, duplicate blobs) — the old, flattering set-up",
    )
    p.add_argument("--json-out", type=Path, default=None)
    p.add_argument(
        "--flame",
        type=Path,
        default=None,
        help="write py-spy flame graphs (SVG) of the intake and each worker process during the throughput phase "
        "into this folder (the sampling costs CPU: figures of such a run are not comparable)",
    )
    p.add_argument(
        "--senders",
        type=int,
        default=1,
        help="spread the exchanges round robin over this many schools (00YY, 99AA, 99AB, …; at most 677)",
    )
    p.add_argument(
        "--national",
        action="store_true",
        help="first fill the registry and the store to national scale: 8,000 vestigingen, 20,000 mandates, "
        "100,000 stored hulpvragen with their exchanges, bijlagen and history (bench/national_registry.py)",
    )
    p.add_argument("--database-url", default=None, help="postgresql+asyncpg://… of a THROW-AWAY database (emptied)")
    p.add_argument("--postgres", action="store_true", help="start a throw-away PostgreSQL (tests/support/postgres.py)")
    p.add_argument("--postgres-fsync", action="store_true", help="with --postgres: fsync=on, as in production")
    p.add_argument("--processes", type=int, default=1, help="gateway processes (SO_REUSEPORT; PostgreSQL only)")
    p.add_argument("--worker-processes", type=int, default=1, help="with --split: how many worker processes")
    p.add_argument("--worker-niceness", type=int, default=10, help="with --split: the worker process's niceness")
    p.add_argument(
        "--split",
        action="store_true",
        help="roles: this process is intake only, one more process (role worker, lower priority) processes",
    )
    args = p.parse_args()
    if not POSWV.is_file():
        print(f"Het officiële voorbeeld ontbreekt: {POSWV}", file=sys.stderr)
        return 2
    if args.same_dossier:
        os.environ["OSO_BENCH_SAME_DOSSIER"] = "1"
    if not 1 <= args.senders <= 677 or (args.senders > 1 and args.same_dossier):
        print("--senders: 1 tot en met 677, en niet samen met --same-dossier.", file=sys.stderr)
        return 2
    os.environ["OSO_BENCH_SENDERS"] = str(args.senders)
    if args.processes > 1 and not (args.database_url or args.postgres):
        print("Meer dan één gatewayproces vraagt PostgreSQL (--postgres of --database-url).", file=sys.stderr)
        return 2
    if args.postgres:
        from tests.support.postgres import postgres_server

        with postgres_server(fsync=args.postgres_fsync) as url:
            args.database_url = url
            result = asyncio.run(_gateway(args))
    else:
        result = asyncio.run(_gateway(args))
    result["dossier"] = "same for every exchange" if args.same_dossier else "own pupil and documents per exchange"
    text = json.dumps(result, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
