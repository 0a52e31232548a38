"""The hostile-input corpus: every case, across the OSO SOAP endpoint, the ESIS API and the dossier.

Each case names its target, the attack family it belongs to, how its input is built, and the refusal it
must get (HTTP status and stable code). `run_http_case` and `run_dossier_case` play a case and return what
happened, for the tests (tests/hostile/test_corpus.py) and the memory benchmark (bench/hostile_memory.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.dossier import DossierLimits, read_dossier
from gateway.pipeline.contracts import BijlageDraft
from gateway.store.blobs import BlobStore
from tests.hostile.corpus_types import Case, Target
from tests.hostile.dossier_cases import DOSSIER_CASES
from tests.hostile.esis_cases import ESIS_CASES
from tests.hostile.soap_cases import SOAP_CASES
from tests.hostile.targets import Running
from tests.hostile.wire import HttpInput, HttpResult

__all__ = ["CORPUS", "MIN_CASES", "Case", "Outcome", "Target", "by_target", "run_dossier_case", "run_http_case"]

MIN_CASES = 80
CORPUS: list[Case] = [*SOAP_CASES, *ESIS_CASES, *DOSSIER_CASES]


def by_target(*targets: Target) -> list[Case]:
    return [c for c in CORPUS if c.target in targets]


@dataclass(frozen=True)
class Outcome:
    """What the gateway answered: the status (None for the dossier), the findings (code, message)."""

    status: int | None
    findings: list[dict[str, str | None]]
    faultcode: str | None = None
    raw: bytes = b""
    attachments: tuple[BijlageDraft, ...] = ()  # the dossier's bijlagen as the reader drafted them

    @property
    def codes(self) -> list[str | None]:
        return [f.get("code") for f in self.findings]


async def run_http_case(case: Case, gateway: Running) -> Outcome:
    request = case.build(gateway.pki)
    assert isinstance(request, HttpInput)
    if case.before is not None:
        for first in case.before(gateway.pki):
            answer = await gateway.send(first)
            assert answer.status in (200, 202), (answer.status, answer.body[:300])
    if case.repeat:
        answer = await gateway.send(request)
        assert answer.status in (200, 202), (answer.status, answer.body[:300])
    result: HttpResult = await gateway.send(request)
    return Outcome(result.status, result.findings(), result.soap_faultcode, result.body)


def run_dossier_case(case: Case, blobs: BlobStore | None = None) -> Outcome:
    data = case.build()
    assert isinstance(data, bytes)
    limits = DossierLimits(**case.options)
    report = read_dossier(data, limits=limits, blobs=blobs)
    blocking = [f.to_dict() for f in report.findings if f.blocking]
    return Outcome(None, blocking, attachments=tuple(report.attachments))
