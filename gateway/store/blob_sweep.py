"""The orphan sweep: a blob no committed row points at, older than the grace period, is removed.

A blob is referenced by a ``bijlage`` row (its ``blob_key``) or by the stored hand-off of an exchange whose
payload was not purged yet, under `HANDOFF_BLOBS` (e.g. ESIS documents between intake and processing, and
those of refused exchanges until ``gateway purge`` removes them). Everything else in the store is what a crash or an
abandoned write left behind, or a refused or held OSO exchange whose blobs could not be taken back at once
(`discard_created` on the local store, when someone else wrote the same content meanwhile).

On S3 the worker's writes are staged copies (`settle_created`): the sweep promotes a copy that a committed
row names, at any age (its exchange's outcome committed, the promotion did not run: a crash), and deletes
one nobody names once it is older than the grace period.

Writes in flight are safe thanks to the grace period (``[blobs] orphan_grace_minutes``, 60 by default): a
writer makes its blob visible only just before the row that points at it is committed, and writing content
that is already stored renews the blob's modification time (`gateway.store.blobs`), so a blob younger than
the grace period is never removed. Before removing, the sweep reads the modification time again, so a blob
renewed while the sweep ran stays.

Runs at start-up and every ``[blobs] orphan_sweep_minutes`` in every process that runs workers (several
processes may sweep at once: deleting twice is harmless), and as part of ``gateway purge``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from gateway.logging import get_logger
from gateway.settings import Settings
from gateway.store.blobs import BlobStore, CreatedBlob, check_key
from gateway.store.db import Database
from gateway.store.models import Bijlage, Exchange

__all__ = [
    "HANDOFF_BLOBS",
    "SweepPolicy",
    "SweepReport",
    "discard_created",
    "document_keys",
    "referenced_blob_keys",
    "run_periodically",
    "settle_created",
    "sweep_orphans",
    "sweep_policy",
]

log = get_logger(__name__)


@dataclass(frozen=True)
class SweepPolicy:
    grace: dt.timedelta = dt.timedelta(minutes=60)
    every: dt.timedelta = dt.timedelta(minutes=60)


@dataclass(frozen=True)
class SweepReport:
    orphans: int  # removed (or, in a dry run, that would be)
    incomplete: int  # temporary files of writers that never finished


def sweep_policy(settings: Settings) -> SweepPolicy:
    """``[blobs] orphan_grace_minutes`` and ``orphan_sweep_minutes``."""
    from gateway.store.blob_config import blob_settings

    b = blob_settings(settings)
    return SweepPolicy(
        grace=dt.timedelta(minutes=b.orphan_grace_minutes), every=dt.timedelta(minutes=b.orphan_sweep_minutes)
    )


# The one key of a stored hand-off (gateway.pipeline.contracts.Handoff) the core reads: a hand-off that points
# at blobs before a bijlage row does lists them there as ``[{"blob_key": ...}, ...]``, so the orphan sweep and
# retention keep them while the exchange needs them (the ESIS intake's uploaded documents).
HANDOFF_BLOBS = "documenten"


def document_keys(meta: dict[str, Any] | None) -> set[str]:
    """The blob keys an exchange's stored hand-off names under `HANDOFF_BLOBS`."""
    keys: set[str] = set()
    for d in (meta or {}).get(HANDOFF_BLOBS) or []:
        key = d.get("blob_key") if isinstance(d, dict) else None
        if isinstance(key, str):
            with contextlib.suppress(KeyError):
                keys.add(check_key(key))
    return keys


async def referenced_blob_keys(db: Database, *, batch: int = 2000) -> set[str]:
    """Every blob key a committed row points at. Exchanges are read in batches by id (their metadata can
    be large: never all of it in memory at once)."""
    async with db.reader() as s:
        keys = set((await s.exec(select(col(Bijlage.blob_key)))).scalars().all())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        after = 0
        while True:
            rows = (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    select(col(Exchange.id), col(Exchange.meta))
                    .where(col(Exchange.payload_purged) == False, col(Exchange.id) > after)  # noqa: E712
                    .order_by(Exchange.id)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
                    .limit(batch)
                )
            ).all()
            if not rows:
                break
            for exchange_id, meta in rows:
                keys |= document_keys(meta)
                after = exchange_id
    return keys


async def settle_created(db: Database, created: Sequence[CreatedBlob], *, kept: bool) -> int:
    """After an exchange's outcome is committed: what its writers created becomes visible only where a
    committed row points at it. ``kept``: the outcome is a hulpvraag (verwerkt).

    - Staged copies (S3, `gateway.store.blobs_s3`): promoted when a committed ``bijlage`` row names their
      key, deleted otherwise — whatever the outcome. The copies are this exchange's own (nobody else can see
      them), so deleting needs no care; what a failure here leaves, the sweep settles the same way.
    - Blobs created in place (the local store): when the outcome is not kept, taken back
      (`discard_created`); a kept outcome's blobs stay (its rows point at them).

    Returns how many were taken back."""
    staged = [c for c in created if c.staged is not None]
    removed = await discard_created(db, [c for c in created if c.staged is None]) if not kept else 0
    if not staged:
        return removed
    try:
        referenced = await _referenced_by_bijlagen(db, {c.key for c in staged})

        def settle() -> int:
            n = 0
            for c in staged:
                assert c.staged is not None
                if c.key in referenced:
                    c.store.promote(c.key, c.staged)
                else:
                    n += c.store.discard_created(c.key, 0, c.staged)
            return n

        dropped = await asyncio.to_thread(settle)
    except Exception as exc:  # the store or the database is away: the sweep settles them later
        log.warning("blobstore_afronden_mislukt", fout=type(exc).__name__)
        return removed
    if dropped:
        log.info("blobstore_teruggenomen", aantal=dropped)
    return removed + dropped


