"""OSR simulator: a TEST DOUBLE of the Onderwijs Service Register, for tests and the demo. Not the OSR.

An aiohttp app with the OSR's endpoints (``/mandates``, ``/endpoints``, ``/services``,
``/service-versions``) over a seedable set of mandates and endpoints, in the JSON shapes of
`adapters.osr.wire`, and scriptable misbehaviour:

- one-shot actions queued per path: ``"429"`` / ``"429:5"`` (Retry-After 5), ``"503"``, ``"500"``,
  ``"400"``, ``"403"``, ``"slow:2.5"`` (answer after 2.5 s), ``"reset"`` (drop the connection);
- an outage for every request until lifted: mode ``"503"`` or ``"reset"``;
- a fixed-window rate limit on ``/endpoints`` (the real one is rate-limited).

Control it in-process (`OsrSimulator.script`, `.outage`, `.add_mandate`) or over HTTP under
``/_simulator/`` (``POST script``, ``POST outage``, ``POST mandates``, ``GET requests``).
The caller's OIN (who sees mandate dates) is ``caller_oin``; a real OSR takes it from the client
certificate. Run: ``python -m adapters.osr.simulator --port 8081 --seed seed.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import ssl
import sys
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.osr.wire import Endpoint, Service, ServiceVersion, parse_date
from verification.identifiers import OngeldigeIdentificatie, parse_oin, school_oin
from verification.mandates import DEFAULT_SERVICE_NAMESPACE

__all__ = ["OsrSimulator", "SimMandate", "main", "running"]

DEFAULT_CALLER_OIN = "00000099000000000002"  # our side (Kindkans) in the test parties
PATHS = ("/mandates", "/endpoints", "/services", "/service-versions")


@dataclass(frozen=True, slots=True)
class SimMandate:
    school_oin: str
    supplier_oin: str
    service_version_namespace: str
    system: str
    start_date: dt.date
    end_date: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimMandate:
        school = str(data.get("school_oin") or data.get("school") or "").strip().upper()
        return cls(
            school_oin=school_oin(school) if len(school) == 4 else parse_oin(school),
            supplier_oin=parse_oin(data["supplier_oin"]),
            service_version_namespace=str(data.get("service_version_namespace") or DEFAULT_SERVICE_NAMESPACE),
            system=str(data.get("system", "")),
            start_date=parse_date(data.get("start_date")) or dt.date(2022, 8, 15),
            end_date=parse_date(data.get("end_date")),
        )


@dataclass(frozen=True, slots=True)
class _Action:
    kind: str  # status code as text, "slow" or "reset"
    arg: float | None = None

    @classmethod
    def parse(cls, text: str) -> _Action:
        kind, _, arg = str(text).partition(":")
        if kind not in {"429", "500", "502", "503", "504", "400", "401", "403", "slow", "reset", "ok"}:
            raise ValueError(f"unknown simulator action {text!r}")
        return cls(kind, float(arg) if arg else None)


@dataclass
class OsrSimulator:
    mandates: list[SimMandate] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    service_versions: list[ServiceVersion] = field(default_factory=list)
    caller_oin: str = DEFAULT_CALLER_OIN
    endpoints_rate_limit: int | None = None  # requests per window on /endpoints; None = unlimited
    rate_window: float = 1.0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _scripts: dict[str, deque[_Action]] = field(default_factory=lambda: defaultdict(deque))
    _outage: str | None = None
    _window: tuple[float, int] = (0.0, 0)

    # --- seeding and scripting ------------------------------------------------------------------------

    @classmethod
    def from_seed(cls, data: dict[str, Any]) -> OsrSimulator:
        return cls(
            mandates=[SimMandate.from_json(m) for m in data.get("mandates", [])],
            endpoints=[Endpoint.from_json(e) for e in data.get("endpoints", [])],
            services=[Service.from_json(s) for s in data.get("services", [])]
            or [Service(DEFAULT_SERVICE_NAMESPACE, "OSO-SWV – OSO SWV Passend Onderwijs")],
            service_versions=[ServiceVersion.from_json(v) for v in data.get("service_versions", [])]
            or [ServiceVersion(DEFAULT_SERVICE_NAMESPACE, DEFAULT_SERVICE_NAMESPACE, "2021")],
            caller_oin=str(data.get("caller_oin", DEFAULT_CALLER_OIN)),
            endpoints_rate_limit=data.get("endpoints_rate_limit"),
        )

    def add_mandate(self, mandate: SimMandate | dict[str, Any]) -> SimMandate:
        item = mandate if isinstance(mandate, SimMandate) else SimMandate.from_json(mandate)
        self.mandates.append(item)
        return item

    def script(self, path: str, *actions: str) -> None:
        """Queue one-shot actions for ``path`` (or ``"*"`` for any path), used in order."""
        self._scripts[path].extend(_Action.parse(a) for a in actions)

    def outage(self, mode: str | None) -> None:
        """``"503"`` or ``"reset"`` for every request until ``outage(None)``."""
        if mode not in (None, "503", "reset"):
            raise ValueError(f"unknown outage mode {mode!r}")
        self._outage = mode

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    # --- the app --------------------------------------------------------------------------------------

    @property
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._misbehave])
        app.router.add_get("/mandates", self._mandates)
        app.router.add_get("/endpoints", self._endpoints)
        app.router.add_get("/services", self._services)
        app.router.add_get("/service-versions", self._service_versions)
        app.router.add_post("/_simulator/script", self._control_script)
        app.router.add_post("/_simulator/outage", self._control_outage)
        app.router.add_post("/_simulator/mandates", self._control_mandates)
        app.router.add_get("/_simulator/requests", self._control_requests)
        return app

    @web.middleware
    async def _misbehave(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_simulator/"):
            return await handler(request)
        self.requests.append((request.path, dict(request.query)))
        if self._outage == "reset":
            return self._reset(request)
        if self._outage == "503":
            return _problem(503, "OSR-simulator: storing")
        queue = self._scripts.get(request.path) or self._scripts.get("*")
        action = queue.popleft() if queue else None
        if action is not None:
            if action.kind == "reset":
                return self._reset(request)
            if action.kind == "slow":
                await asyncio.sleep(action.arg or 1.0)
            elif action.kind != "ok":
                headers = {"Retry-After": str(int(action.arg or 0))} if action.kind == "429" else {}
                return _problem(int(action.kind), "OSR-simulator: gescript antwoord", headers)
        if request.path == "/endpoints" and (limited := self._rate_limited()) is not None:
            return limited
        response = await handler(request)
        response.headers["X-OSR-Simulator"] = "test double"
        return response

    @staticmethod
    def _reset(request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)  # never arrives: the connection is gone

    def _rate_limited(self) -> web.Response | None:
        if self.endpoints_rate_limit is None:
            return None
        now = asyncio.get_running_loop().time()
        start, used = self._window
        if now - start >= self.rate_window:
            start, used = now, 0
        self._window = (start, used + 1)
        if used < self.endpoints_rate_limit:
            return None
        wait = max(1, math.ceil(self.rate_window - (now - start)))
        return _problem(429, "OSR-simulator: te veel verzoeken", {"Retry-After": str(wait)})

    async def _mandates(self, request: web.Request) -> web.Response:
        query = request.query
        missing = [name for name in ("supplier_oin", "school_oin", "service_version_namespace") if not query.get(name)]
        if missing:
            return _problem(400, f"ontbrekende parameters: {', '.join(missing)}")
        try:
            day = parse_date(query.get("reference_date")) or dt.date.today()
        except ValueError:
            return _problem(400, "reference_date is geen datum (JJJJ-MM-DD)")
        school, supplier = query["school_oin"].upper(), query["supplier_oin"].upper()
        namespace = query["service_version_namespace"]
        match = next(
            (
                m
                for m in self.mandates
                if m.school_oin == school
                and m.supplier_oin == supplier
                and m.service_version_namespace == namespace
                and m.valid_on(day)
            ),
            None,
        )
        if match is None:
            return _problem(404, "geen mandaat")
        body: dict[str, Any] = {
            "school_oin": school,
            "supplier_oin": supplier,
            "service_version_namespace": namespace,
            "mandated": True,
        }
        if supplier == self.caller_oin:  # the mandated supplier sees the details
            body.update(
                system=match.system,
                start_date=match.start_date.isoformat(),
                end_date=match.end_date.isoformat() if match.end_date else None,
                token=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{school}/{supplier}/{namespace}")),
            )
        return web.json_response(body)

    async def _endpoints(self, request: web.Request) -> web.Response:
        query = request.query
        namespace = query.get("service_version_namespace")
        routing_id, school = query.get("routing_id"), query.get("school_oin")
        if not namespace or (routing_id is None) == (school is None):
            return _problem(400, "geef service_version_namespace en één van routing_id of school_oin")
        try:
            day = parse_date(query.get("reference_date"))
        except ValueError:
            return _problem(400, "reference_date is geen datum (JJJJ-MM-DD)")
        found = [
            e.to_json()
            for e in self.endpoints
            if e.service_version_namespace == namespace
            and (e.routing_id == routing_id if routing_id else e.school_oin == (school or "").upper())
            and (day is None or e.valid_on(day))
        ]
        return web.json_response(found)

    async def _services(self, request: web.Request) -> web.Response:
        return web.json_response([s.to_json() for s in self.services])

    async def _service_versions(self, request: web.Request) -> web.Response:
        return web.json_response([v.to_json() for v in self.service_versions])

    async def _control_script(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        try:
            self.script(str(data.get("path", "*")), *[str(a) for a in data.get("actions", [])])
        except ValueError as exc:
            return _problem(400, str(exc))
        return web.json_response({"ok": True})

    async def _control_outage(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        try:
            self.outage(data.get("mode"))
        except ValueError as exc:
            return _problem(400, str(exc))
        return web.json_response({"ok": True, "mode": self._outage})

    async def _control_mandates(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        try:
            mandate = self.add_mandate(data)
        except (KeyError, ValueError, OngeldigeIdentificatie) as exc:
            return _problem(400, f"ongeldig mandaat: {exc}")
        return web.json_response({"ok": True, "school_oin": mandate.school_oin}, status=201)

    async def _control_requests(self, request: web.Request) -> web.Response:
        return web.json_response([{"path": p, "query": q} for p, q in self.requests])


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"status": status, "detail": detail}, status=status, headers=headers)


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.content.read(65_536)
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise web.HTTPBadRequest(text="geen geldige JSON") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="verwacht een JSON-object")
    return data


@contextlib.asynccontextmanager
async def running(
    simulator: OsrSimulator, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[str]:
    """Serve the simulator on loopback for the duration of the block; yields its base URL.
    With ``ssl_context`` (e.g. one that requires client certificates) it speaks https."""
    runner = web.AppRunner(simulator.app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    try:
        server = site._server
        sockets = getattr(server, "sockets", None) or ()
        bound = sockets[0].getsockname()[1] if sockets else port
        yield f"{'https' if ssl_context else 'http'}://{host}:{bound}"
    finally:
        await runner.cleanup()


def load_seed(path: Path) -> OsrSimulator:
    return OsrSimulator.from_seed(json.loads(Path(path).read_text(encoding="utf-8")))


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m adapters.osr.simulator",
        description="OSR-simulator (testdubbel van het Onderwijs Service Register) voor tests en demo.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--seed", type=Path, help="JSON-bestand met mandates, endpoints, caller_oin")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        simulator = load_seed(args.seed) if args.seed else OsrSimulator.from_seed({})
    except (OSError, ValueError, KeyError, OngeldigeIdentificatie) as exc:
        print(f"Kan het seed-bestand {args.seed} niet lezen: {exc}", file=sys.stderr)
        return 2
    print(
        f"OSR-simulator (testdubbel) op http://{args.host}:{args.port} met {len(simulator.mandates)} "
        f"mandaten en {len(simulator.endpoints)} endpoints",
        file=sys.stderr,
    )
    web.run_app(simulator.app, host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
