"""Run the Traffic Center and ParnasSys SIMULATORS as a separate process (benchmarks, demos).

    python -m adapters.parnassys.simulator --tc-port 8701 --las-port 8702 \
        [--dossier ../shared/oso-gegevensset-2019.1/PaO/examples/Voorbeelddossier_PaO_POSWV_full.xml] \
        [--ca ca.crt --cert las.crt --key las.key]

Control (JSON, on the LAS port): ``POST /sim/notificatie`` {"gateway_url", "gateway_oin"?, "behaviour"?,
"routeringskenmerk"?} → {"koppelsleutel"}; ``GET /sim/state`` → what both simulators saw. Test doubles
only: `gateway serve` never starts them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from aiohttp import web

from adapters.parnassys.client import OsoSoapClient, RemoteFault
from adapters.parnassys.config import ClientConfig, Credential, RetryPolicy
from adapters.parnassys.simulator.las import LAS_OIN, LasSimulator
from adapters.parnassys.simulator.traffic_center import TC_OIN, TrafficCenterSimulator
from gateway.errors import Transient


def build(args: argparse.Namespace) -> tuple[TrafficCenterSimulator, LasSimulator, web.Application, web.Application]:
    tc = TrafficCenterSimulator(las_url=f"http://{args.host}:{args.las_port}/oso/las")
    credential = Credential.from_files(Path(args.cert), Path(args.key)) if args.cert and args.key else None
    client = OsoSoapClient(
        ClientConfig(
            gateway_oin=args.oin,
            traffic_center_url=f"http://{args.host}:{args.tc_port}/oso/tc",
            traffic_center_oin=TC_OIN,
            trust_store_pem=Path(args.ca).read_bytes() if args.ca else None,
            credential=credential,
            sign=credential is not None,
            retry=RetryPolicy(attempts=1),
        )
    )
    dossier = Path(args.dossier).read_bytes() if args.dossier else None
    las = LasSimulator(client=client, default_dossier=dossier, default_behaviour=args.behaviour)

    async def notificatie(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            koppelsleutel = await las.send_notificatie(
                body["gateway_url"],
                gateway_oin=body.get("gateway_oin"),
                behaviour=body.get("behaviour"),
                routeringskenmerk=body.get("routeringskenmerk", "0000000700014SS00500"),
            )
        except RemoteFault as exc:
            return web.json_response({"fout": [f.to_dict() for f in exc.findings]}, status=422)
        except Transient as exc:
            return web.json_response({"fout": str(exc)}, status=503)
        return web.json_response({"koppelsleutel": koppelsleutel})

    async def state(_: web.Request) -> web.Response:
        return web.json_response(
            {
                "notificaties": len(tc.notificaties),
                "sessies": len(tc.sessies),
                "afmeldingen": tc.afmeldingen(),
                "document_requests": las.document_requests,
                "terugkoppelingen": las.terugkoppelingen,
            }
        )

    las_app = las.app()
    las_app.router.add_post("/sim/notificatie", notificatie)
    las_app.router.add_get("/sim/state", state)
    return tc, las, tc.app(), las_app


async def _main(args: argparse.Namespace) -> None:
    _, _, tc_app, las_app = build(args)
    runners = []
    for app, port in ((tc_app, args.tc_port), (las_app, args.las_port)):
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, args.host, port).start()
        runners.append(runner)
    print(f"simulators: TC http://{args.host}:{args.tc_port}/oso/tc, LAS http://{args.host}:{args.las_port}/oso/las")
    try:
        await asyncio.Event().wait()
    finally:
        for runner in runners:
            await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m adapters.parnassys.simulator", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--tc-port", type=int, default=8701)
    p.add_argument("--las-port", type=int, default=8702)
    p.add_argument("--dossier", help="serve this dossier file (e.g. the official POSWV example)")
    p.add_argument(
        "--behaviour", default="ok", help="ok | slow:<s> | 503 | reset | wrong_dossier | not_ready | invalid"
    )
    p.add_argument("--oin", default=LAS_OIN, help="the simulated ParnasSys supplier's OIN")
    p.add_argument("--ca", help="trust store for calling the gateway over TLS")
    p.add_argument("--cert", help="client certificate (PEM) for mTLS and 2W-be-S signing")
    p.add_argument("--key", help="its private key (PEM)")
    args = p.parse_args(argv)
    if args.dossier and not Path(args.dossier).is_file():
        print(f"Dossierbestand {args.dossier} bestaat niet.", file=sys.stderr)
        return 2
    try:
        asyncio.run(_main(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
