"""The OSO-SWV throughput benchmark's other side (bench/oso_throughput.py), in a process of its own: the
simulators of the Traffic Center, ParnasSys and the OSR — honest test doubles, never used by ``gateway serve`` —
and the load generator that plays ParnasSys's sending side.

    python bench/oso_simulators.py WORLD_DIR CONTROL_FILE      # started by oso_throughput.py

It writes CONTROL_FILE once it listens; the benchmark drives it over plain HTTP on 127.0.0.1:
``POST /bench/prepare`` (build the dossiers before the clock starts), ``POST /bench/run`` (send notificaties:
closed-loop with a concurrency, or open-loop at a rate; answers the notificatie latencies), ``GET /bench/state``
(afmeldingen, clock and this process's CPU) and ``GET /bench/wait`` (answers once that many sessions are closed,
so the gateway's process, whose CPU is measured, does not poll). ``OSO_BENCH_SENDERS`` and
``OSO_BENCH_SAME_DOSSIER`` come from the benchmark's options.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import time
from pathlib import Path

from oso_dossiers import BRIN, POSWV, readable_attachments

__all__ = ["senders", "serve"]


def senders(n: int) -> list[str]:
    """The schools that send: the example's, and with ``--senders N`` N - 1 more (99AA, 99AB, …), each with one
    vestiging (routeringskenmerk 500) in the registry and both mandates in the OSR."""
    return [BRIN] + [f"99{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(n - 1)]


async def serve(directory: Path, control_file: Path) -> None:
    """The simulated world and the load generator, until the process is stopped; writes ``control_file`` (the
    control URL, the world's sections and TLS files) once it listens."""
    import structlog
    from aiohttp import web

    from adapters.parnassys.simulator.las import PreparedDossier, _request
    from adapters.parnassys.simulator.world import DOEL_RK, GATEWAY_OIN, long_kenmerk, start_world

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    official = POSWV.resolve().read_bytes()
    same_dossier = os.environ.get("OSO_BENCH_SAME_DOSSIER") == "1"
    schools = senders(int(os.environ.get("OSO_BENCH_SENDERS", "1")))
    counter = [0]
    world = await start_world(directory, default_dossier=readable_attachments(official), direct_session_check=True)
    for school in schools:
        world.add_school(school)
    gc.collect()
    gc.freeze()  # the load generator measures latency: keep its own collector pauses out of the figures
    las = world.las

    def values_of(school: str) -> dict[str, str]:
        return {
            "bronBrin": school,
            "bronRouteringsKenmerk": long_kenmerk(school, 500),
            "doelBrin": school,
            "doelRouteringsKenmerk": DOEL_RK,
        }

    async def one(gateway_url: str) -> float:
        counter[0] += 1
        school = schools[counter[0] % len(schools)]  # round robin over the senders
        values = values_of(school)
        # ParnasSys registers the notificatie at the TC simulator (same process: a call, not an HTTPS hop)
        koppelsleutel = (await world.tc.melden_notificatie({**values, "doel": "SWV"}, None))["koppelsleutel"]
        mine = prepared.get(school)
        dossier = None if same_dossier else (mine.pop() if mine else _dossier_variant(counter[0], school))
        las.prepared[koppelsleutel] = PreparedDossier(brin=school, dossier=dossier)
        body = _request("notificatie", {**values, "koppelsleutel": koppelsleutel, "doel": "SWV"})
        started = time.perf_counter()
        await las.client.call(gateway_url, "notificatie", body, system="gateway", to_oin=GATEWAY_OIN)
        return time.perf_counter() - started

    prepared: dict[str, list[bytes]] = {}
    variants = [10**6]  # numbers for prepared dossiers (never equal to a counter value)

    def _dossier_variant(i: int, school: str) -> bytes:
        return readable_attachments(official, variant=i, brin=school)

    async def prepare(request: web.Request) -> web.Response:
        """The load generator builds its dossiers before the clock starts (ParnasSys has them at hand too)."""
        n = int((await request.json())["n"])
        if not same_dossier:
            for k in range(n):
                variants[0] += 1
                school = schools[(counter[0] + 1 + k) % len(schools)]  # as `one` will pick them
                prepared.setdefault(school, []).append(_dossier_variant(variants[0], school))
        return web.json_response({"prepared": sum(len(d) for d in prepared.values())})

    async def run(request: web.Request) -> web.Response:
        p = await request.json()
        n, url = int(p["n"]), str(p["gateway_url"])
        latencies: list[float] = []
        errors: list[str] = []

        async def guarded() -> None:
            try:
                latencies.append(await one(url))
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

        started = time.perf_counter()
        if p.get("rate"):
            interval, tasks = 1.0 / float(p["rate"]), []
            for i in range(n):
                delay = started + i * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(guarded()))
            await asyncio.gather(*tasks)
        else:
            queue = iter(range(n))

            async def worker() -> None:
                for _ in queue:
                    await guarded()

            await asyncio.gather(*(worker() for _ in range(int(p.get("concurrency", 32)))))
        return web.json_response(
            {"latencies": latencies, "errors": errors[:5], "n_errors": len(errors), "started": started}
        )

    async def state(_: web.Request) -> web.Response:
        return web.json_response(
            {"afmeldingen": len(world.tc.afmeldingen()), "clock": time.perf_counter(), "cpu": time.process_time()}
        )

    async def wait(request: web.Request) -> web.Response:
        """Answers once ``count`` sessions are closed (or after ``within`` seconds, 504): the waiting happens here,
        so that the gateway's process — whose CPU is measured — makes one call instead of polling."""
        count, deadline = int(request.query["count"]), time.perf_counter() + float(request.query["within"])
        while len(world.tc.closed) < count or len(world.tc.afmeldingen()) < count:  # `closed` first: O(1)
            if time.perf_counter() >= deadline:
                return web.json_response({"afmeldingen": len(world.tc.afmeldingen())}, status=504)
            await asyncio.sleep(0.005)
        return await state(request)

    app = web.Application()
    app.router.add_post("/bench/prepare", prepare)
    app.router.add_post("/bench/run", run)
    app.router.add_get("/bench/state", state)
    app.router.add_get("/bench/wait", wait)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp types TCPSite._server as optional AbstractServer; a started site has sockets
    control = {"control": f"http://127.0.0.1:{port}", "sections": world.sections(), "tls": world.tls_settings()}
    control_file.write_text(json.dumps(control, default=str))  # noqa: ASYNC240 - once, at start-up
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1]), Path(sys.argv[2])))