async def _referenced_by_bijlagen(db: Database, keys: set[str]) -> set[str]:
    async with db.reader() as s:
        stmt = select(col(Bijlage.blob_key)).where(col(Bijlage.blob_key).in_(keys))
        return set((await s.exec(stmt)).scalars().all())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def discard_created(db: Database, created: Sequence[CreatedBlob]) -> int:
    """Take back the blobs an exchange created before it ended refused, held or waiting for a retry (its
    outcome is committed; a release or a retry reads the dossier again). Returns how many were removed.

    Safe without a grace period (docs/assumptions/secrets.md "Taking back what a refused exchange wrote"):
    only a blob this exchange *created* is a candidate (the name did not exist: nobody could point at it
    before), and it goes only while its modification time is still the one its creation left — every other
    writer of the same content renews that time before its row can be committed, and after the blob is moved
    aside such a writer finds nothing and stores its own copy. A committed bijlage row naming it keeps it
    too (belt and braces). What stays is left to the orphan sweep: the S3 store (no atomic move, so never
    taken back at once), a blob written twice, a failure here."""
    if not created:
        return 0
    keys = {c.key for c in created}
    try:
        referenced = await _referenced_by_bijlagen(db, keys)
        todo = [c for c in created if c.key not in referenced]
        removed = sum(
            await asyncio.to_thread(lambda: [c.store.discard_created(c.key, c.stamp, c.staged) for c in todo])
        )
    except Exception as exc:  # the store or the database is away: the orphan sweep removes them later
        log.warning("blobstore_terugnemen_mislukt", fout=type(exc).__name__)
        return 0
    if removed:
        log.info("blobstore_teruggenomen", aantal=removed)
    return removed


async def sweep_orphans(
    db: Database,
    blobs: BlobStore,
    policy: SweepPolicy = SweepPolicy(),
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> SweepReport:
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - policy.grace
    aged = getattr(blobs, "aged_keys", None)
    if aged is None:
        return SweepReport(0, 0)
    old = await asyncio.to_thread(lambda: [k for k, at in aged() if at < cutoff])
    staged = await asyncio.to_thread(lambda: list(getattr(blobs, "staged_blobs", lambda: ())()))
    if not old and not staged:
        return SweepReport(0, await _incomplete(blobs, policy, dry_run))
    referenced = await referenced_blob_keys(db)
    dropped = 0 if not staged else await _settle_staged(blobs, staged, referenced, cutoff, dry_run)
    orphans = set(old) - referenced
    removed = 0
    for key in sorted(orphans):
        if dry_run:
            removed += 1
            continue
        at = await asyncio.to_thread(blobs.modified, key)  # type: ignore[attr-defined]  # a store with aged_keys (checked above) has modified
        if at is None or at >= cutoff:
            continue  # gone already, or written again since it was listed
        await asyncio.to_thread(blobs.delete, key)
        removed += 1
    incomplete = await _incomplete(blobs, policy, dry_run) + dropped
    if removed and not dry_run:
        log.info("blobstore_wezen_verwijderd", aantal=removed, onvoltooid=incomplete)
    return SweepReport(removed, incomplete)


async def _settle_staged(
    blobs: BlobStore,
    staged: Sequence[tuple[str, str, dt.datetime]],
    referenced: set[str],
    cutoff: dt.datetime,
    dry_run: bool,
) -> int:
    """Staged copies (S3) an exchange left unsettled (a crash between its write and its outcome, or between
    the outcome's commit and the promotion): one that a committed row points at is promoted now, at any age
    (idempotent, also while its writer still runs); one nobody points at is deleted once older than the grace
    period (its writer is gone). Returns how many were (or, in a dry run, would be) deleted."""
    if dry_run:
        return sum(1 for key, _, at in staged if key not in referenced and at < cutoff)

    def settle() -> int:
        n = 0
        for key, name, at in staged:
            if key in referenced:
                blobs.promote(key, name)  # type: ignore[attr-defined]  # an S3-store method, beyond the BlobStore protocol
            elif at < cutoff:
                blobs.discard_created(key, 0, name)  # type: ignore[attr-defined]  # an S3-store method, beyond the BlobStore protocol
                n += 1
        return n

    promoted = sum(1 for key, _, _ in staged if key in referenced)
    n = await asyncio.to_thread(settle)
    if promoted:
        log.info("blobstore_klaargezet_zichtbaar", aantal=promoted)
    return n


async def _incomplete(blobs: BlobStore, policy: SweepPolicy, dry_run: bool) -> int:
    sweep = getattr(blobs, "sweep_incomplete", None)
    if sweep is None or dry_run:
        return 0
    return int(await asyncio.to_thread(sweep, policy.grace))


def run_periodically(db: Database, blobs: BlobStore, policy: SweepPolicy) -> Callable[[Any], AsyncIterator[None]]:
    """An aiohttp cleanup context: sweep at start-up, then every ``policy.every``."""

    async def ctx(_: Any) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                try:
                    await sweep_orphans(db, blobs, policy)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the store or the database is away: next round
                    log.warning("blobstore_opruimen_mislukt", fout=type(exc).__name__)
                await asyncio.sleep(policy.every.total_seconds())

        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx
