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
from tests.hostile.esis_auth_cases import ESIS_AUTH_CASES
from tests.hostile.esis_document_cases import ESIS_DOCUMENT_CASES
from tests.hostile.esis_json_cases import ESIS_JSON_CASES
from tests.hostile.esis_registration_cases import ESIS_REGISTRATION_CASES
from tests.hostile.esis_replay_cases import ESIS_REPLAY_CASES
from tests.hostile.esis_transport_cases import ESIS_TRANSPORT_CASES
from tests.hostile.soap_addressing_cases import SOAP_ADDRESSING_CASES
from tests.hostile.soap_content_cases import SOAP_CONTENT_CASES
from tests.hostile.soap_signature_cases import SOAP_SIGNATURE_CASES
from tests.hostile.soap_size_cases import SOAP_SIZE_CASES
from tests.hostile.soap_transport_cases import SOAP_TRANSPORT_CASES
from tests.hostile.soap_xml_cases import SOAP_XML_CASES
from tests.hostile.targets import Running
from tests.hostile.wire import HttpInput, HttpResult

__all__ = [
    "CORPUS",
    "ESIS_CASES",
    "MIN_CASES",
    "SOAP_CASES",
    "Case",
    "Outcome",
    "Target",
    "by_target",
    "run_dossier_case",
    "run_http_case",
]

MIN_CASES = 80
# The index: one list per target and attack family, each in its own module (the building blocks they share in
# soap_build.py and esis_build.py).
SOAP_CASES: list[Case] = [
    *SOAP_XML_CASES,  # DTDs and entities, structure and encoding
    *SOAP_SIZE_CASES,
    *SOAP_ADDRESSING_CASES,  # WS-Addressing
    *SOAP_SIGNATURE_CASES,  # the TLS identity and WS-Security (2W-be-S)
    *SOAP_CONTENT_CASES,  # the notificatie's content
    *SOAP_TRANSPORT_CASES,  # SOAP 1.1 over HTTP: media type, charset, SOAPAction
]
ESIS_CASES: list[Case] = [
    *ESIS_AUTH_CASES,  # verificatiecodes
    *ESIS_JSON_CASES,
    *ESIS_TRANSPORT_CASES,  # HTTP framing and multipart
    *ESIS_DOCUMENT_CASES,
    *ESIS_REPLAY_CASES,  # replay and wijzigingen
    *ESIS_REGISTRATION_CASES,  # registering a verificatiecode
]
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
