"""The ESIS part of `gateway demo`: active codes for the fictitious ESIS schools, one code waiting for the
secretariaat, and a batch of ESIS requests (new, updated, retried and a few wrong ones) sent by the
simulator through the real HTTP API."""

from __future__ import annotations

from gateway.components import Components
from gateway.demo.runner import DemoContext
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
        self.results = await run_demo(ctx.gateway_url, DEMO_CODES["27ZX00"], "27ZX00", ca_file=ca)
        ctx.notes.append("ESIS (verificatiecode in de kop X-Verificatiecode):")
        for what, status, code in self.results:
            ctx.notes.append(f"  {status or '—'} {code or '':<36} {what}")
        ctx.notes.append(
            f"  Probeer zelf: curl -H 'X-Verificatiecode: {DEMO_CODES['27ZX00']}' "
            f"{ctx.gateway_url}/esis/v1/aanvragen/<esis_aanvraag_id>  (API: {ctx.gateway_url}/esis/v1/openapi.yaml)"
        )
        ctx.notes.append("  Een code van 27ZX01 wacht op activering: gateway codes list / de pagina Verificatiecodes.")
        return len(self.results)

    async def stop(self) -> None:
        return None


def scenario() -> EsisDemo:
    return EsisDemo()
