"""Blob hygiene on the OSO path (issue 13): the bijlagen of an exchange that ends refused (after its dossier
was read), held, or waiting for a retry are taken back as part of that outcome — right away, not after the
orphan sweep's grace period — while a blob that a committed hulpvraag shares with it stays. On the local
store and on S3 (SeaweedFS, encrypted: keyed names), where they were staged copies never made visible."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from adapters.parnassys.dossier_documents import DEFAULT_ATTACHMENTS, AttachmentSpec
from adapters.parnassys.simulator.las import PreparedDossier
from gateway.components import Components
from gateway.store.blob_sweep import referenced_blob_keys
from gateway.store.blobs import ContentStore
from gateway.store.models import Bijlage, Exchange
from gateway.web.pages.actions import release_exchange
from tests.ops.conftest import BUCKET, make_keyring, s3_store
from tests.oso_integration.conftest import Oso

OWN = AttachmentSpec(role="overig", bestandsnaam="Eigen-verslag.pdf", size=23_456, omschrijving="Verslag")


def _keys(oso: Oso) -> set[str]:
    assert isinstance(oso.c.blobs, ContentStore)
    return set(oso.c.blobs.keys())


@pytest.fixture(params=["local", "s3-encrypted"])
async def components(request: pytest.FixtureRequest, components: Components) -> AsyncIterator[Components]:
    if request.param.startswith("s3"):
        s3, client = request.getfixturevalue("s3"), request.getfixturevalue("s3_client")
        components.blobs = s3_store(s3, client, make_keyring("k1"))
    yield components


def _leftovers(oso: Oso) -> list[str]:
    """What is in the store besides visible blobs: unfinished writes, moved-aside blobs, staged copies."""
    root = getattr(oso.c.blobs, "root", None)
    if root is not None:
        tmp = Path(root) / "tmp"
        return sorted(p.name for p in tmp.iterdir() if p.name.startswith(("incoming-", "discard-")))
    s3 = oso.c.blobs.s3  # type: ignore[attr-defined]  # an S3-store method, beyond the BlobStore protocol
    pages = s3.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=s3.prefix)
    return sorted(
        name for page in pages for o in page.get("Contents", []) if "/" in (name := o["Key"][len(s3.prefix) :])
    )


async def _states(oso: Oso) -> list[str]:
    async with oso.c.db.reader() as s:
        return list((await s.exec(select(col(Exchange.state)).order_by(col(Exchange.id)))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _unreferenced(oso: Oso) -> set[str]:
    return _keys(oso) - await referenced_blob_keys(oso.c.db)


REFUSED_AFTER_THE_DOSSIER = {
    "bsn_in_the_dossier": ("500", PreparedDossier(factory_options={"mutation": "bsn"}), "PaO.LL12"),
    "dossier_of_another_vestiging": (
        "500",
        PreparedDossier(factory_options={"vestigingscode": "01"}),
        "ROUTERING_VESTIGING_WIJKT_AF",
    ),
    "tlv_without_an_opp": (
        "500",
        PreparedDossier(
            aanvraagtype="Aanvraag TLV", opp=False, factory_options={"attachments": [OWN]}
        ),  # the profile's rule
        "OPP_ONTBREEKT",
    ),
    "bsn_in_the_aanvraag": (
        "500",
        PreparedDossier(omschrijving="Leerling 123456782 heeft hulp nodig."),
        "PaO.LL12",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED_AFTER_THE_DOSSIER))
async def test_an_exchange_refused_after_its_dossier_was_read_leaves_no_blob(oso: Oso, case: str) -> None:
    kenmerk, prepared, code = REFUSED_AFTER_THE_DOSSIER[case]
    await oso.notify(kenmerk=kenmerk, prepared=prepared)
    await oso.process()
    async with oso.c.db.reader() as s:
        [ex] = (await s.exec(select(Exchange))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert ex.state == "geweigerd" and code in [f["code"] for f in ex.findings], ex.findings
    assert oso.world.las.document_requests == 1  # the dossier was read (its bijlagen were written) ...
    assert _keys(oso) == set(), "a refused exchange's bijlage stayed in the blob store"  # ... and taken back
    assert _leftovers(oso) == []


async def test_a_blob_shared_with_an_existing_hulpvraag_stays_when_another_exchange_is_refused(oso: Oso) -> None:
    await oso.notify(kenmerk="500")  # stored: a hulpvraag whose bijlagen are the default OPP and toelichting
    await oso.process()
    shared = _keys(oso)
    assert len(shared) == 2 and await _unreferenced(oso) == set()
    # the same two documents and one of its own, for a dossier of another vestiging: refused after reading
    attachments = [*DEFAULT_ATTACHMENTS, OWN]
    await oso.notify(
        kenmerk="500", prepared=PreparedDossier(factory_options={"vestigingscode": "01", "attachments": attachments})
    )
    await oso.process()
    assert await _states(oso) == ["verwerkt", "geweigerd"]
    assert _keys(oso) == shared, "the refused exchange's own bijlage stayed, or a shared one went"
    assert _leftovers(oso) == []
    async with oso.c.db.reader() as s:
        for key in (await s.exec(select(col(Bijlage.blob_key)))).scalars():  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            with oso.c.blobs.open(key) as f:
                assert f.read(5) == b"%PDF-"  # every bijlage of the hulpvraag still readable


async def test_a_held_exchange_keeps_no_blob_and_its_release_reads_the_dossier_again(oso: Oso) -> None:
    forbidden = AttachmentSpec(role="overig", bestandsnaam="x.exe", kind="exe")
    await oso.notify(prepared=PreparedDossier(factory_options={"attachments": (*DEFAULT_ATTACHMENTS, forbidden)}))
    await oso.process()
    async with oso.c.db.reader() as s:
        [ex] = (await s.exec(select(Exchange))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert ex.state == "vastgehouden"
    assert _keys(oso) == set() and _leftovers(oso) == []
    await release_exchange(oso.c, ex.id, actor="secretariaat", swv_code=oso.c.settings.swv_code)
    for _ in range(100):
        await oso.process()
        if await _states(oso) == ["verwerkt"]:
            break
        await asyncio.sleep(0.05)
    assert await _states(oso) == ["verwerkt"]
    assert oso.world.las.document_requests == 2
    assert len(_keys(oso)) == 2 and await _unreferenced(oso) == set()  # the good bijlagen, pointed at
    assert _leftovers(oso) == []


async def test_a_processed_exchange_keeps_its_blobs(oso: Oso) -> None:
    await oso.notify(prepared=PreparedDossier(factory_options={"attachments": [*DEFAULT_ATTACHMENTS, OWN]}))
    await oso.process()
    assert await _states(oso) == ["verwerkt"]
    assert len(_keys(oso)) == 3 and await _unreferenced(oso) == set() and _leftovers(oso) == []
