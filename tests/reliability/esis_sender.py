"""Plays ESIS during the crash run: sends each request (its own pupil and OPP) to a gateway and keeps sending
it — same esis_aanvraag_id, as ESIS would — until it is accepted (202, or 200 for a repeat), while gateways are
killed and restarted. Records what was accepted and what each request's document must hash to."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.esis.simulator import Document, EsisSimulator, aanvraag, pdf_document

__all__ = ["ESIS_BRIN6", "EsisSender"]

ESIS_BRIN6 = "27ZX00"  # a demo vestiging of the seeded registry that uses ESIS


@dataclass
class EsisSender:
    base_urls: Sequence[str]
    code: str
    ca_file: str
    brin6: str = ESIS_BRIN6
    concurrency: int = 4
    resend_delay: float = 0.3
    accepted: dict[str, str] = field(default_factory=dict)  # esis_aanvraag_id → sha256 of its document
    errors: Counter[str] = field(default_factory=Counter)
    _rr: itertools.count[int] = field(default_factory=itertools.count)

    async def run(self, n: int, *, give_up_after: float = 120.0) -> None:
        queue = iter(range(n))

        async def worker() -> None:
            for i in queue:
                await self._send(i, give_up_after)

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    async def _send(self, i: int, give_up_after: float) -> None:
        content = pdf_document(f"OPP ESIS {i:05d}")
        doc = Document(f"OPP-ESIS-{i:05d}.pdf", content, soort="opp")
        body = aanvraag(self.brin6, aanvraag_id=f"ESIS-REL-{i:05d}", leerlingid=f"ESIS-REL-{i:05d}", documenten=[doc])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + give_up_after
        while loop.time() < deadline:
            url = self.base_urls[next(self._rr) % len(self.base_urls)]
            try:
                async with EsisSimulator(url, self.code, ca_file=self.ca_file) as esis:
                    r = await esis.create(body, [doc])
            except Exception as exc:  # the gateway is down or died mid-request: send again
                self.errors[type(exc).__name__] += 1
            else:
                if r.status in (200, 202):
                    self.accepted[str(body["esis_aanvraag_id"])] = hashlib.sha256(content).hexdigest()
                    return
                self.errors[f"http_{r.status}"] += 1
            await asyncio.sleep(self.resend_delay)
        self.errors["gave_up"] += 1
