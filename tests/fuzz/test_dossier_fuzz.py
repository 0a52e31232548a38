"""The dossier reader on mutated bytes: it never raises, on either reader, and every blocking finding has a
stable code and a Dutch message."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.parnassys.dossier_factory import AttachmentSpec, build_dossier
from gateway.dossier import DossierLimits, read_dossier
from tests.fuzz.strategies import assert_refusal, mutated

VALID = build_dossier(
    attachments=[
        AttachmentSpec(size=2_000),
        AttachmentSpec(role="toelichting_onderwijsbehoeften", bestandsnaam="Toelichting.pdf", size=2_000),
    ]
)
READERS = st.sampled_from([DossierLimits(), DossierLimits(fast_path_bytes=0)])


@settings(max_examples=150, deadline=None)
@given(mutated(VALID, max_edits=4), READERS)
def test_a_mutated_dossier_is_judged_without_an_exception(data: bytes, limits: DossierLimits) -> None:
    report = read_dossier(data, limits=limits)
    for f in report.findings:
        assert_refusal(f) if f.blocking else None
    if not report.valid:
        assert report.errors


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=4096), READERS)
def test_arbitrary_bytes_are_not_a_dossier(data: bytes, limits: DossierLimits) -> None:
    report = read_dossier(data, limits=limits)
    assert not report.valid and report.errors
    for f in report.errors:
        assert_refusal(f)


@settings(max_examples=80, deadline=None)
@given(mutated(VALID, max_edits=3))
def test_both_readers_agree_on_a_mutated_dossier(data: bytes) -> None:
    fast = read_dossier(data, limits=DossierLimits())
    streaming = read_dossier(data, limits=DossierLimits(fast_path_bytes=0))
    assert fast.valid == streaming.valid
    assert {f.code for f in fast.errors} == {f.code for f in streaming.errors}
