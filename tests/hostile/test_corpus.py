"""Every hostile or broken input is refused with its stable code and a Dutch message — no server error,
nothing half-stored."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from gateway.components import Components
from gateway.logging import configure_logging
from gateway.store.blob_sweep import referenced_blob_keys, settle_created
from gateway.store.blobs import ContentStore, recording_created
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.models import Bijlage, Exchange, Hulpvraag
from tests.hostile.corpus import CORPUS, MIN_CASES, Case, Outcome, by_target, run_dossier_case, run_http_case
from tests.hostile.targets import Running
from tests.ops.conftest import BUCKET, make_keyring, s3_store
from tests.ops.s3server import S3Server

DUTCH = (" de ", " het ", " een ", " is ", " niet ", " geen ", " van ", " moet ", " te ", " bij ")


def _params(cases: list[Case]) -> list[object]:
    return [
        pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [])
        for c in cases
    ]


def assert_refused(case: Case, outcome: Outcome) -> None:
    assert outcome.findings, f"no refusal code in the answer: {outcome.status} {outcome.raw[:300]!r}"
    first = outcome.findings[0]
    assert first.get("code") == case.code, (outcome.codes, outcome.raw[:300])
    message = f" {first.get('message') or ''} ".lower()
    assert any(w in message for w in DUTCH), f"not a Dutch message: {message!r}"


async def _stored(gateway: Running) -> Counter[str]:
    counts: Counter[str] = Counter()
    async with gateway.c.db.reader() as s:
        for model in (Hulpvraag, Bijlage):
            counts[model.__name__] = (await s.exec(select(func.count()).select_from(model))).scalar_one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        for state in (await s.exec(select(col(Exchange.state)))).scalars():  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            counts[f"exchange:{state}"] += 1
    return counts


async def _unreferenced_blobs(gateway: Running) -> set[str]:
    """Blobs no row points at (an accepted exchange's ESIS documents, a bijlage)."""
    blobs = gateway.c.blobs
    assert isinstance(blobs, ContentStore)
    keys = set(await asyncio.to_thread(lambda: list(blobs.keys())))
    return keys - await referenced_blob_keys(gateway.c.db)


def _incomplete_writes(gateway: Running) -> list[Path]:
    root = getattr(gateway.c.blobs, "root", None)
    return list((Path(root) / "tmp").glob("incoming-*")) if root is not None else []


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure_logging("json", "debug", stream=buf)
    yield buf
    configure_logging()


def _echoed(body: object, logs: str, width: int = 40) -> list[str]:
    """Pieces of a request body that appear verbatim in the logs (windows of ``width`` bytes at eight
    places). A window of fewer than ten different characters (padding, a run of one letter) says nothing, nor
    does one with a ``/`` (a namespace URI or a path: the protocol's words, not the sender's input)."""
    if not isinstance(body, bytes) or len(body) < width:
        return []
    seen = []
    for start in {min(i * len(body) // 8, len(body) - width) for i in range(8)}:
        piece = body[start : start + width].decode("utf-8", "replace")
        if len(set(piece.strip())) >= 10 and "/" not in piece and piece in logs:
            seen.append(piece)
    return seen


@pytest.mark.parametrize("case", _params(by_target("soap", "esis")))
async def test_http_input_is_refused_with_its_code(case: Case, gateway: Running, json_logs: io.StringIO) -> None:
    outcome = await run_http_case(case, gateway)
    assert outcome.status == case.status, (outcome.status, outcome.raw[:300])
    if outcome.status is not None and outcome.status >= 500:
        # SOAP 1.1 faults travel on HTTP 500 (WS-I BP R1126); a refusal is the sender's fault, not ours
        assert case.target == "soap" and outcome.faultcode == "soap:Client", outcome.raw[:300]
    assert_refused(case, outcome)
    assert len(outcome.raw) < 64 * 1024 or case.target == "soap", "an answer must stay small"
    stored = await _stored(gateway)
    accepted = stored["exchange:ontvangen"] - (1 if case.before or case.repeat else 0)
    assert accepted == 0 and stored["Hulpvraag"] == 0 and stored["Bijlage"] == 0, stored
    assert await _unreferenced_blobs(gateway) == set(), "a refused document stayed in the blob store"
    assert _incomplete_writes(gateway) == [], "a refused document left a temporary file"
    request = case.build(gateway.pki)
    assert _echoed(getattr(request, "body", None), json_logs.getvalue()) == [], "the refused input is in the logs"


@pytest.mark.parametrize("case", _params(by_target("dossier")))
def test_dossier_is_refused_with_its_code(case: Case, tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    with recording_created() as created:  # as the worker records what an exchange's dossier wrote
        outcome = run_dossier_case(case, blobs)
    kept = {a.blob_key for a in outcome.attachments if a.blob_key}
    refused = [a for a in outcome.attachments if any(f.blocking for f in a.findings)]
    assert all(a.blob_key is None for a in refused), "a refused bijlage points at a blob"
    assert set(blobs.keys()) == kept, "a refused bijlage stayed in the blob store"
    assert kept <= {c.key for c in created}  # (a refused bijlage's blob was created too, and deleted at once)
    # the exchange ends refused or held (a blocking finding), so the worker takes back its good bijlagen too
    # (gateway.inbox.worker → blob_sweep.discard_created): nothing of the dossier stays
    assert all(blobs.discard_created(c.key, c.stamp) for c in created if c.key in kept)
    assert set(blobs.keys()) == set(), "a bijlage of a refused dossier stayed in the blob store"
    assert [p.name for p in (tmp_path / "blobs" / "tmp").iterdir()] == []
    assert case.code in outcome.codes, outcome.codes
    refusal = next(f for f in outcome.findings if f["code"] == case.code)
    message = f" {refusal.get('message') or ''} ".lower()
    assert any(w in message for w in DUTCH), f"not a Dutch message: {message!r}"


@pytest.mark.parametrize("case", _params(by_target("dossier")))
async def test_dossier_is_refused_and_leaves_nothing_in_the_s3_bucket(
    case: Case, components: Components, s3: S3Server, s3_client: Any
) -> None:
    """The same on S3 (SeaweedFS, encrypted): while the worker reads the dossier its bijlagen are staged
    copies nobody else sees; the refused or held outcome deletes them (`settle_created`), so the bucket is
    empty right after it — no sweep needed."""
    blobs = s3_store(s3, s3_client, make_keyring("k1"))
    with recording_created() as created:
        outcome = await asyncio.to_thread(run_dossier_case, case, blobs)
    assert case.code in outcome.codes, outcome.codes
    assert all(a.blob_key is None for a in outcome.attachments if any(f.blocking for f in a.findings))
    assert list(blobs.keys()) == [], "a bijlage became visible before a committed row pointed at it"
    await settle_created(components.db, created, kept=False)
    pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=blobs.s3.cfg.prefix)  # type: ignore[attr-defined]  # an S3-store method, beyond the BlobStore protocol
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == [], "a refused dossier left objects"


def test_the_corpus_holds_at_least_eighty_cases_with_unique_names() -> None:
    assert len(CORPUS) >= MIN_CASES
    assert len({c.id for c in CORPUS}) == len(CORPUS)
    assert {c.target for c in CORPUS} == {"soap", "esis", "dossier"}


def test_the_corpus_covers_every_attack_family_of_the_issue() -> None:
    families = {c.attack for c in CORPUS}
    wanted = {
        "xxe", "billion_laughs", "deep_nesting", "huge_attribute", "invalid_utf8", "zip_bomb",
        "truncated_base64", "polyglot", "path_traversal", "signature_wrapping", "replay", "oversized_body",
    }  # fmt: skip
    assert wanted <= families, wanted - families
