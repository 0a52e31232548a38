"""ESIS intake throughput: new requests acknowledged and processed per second, and what a retry costs
(docs/performance.md, section "ESIS intake").

    .venv/bin/python bench/esis_throughput.py [--requests 500] [--concurrency 16] [--workers 4] [--json-out F]
    .venv/bin/python bench/esis_throughput.py --quick          # 100 requests

The gateway runs in its own process (SQLite, the embedded default, with its exchange workers; plain HTTP on
loopback); this script is the ESIS client (`adapters.esis.simulator.EsisSimulator`, one connection pool).
First the floor: the same kind of request — the JSON body parsed, both documents hashed, sniffed and written as
fsynced blobs — 300 of them one after another on one core, without HTTP, multipart, the inbox or the database;
measured again once the gateway has stopped (``floor_after``), and the wall / floor ratio for new requests is
judged against the faster of the two. A verificatiecode is registered and activated; then

0. cold start (the warm-up, not counted in 1–3): ``--warmup`` requests, ``--concurrency`` in flight, with a
   code this gateway process has not verified yet (scrypt, then the code cache); the gateway's CPU seconds
   and peak RSS rise.
1. new: ``--requests`` new requests, ``--concurrency`` in flight. Each is its own pupil (leerlingid
   ``BENCH-<i>``) with two documents generated for it — a PDF of ``--pdf-kb`` kB (soort opp) and a DOCX of
   ``--docx-kb`` kB, with incompressible content that differs per request, so every document is a new blob,
   written and fsynced. Figures: requests/s acknowledged (202; first send → last 202), requests/s
   processed (first send → the last exchange verwerkt, hulpvraag committed; counted in the store, read by
   this process from the SQLite file so that no status call adds load to the gateway), p50/p99 of the create
   call as the client sees it, CPU (user + system, all threads) of the gateway process per request.
2. replay: the same requests sent again, byte for byte (an ESIS client retrying): each must be answered
   202 with ``herhaald: true`` and add no exchange or hulpvraag. Same figures.
3. one at a time: ``--latency-n`` more new requests (own pupils and documents), each sent when the previous
   one was answered: the create call's latency without queueing behind other requests.

``--workers 0`` runs the gateway without its exchange workers: only intake is measured (nothing is
processed), which splits the CPU per request into intake and processing.

``--flame F.svg`` attaches py-spy (``.venv/bin/pip install -e '.[bench]'``; 250 samples/s, non-blocking,
``--gil``: only the thread holding the GIL, i.e. Python CPU) to the gateway process for run 1 only and writes
a flame graph; a name not ending in ``.svg`` gets py-spy's collapsed stacks (text) instead. With
``--flame-threads`` every thread that is not idle is sampled, each under its own name (what waits on a
lock or on ``fsync`` counts as busy there).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BRIN6 = "27ZX00"  # a demo ESIS vestiging (gateway.store.seed.DEMO_SCHOOLS)
CODE = "27ZX00-bench-doorvoer-verificatiecode"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TERMINAL = ("verwerkt", "geweigerd", "vastgehouden")
TICK = os.sysconf("SC_CLK_TCK")


# -- documents: generated per request, never copied -----------------------------------------------------------


def pdf_bytes(i: int, size: int) -> bytes:
    """A PDF of ``size`` bytes whose body is random (real PDFs are mostly compressed streams)."""
    head = (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n% OPP leerling " + str(i).encode() + b"\n"
    )
    tail = b"\n%%EOF\n"
    return head + random.Random(i).randbytes(max(0, size - len(head) - len(tail))) + tail


def docx_bytes(i: int, size: int) -> bytes:
    """A DOCX (a ZIP with ``word/document.xml``) of about ``size`` bytes: some text and an embedded image."""
    rnd = random.Random(1_000_000 + i)
    words = "leerling groep ondersteuning rekenen lezen doel evaluatie aanpak ouders leerkracht".split()
    text = " ".join(rnd.choice(words) for _ in range(600))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>Handelingsplan leerling {i}: {text}</w:t></w:r></w:p></w:body></w:document>",
        )
        z.writestr("word/media/image1.png", rnd.randbytes(max(0, size - buf.tell() - 2000)), zipfile.ZIP_STORED)
    return buf.getvalue()


# -- the gateway process ----------------------------------------------------------------------------------------


async def _serve(data_dir: Path, workers: int, role: str = "all") -> None:
    """The gateway; ``workers`` 0: intake only (no exchange is processed). ``role`` intake: ESIS answered here,
    processed by a second process of role worker (``--split``), started once this one has made the database."""
    from aiohttp import web
    from sqlmodel import SQLModel

    import gateway.store.models  # noqa: F401
    from gateway.app import create_app
    from gateway.cli.serve import freeze_startup_objects, lower_priority
    from gateway.components import build_components
    from gateway.logging import configure_logging
    from gateway.registry import codes
    from gateway.settings import load_settings
    from gateway.store.seed import seed_demo_registry, seed_swv

    configure_logging("console", "warning")
    settings = load_settings(environ={}, data_dir=data_dir, workers=max(1, workers), role=role)
    lower_priority(settings)  # role worker: at the gateway's worker niceness, as `gateway serve` runs it
    c = build_components(settings)
    if role == "worker":  # processing only: the database is the intake process's
        runner = web.AppRunner(create_app(c), access_log=None)
        await runner.setup()  # starts the workers
        freeze_startup_objects()
        print(json.dumps({"worker": True}), flush=True)
        await asyncio.Event().wait()
    async with c.db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    await seed_demo_registry(c.db, await seed_swv(c.db))
    view = await codes.register(c.db, BRIN6, "bench", CODE, "bench")
    await codes.activate(c.db, view.id, "bench")
    runner = web.AppRunner(create_app(c, run_workers=workers > 0), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp types TCPSite._server as optional AbstractServer; a started site has sockets
    freeze_startup_objects()  # as `gateway serve` does
    print(json.dumps({"port": port, "database": settings.effective_database_url}), flush=True)
    await asyncio.Event().wait()


# -- measuring from outside -------------------------------------------------------------------------------------


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak(pid: int) -> None:
    """Reset the process's peak RSS (VmHWM) to its current RSS (Linux: clear_refs 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _cpu(pids: list[int]) -> tuple[float, float]:
    """(user, system) CPU seconds of the gateway's processes, all their threads."""
    user = system = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        user, system = user + int(fields[11]) / TICK, system + int(fields[12]) / TICK
    return user, system


