"""Benchmark: peak RSS rise of the gateway process while it receives one ESIS request with three 10 MB
documents (the handbook's maximum per document), streamed to the blob store.

The gateway runs in its own process (so only its memory is measured); this script is the ESIS client
(the simulator, streaming its documents from generators). The rise is the server's peak RSS (VmHWM) after
the upload and its processing, minus its RSS just before (the peak is reset first, after a warm-up
request whose verification-code check warmed the code cache). Requirement: < 64 MB.

    .venv/bin/python bench/esis_upload_memory.py [--rounds 3]

Figures and the machine they were measured on: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.esis.simulator import EsisSimulator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BRIN6 = "27ZX00"
CODE = "27ZX00-bench-verificatiecode-01"
COLD_BRIN6, COLD_CODE = "09QA00", "09QA00-bench-nog-niet-gebruikt"
MB = 1024 * 1024
LIMIT_MB = 64


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak(pid: int) -> None:
    """Reset the process's peak RSS (VmHWM) to its current RSS (Linux: clear_refs 5), so that the peak of
    start-up work (schema creation, the scrypt hash of the bench code: 32 MiB) is not counted."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


async def _serve(data_dir: Path) -> None:
    from aiohttp import web
    from sqlmodel import SQLModel

    import gateway.store.models  # noqa: F401
    from gateway.app import create_app
    from gateway.components import build_components
    from gateway.logging import configure_logging
    from gateway.registry import codes
    from gateway.settings import load_settings
    from gateway.store.seed import seed_demo_registry, seed_swv

    configure_logging("console", "warning")
    settings = load_settings(environ={}, data_dir=data_dir, poll_interval=0.05)
    c = build_components(settings)
    async with c.db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    await seed_demo_registry(c.db, await seed_swv(c.db))
    view = await codes.register(c.db, BRIN6, "bench", CODE, "bench")
    await codes.activate(c.db, view.id, "bench")
    cold = await codes.register(c.db, COLD_BRIN6, "bench", COLD_CODE, "bench")
    await codes.activate(c.db, cold.id, "bench")
    runner = web.AppRunner(create_app(c), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(json.dumps({"port": site._server.sockets[0].getsockname()[1]}), flush=True)  # type: ignore[union-attr]  # aiohttp types TCPSite._server as optional AbstractServer; a started site has sockets
    await asyncio.Event().wait()


async def _wait_processed(esis: EsisSimulator, aanvraag_id: str) -> str:
    for _ in range(600):
        st = await esis.status(aanvraag_id)
        states = [u["status"] for u in st.body["uitwisselingen"]]
        if states and states[0] in ("verwerkt", "geweigerd", "vastgehouden"):
            return str(states[0])
        await asyncio.sleep(0.1)
    return "niet verwerkt"


async def _client(port: int, pid: int, rounds: int) -> dict[str, object]:
    from adapters.esis.simulator import Document, EsisSimulator, aanvraag, pdf_document

    url = f"http://127.0.0.1:{port}"
    results = []
    async with EsisSimulator(url, CODE) as esis:
        warm = Document("OPP-klein.pdf", pdf_document(), soort="opp")
        r = await esis.create(aanvraag(BRIN6, documenten=[warm]), [warm])
        assert r.status == 202, r.body
        await _wait_processed(esis, r.body["esis_aanvraag_id"])
        for i in range(rounds):
            _reset_peak(pid)
            before_rss = _kb(pid, "VmRSS")
            before_hwm = _kb(pid, "VmHWM")
            docs = [
                Document("OPP-groot.pdf", size=10 * MB, soort="opp"),
                Document("Handelingsplan-groot.pdf", size=10 * MB - 1),
                Document("Verslag-groot.pdf", size=10 * MB - 2),
            ]
            body = aanvraag(BRIN6, documenten=docs)
            t0 = time.perf_counter()
            r = await esis.create(body, docs)
            upload_s = time.perf_counter() - t0
            assert r.status == 202, r.body
            state = await _wait_processed(esis, body["esis_aanvraag_id"])
            peak = _kb(pid, "VmHWM")
            stored = (await esis.status(body["esis_aanvraag_id"])).body["hulpvraag"]["documenten"]
            results.append(
                {
                    "ronde": i + 1,
                    "rss_voor_mb": round(before_rss / 1024, 1),
                    "piek_voor_mb": round(before_hwm / 1024, 1),
                    "piek_na_mb": round(peak / 1024, 1),
                    "stijging_mb": round((peak - before_rss) / 1024, 1),
                    "upload_s": round(upload_s, 2),
                    "uitkomst": state,
                    "opgeslagen_mb": round(sum(d["grootte"] for d in stored) / MB, 2),
                }
            )
    async with EsisSimulator(url, COLD_CODE) as esis:  # the same upload, but the code must be hashed first
        _reset_peak(pid)
        before_rss = _kb(pid, "VmRSS")
        docs = [Document(f"Document-{n}.pdf", size=10 * MB, soort="opp") for n in range(3)]
        body = aanvraag(COLD_BRIN6, documenten=docs)
        r = await esis.create(body, docs)
        assert r.status == 202, r.body
        await _wait_processed(esis, body["esis_aanvraag_id"])
        cold = round((_kb(pid, "VmHWM") - before_rss) / 1024, 1)
    worst = max(float(r["stijging_mb"]) for r in results)
    worst = max(worst, cold)
    return {
        "rondes": results,
        "koude_code_stijging_mb": cold,
        "grootste_stijging_mb": max(worst, cold),
        "eis_mb": LIMIT_MB,
        "gehaald": worst < LIMIT_MB,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve))
        return 0
    with tempfile.TemporaryDirectory(prefix="esis-bench-") as tmp:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(Path(tmp) / "data")],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        try:
            assert proc.stdout is not None
            port = json.loads(proc.stdout.readline())["port"]
            report = asyncio.run(_client(port, proc.pid, args.rounds))
        finally:
            proc.terminate()
            proc.wait(10)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["gehaald"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
