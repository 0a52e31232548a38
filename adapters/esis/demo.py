"""The ESIS part of `gateway demo`: active codes for the fictitious ESIS schools, one code waiting for the
secretariaat, and a batch of ESIS requests (new, updated, retried and a few wrong ones) sent by the
simulator through the real HTTP API."""

from __future__ import annotations

from gateway.components import Components
from gateway.demo.runner import DemoContext, curl
from gateway.registry import codes

__all__ = ["DEMO_CODES", "EsisDemo", "scenario"]

# Fictitious demo codes (demo schools only). Real codes are never printed.
DEMO_CODES = {"27ZX00": "27ZX00-demo-De-Wilg-esis-2025", "09QA00": "09QA00-demo-Bongerd-esis-2025"}


class EsisDemo:
    name = "esis"

    def __init__(self) -> None:
        self.results: list[tuple[str, int, str | None]] = []

    async def start(self, ctx: DemoContext) -> None:
        return None

    async def seed(self, ctx: DemoContext, c: Components) -> None:
        for brin6, code in DEMO_CODES.items():
            view = await codes.register(
                c.db, brin6, "esis-demo", code, "demo:school", contact_email=f"ict-{brin6.lower()}@demo.invalid"
            )
            await codes.activate(c.db, view.id, "demo:secretariaat")
        await codes.register(
            c.db, "27ZX01", "esis-demo", "27ZX01-wacht-op-activering-01", "demo:school",
            contact_email="ict-27zx01@demo.invalid",
        )  # fmt: skip

    async def send(self, ctx: DemoContext, c: Components) -> int:
        from adapters.esis.simulator import run_demo

        ca = str(ctx.settings.tls_client_ca) if ctx.settings.tls_cert and ctx.settings.tls_client_ca else None
        answers = await run_demo(ctx.gateway_url, DEMO_CODES["27ZX00"], "27ZX00", ca_file=ca)
        self.results = [(a.what, a.status, a.code) for a in answers]
        ctx.notes.append("ESIS (verificatiecode in de kop X-Verificatiecode):")
        for a in answers:
            ctx.notes.append(f"  {a.status or '—'} {a.code or '':<36} {a.what}")
            ctx.requests.append({"source": "esis", "request": a.what, "status": a.status or None, "code": a.code})
            if a.status >= 400:  # refused at the door: nothing was stored, so it is not among the exchanges
                ctx.door_refusals.append(
                    {"source": "esis", "request": a.what, "status": a.status, "code": a.code, "message": a.message}
                )
        ctx.notes.append("  Een code van 27ZX01 wacht op activering (pagina Verificatiecodes, of: gateway codes list).")
        aanvraag_id = await _first_aanvraag_id(c)
        api = f"{ctx.gateway_url}/esis/v1"
        ctx.try_lines.append("ESIS-API (OpenAPI-beschrijving, en de status van de eerste aanvraag met de democode):")
        ctx.try_lines.append("  " + curl(ctx, f"{api}/openapi.yaml"))
        if aanvraag_id is not None:
            ctx.try_lines.append(
                "  " + curl(ctx, f"{api}/aanvragen/{aanvraag_id}", "-H", f"X-Verificatiecode: {DEMO_CODES['27ZX00']}")
            )
        return len(answers)

    async def stop(self) -> None:
        return None


def scenario() -> EsisDemo:
    return EsisDemo()


async def _first_aanvraag_id(c: Components) -> str | None:
    """The ESIS id of the first request the demo stored (for a status call that works as printed)."""
    from gateway.pipeline.ports.exchanges import exchanges_from

    for row in await exchanges_from(c.db, "esis"):
        aanvraag = row.meta.get("aanvraag")
        if isinstance(aanvraag, dict) and isinstance(aanvraag.get("aanvraag_id"), str):
            return str(aanvraag["aanvraag_id"])
    return None