class Store:
    """Counts in the gateway's SQLite file (a reader beside the gateway; WAL lets it read while it writes)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)

    def states(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT state, count(*) FROM exchange WHERE kind = 'esis_aanvraag' GROUP BY state")
        return {str(s): int(n) for s, n in rows}

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # own table names

    def done(self) -> int:
        return sum(n for s, n in self.states().items() if s in TERMINAL)


def _ms(values: list[float], pct: int) -> float | None:
    if not values:
        return None
    if pct == 50 or len(values) < 2:
        return round(statistics.median(values) * 1000, 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[pct - 1] * 1000, 1)


async def _burst(
    n: int, concurrency: int, send: Callable[[int], Awaitable[Any]]
) -> tuple[list[float], list[Any], float]:
    """Sends requests 0..n-1 with ``concurrency`` in flight; (latencies, responses, time of the last answer)."""
    latencies: list[float] = [0.0] * n
    answers: list[Any] = [None] * n
    last = [time.perf_counter()]
    queue = iter(range(n))

    async def worker() -> None:
        for i in queue:
            t = time.perf_counter()
            answers[i] = await send(i)
            latencies[i] = last[0] = time.perf_counter()
            latencies[i] -= t

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, answers, last[0]


async def _client(args: argparse.Namespace, port: int, pids: list[int], db_path: Path) -> dict[str, Any]:
    from adapters.esis.simulator import Document, EsisSimulator, aanvraag

    def request(i: int, run: str) -> tuple[dict[str, Any], list[Document]]:
        seed = {"meting": 0, "los": 10_000_000}.get(run, 20_000_000) + i  # every run its own pupils and documents
        docs = [
            Document(f"OPP-leerling-{i}.pdf", pdf_bytes(seed, args.pdf_kb * 1000), soort="opp",
                     content_type="application/pdf"),
            Document(f"Handelingsplan-leerling-{i}.docx", docx_bytes(seed, args.docx_kb * 1000),
                     omschrijving="Handelingsplan", content_type=DOCX_TYPE),
        ]  # fmt: skip
        body = aanvraag(BRIN6, aanvraag_id=f"BENCH-{run}-{i}", leerlingid=f"BENCH-{run}-{i}", documenten=docs)
        return body, docs

    store = Store(db_path)
    result: dict[str, Any] = {
        "floor": args.floor,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "topology": "intake + worker process" if args.split else "one process (role all)",
        "database": "sqlite",
        "documents": {
            "pdf_bytes": len(pdf_bytes(0, args.pdf_kb * 1000)),
            "docx_bytes": len(docx_bytes(0, args.docx_kb * 1000)),
        },
    }
    async with EsisSimulator(f"http://127.0.0.1:{port}", CODE) as esis:

        async def create(i: int, prefix: str = "meting") -> Any:
            body, docs = request(i, prefix)
            return await esis.create(body, docs)

        # warm-up: the first burst with a code this process has not verified yet (the scrypt hash, then the code
        # cache), which also warms every code path; its CPU and peak memory are reported as "cold_start"
        in_flight = min(args.concurrency, args.warmup)
        pid = pids[0]  # the process that answers (and verifies the code)
        _reset_peak(pid)
        rss0, cpu0 = _kb(pid, "VmRSS"), _cpu(pids)
        warm = await _burst(args.warmup, in_flight, lambda i: create(i, "warm"))
        bad = [r.body for r in warm[1] if r.status != 202]
        if bad:
            raise RuntimeError(f"warm-up refused: {bad[:2]}")
        result["cold_start"] = {
            "requests": args.warmup,
            "in_flight": in_flight,
            "gateway_cpu_seconds": round(sum(_cpu(pids)) - sum(cpu0), 2),
            "peak_rss_rise_mb": round((_kb(pid, "VmHWM") - rss0) / 1024, 1),
        }
        if args.workers:
            await _wait(store, args.warmup, 120)
        base = {"done": store.done(), "hulpvraag": store.count("hulpvraag"), "bijlage": store.count("bijlage")}

        # 1. new requests
        spies = [
            _flame_graph(args.flame if i == 0 else args.flame.with_stem(args.flame.stem + "-worker"), p,
                         every_thread=args.flame_threads, rate=args.flame_rate)
            for i, p in enumerate(pids)
        ] if args.flame else []  # fmt: skip
        cpu0, client0, t0 = _cpu(pids), time.process_time(), time.perf_counter()
        lat, answers, last = await _burst(args.requests, args.concurrency, create)
        cpu_ack = _cpu(pids)
        acked = sum(1 for r in answers if r.status == 202 and not r.body.get("herhaald"))
        t_done = await _wait(store, base["done"] + acked, args.timeout) if args.workers else None
        cpu1, client1 = _cpu(pids), time.process_time()
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for spy in spies:
            spy.wait(60)
        states = store.states()
        new = _figures(lat, answers, args.requests, t0, last, cpu0, cpu1, client1 - client0)
        new |= {
            "acknowledged": acked,
            "processed_seconds": round(t_done - t0, 2) if t_done else None,
            "processed_per_second": round(acked / (t_done - t0), 1) if t_done else None,
            "gateway_cpu_ms_per_request_until_last_202": round((sum(cpu_ack) - sum(cpu0)) * 1000 / args.requests, 1),
            "hulpvragen_made": store.count("hulpvraag") - base["hulpvraag"],
            "bijlagen_made": store.count("bijlage") - base["bijlage"],
            "exchange_states": states,
        }
        result["new"] = new

        # 2. the same requests again: idempotent replays
        before = {"exchanges": sum(store.states().values()), "hulpvraag": store.count("hulpvraag")}
        cpu0, client0, t0 = _cpu(pids), time.process_time(), time.perf_counter()
        lat, answers, last = await _burst(args.requests, args.concurrency, create)
        await asyncio.sleep(0.5)  # let the gateway finish discarding the unread document bytes
        cpu1, client1 = _cpu(pids), time.process_time()
        replay = _figures(lat, answers, args.requests, t0, last, cpu0, cpu1, client1 - client0)
        replay |= {
            "answered_herhaald": sum(1 for r in answers if r.status == 202 and r.body.get("herhaald")),
            "exchanges_added": sum(store.states().values()) - before["exchanges"],
            "hulpvragen_added": store.count("hulpvraag") - before["hulpvraag"],
        }
        result["replay"] = replay

        # 3. new requests one at a time (nothing else in flight): the create call's own latency
        done_before = store.done()
        cpu0, client0, t0 = _cpu(pids), time.process_time(), time.perf_counter()
        lat, answers, last = await _burst(args.latency_n, 1, lambda i: create(i, "los"))
        if args.workers:
            await _wait(store, done_before + sum(1 for r in answers if r.status == 202), args.timeout)
        cpu1, client1 = _cpu(pids), time.process_time()
        result["one_at_a_time"] = _figures(lat, answers, args.latency_n, t0, last, cpu0, cpu1, client1 - client0)
    n_cpu, r_cpu = result["new"]["gateway_cpu_ms_per_request"], replay["gateway_cpu_ms_per_request"]
    result["replay_cpu_vs_new"] = round(r_cpu / n_cpu, 2) if n_cpu else None
    return result


def _judge_against_floor(result: dict[str, Any]) -> None:
    """Wall / floor for new requests, against the faster of the two floors: noise only slows a floor down (on
    this VM's disk one floor measured 259 requests/s and the next 489 /s, 0.96 × against 1.82 × for the same
    run), as in bench/oso_throughput.py."""
    floors = [result["floor"], result["floor_after"]]
    fastest = max(floors, key=lambda f: f["requests_per_second"])
    processed = result["new"].get("processed_per_second")
    result["floor_used"] = "before" if fastest is floors[0] else "after"
    result["new"]["ratio_to_floor"] = round(fastest["requests_per_second"] / processed, 2) if processed else None


def _flame_graph(out: Path, pid: int, *, every_thread: bool = False, rate: int = 250) -> subprocess.Popen[bytes]:
    """py-spy sampling the gateway process into ``out``: the thread holding the GIL, or (``every_thread``)
    every thread that is not idle, each under its own name."""
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.is_file():
        raise SystemExit("--flame vraagt py-spy: .venv/bin/pip install -e '.[bench]'")
    out.parent.mkdir(parents=True, exist_ok=True)
    fmt = "flamegraph" if out.suffix == ".svg" else "raw"
    which = ["--threads"] if every_thread else ["--gil"]
    proc = subprocess.Popen(
        [str(spy), "record", *which, "--rate", str(rate), "--nonblocking", "--format", fmt,
         "--pid", str(pid), "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)  # attached before the first request
    return proc


def _floor(args: argparse.Namespace, directory: Path, n: int = 300) -> dict[str, Any]:
    """The floor, measured first (quiet machine) and again after the gateway stopped: the same kind of request —
    the JSON body parsed, both documents hashed and written as fsynced blobs with their type sniffed — one after
    another on one core, without HTTP, multipart, the inbox or the database."""
    from adapters.esis.simulator import aanvraag
    from gateway.store.blobs import ContentStore
    from gateway.store.blobs_local import LocalBackend
    from verification.attachments import sniff

    blobs = ContentStore(LocalBackend(directory), allow_plaintext=True)
    requests = []
    for i in range(n):
        docs = [pdf_bytes(30_000_000 + i, args.pdf_kb * 1000), docx_bytes(30_000_000 + i, args.docx_kb * 1000)]
        body = json.dumps(aanvraag(BRIN6, aanvraag_id=f"FLOOR-{i}", leerlingid=f"FLOOR-{i}", documenten=[])).encode()
        requests.append((body, docs))
    started = time.perf_counter()
    for body, docs in requests:
        json.loads(body)
        for content in docs:
            writer = blobs.writer()
            for at in range(0, len(content), 64 * 1024):
                writer.write(content[at : at + 64 * 1024])
            sniff(writer.head)
            writer.commit()
    wall = time.perf_counter() - started
    return {"requests": n, "ms_per_request": round(wall / n * 1000, 2), "requests_per_second": round(n / wall, 1)}


def _figures(
    lat: list[float],
    answers: list[Any],
    n: int,
    t0: float,
    last: float,
    cpu0: tuple[float, float],
    cpu1: tuple[float, float],
    client_cpu: float,
) -> dict[str, Any]:
    ok = [lt for lt, r in zip(lat, answers, strict=True) if r.status == 202]
    errors = [f"{r.status} {r.code}" for r in answers if r.status != 202]
    return {
        "answered_202": len(ok),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "ack_seconds": round(last - t0, 2),
        "acknowledged_per_second": round(len(ok) / (last - t0), 1),
        "create_p50_ms": _ms(ok, 50),
        "create_p99_ms": _ms(ok, 99),
        "create_max_ms": round(max(ok) * 1000, 1) if ok else None,
        "gateway_cpu_ms_per_request": round((sum(cpu1) - sum(cpu0)) / n * 1000, 1),
        "gateway_system_cpu_ms_per_request": round((cpu1[1] - cpu0[1]) / n * 1000, 1),
        "client_cpu_ms_per_request": round(client_cpu / n * 1000, 1),
    }


async def _wait(store: Store, count: int, within: float) -> float:
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        if store.done() >= count:
            return time.perf_counter()
        await asyncio.sleep(0.02)
    raise TimeoutError(f"{store.done()} of {count} ESIS exchanges finished after {within} s: {store.states()}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=None, help="new requests (default 500; --quick: 100)")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument(
        "--workers", type=int, default=4, help="exchange workers in the gateway (its default: 4); 0: intake only"
    )
    p.add_argument("--pdf-kb", type=int, default=200)
    p.add_argument("--docx-kb", type=int, default=60)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument(
        "--latency-n", type=int, default=None, help="new requests sent one at a time (default 50; --quick 20)"
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for processing")
    p.add_argument("--quick", action="store_true", help="100 requests (20 one at a time)")
    p.add_argument("--json-out", type=Path, default=None)
    p.add_argument(
        "--flame", type=Path, default=None, help="py-spy profile of the gateway during run 1 (.svg: flame graph)"
    )
    p.add_argument(
        "--flame-threads", action="store_true", help="with --flame: every busy thread, not only the GIL's holder"
    )
    p.add_argument("--flame-rate", type=int, default=250, help="with --flame: py-spy samples per second")
    p.add_argument(
        "--split",
        action="store_true",
        help="two gateway processes: role intake (answers ESIS) and role worker (processes), as deploy.md describes",
    )
    p.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--role", default="all", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve, args.workers, args.role))
        return 0
    args.requests = args.requests or (100 if args.quick else 500)
    args.latency_n = args.latency_n or (20 if args.quick else 50)
    if (
        args.requests < 1
        or args.concurrency < 1
        or args.warmup < 1
        or args.workers < 0
        or (args.split and not args.workers)
    ):
        print(
            "--requests, --concurrency en --warmup moeten minstens 1 zijn, --workers minstens 0 "
            "(met --split minstens 1).",
            file=sys.stderr,
        )
        return 2
    from scratch import scratch

    with scratch("esis-doorvoer-") as tmp:
        args.floor = _floor(args, Path(tmp) / "floor")
        data = Path(tmp) / "data"

        def gateway(workers: int, role: str) -> dict[str, Any]:
            proc = subprocess.Popen(
                [sys.executable, __file__, "--serve", str(data), "--workers", str(workers), "--role", role],
                stdout=subprocess.PIPE,
                text=True,
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
            procs.append(proc)
            assert proc.stdout is not None
            return dict(json.loads(proc.stdout.readline()))

        procs: list[subprocess.Popen[str]] = []
        try:
            started = gateway(0 if args.split else args.workers, "intake" if args.split else "all")
            if args.split:
                gateway(args.workers, "worker")
            db_path = Path(started["database"].split(":///", 1)[1])
            result = asyncio.run(_client(args, started["port"], [p.pid for p in procs], db_path))
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(10)
        result["floor_after"] = _floor(args, Path(tmp) / "floor-after")  # the gateway idle, its files still here
        _judge_against_floor(result)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    new, replay = result["new"], result["replay"]
    if (
        new["acknowledged"] != args.requests
        or replay["answered_herhaald"] != args.requests
        or replay["exchanges_added"]
    ):
        print(
            f"incomplete: {new['acknowledged']} of {args.requests} new requests acknowledged, "
            f"{replay['answered_herhaald']} replays answered as such, {replay['exchanges_added']} exchanges added by "
            f"replays; examples: {new['error_examples'] + replay['error_examples']}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
