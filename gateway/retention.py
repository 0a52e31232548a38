"""Retention (AVG): personal data the gateway no longer needs is removed after a configurable period.

* The raw payload of a **refused** exchange (``geweigerd``) — the school's original message, which may name
  a pupil — is set to NULL and the exchange marked ``payload_purged`` once it finished more than
  ``refused_payload_days`` ago. The exchange row, its findings and its timeline stay (what was refused and
  why, without the content). A purged exchange can no longer be offered again (`Inbox.retry_now` skips it).
* Documents uploaded with such an exchange (ESIS ``meta.documenten``) are deleted from the blob store when
  no bijlage and no still-active exchange points at the same content.
* The raw payload of a **processed** exchange (``verwerkt``: ESIS JSON with the pupil's name, the OSO
  notification) is set to NULL the same way once it finished more than ``processed_payload_days`` ago: the
  hulpvraag holds what the SWV needs; its bijlagen stay.
* **Orphan blobs** — in the blob store with no committed row pointing at them (documents of a held or refused
  OSO exchange, what a crash left) and older than the sweep's grace period — are removed
  (`gateway.store.blob_sweep`); the periodic sweep does the same in a running gateway.
* **Audit** entries older than ``audit_days`` are deleted. This is the one exception to the append-only
  audit log, and it is itself recorded: every purge writes an audit entry ``bewaartermijn_toegepast`` with
  the counts and cut-off dates.

Work is done in batches of ``batch_size`` rows, one transaction each, so a large backlog never holds locks
for long and two processes running the purge at once do no harm (the second finds nothing left).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import col

from gateway.inbox.inbox import ACTIVE_STATES
from gateway.logging import get_logger
from gateway.section_reader import SectionReader
from gateway.settings import Settings
from gateway.store.audit import audit
from gateway.store.blob_sweep import SweepPolicy, document_keys, sweep_orphans
from gateway.store.blobs import BlobStore
from gateway.store.db import Database
from gateway.store.models import AuditEntry, Bijlage, Exchange, ExchangeState
from gateway.store.types import utcnow

__all__ = ["PurgeReport", "RetentionPolicy", "purge", "retention_policy"]

log = get_logger(__name__)
REFUSED = ExchangeState.GEWEIGERD.value
HELD = ExchangeState.VASTGEHOUDEN.value
PROCESSED = ExchangeState.VERWERKT.value


@dataclass(frozen=True)
class RetentionPolicy:
    refused_payload_days: int = 90  # raw payloads (and uploaded documents) of refused exchanges
    processed_payload_days: int = 30  # raw payloads of processed exchanges (the hulpvraag keeps what counts)
    audit_days: int = 730  # audit entries
    batch_size: int = 500


def retention_policy(settings: Settings) -> RetentionPolicy:
    """The ``[retention]`` section, checked (a Dutch `ConfigError` names the bad key)."""
    r = SectionReader("retention", settings.section("retention"))
    policy = RetentionPolicy(
        refused_payload_days=r.integer("refused_payload_days", 90, minimum=1, maximum=36500),
        processed_payload_days=r.integer("processed_payload_days", 30, minimum=1, maximum=36500),
        audit_days=r.integer("audit_days", 730, minimum=1, maximum=36500),
        batch_size=r.integer("batch_size", 500, minimum=1, maximum=100_000),
    )
    r.finish()
    return policy


@dataclass(frozen=True)
class PurgeReport:
    dry_run: bool
    refused_before: dt.datetime
    audit_before: dt.datetime
    payloads: int  # refused exchanges whose payload is (or would be) removed
    documents: int  # uploaded documents of those exchanges removed from the blob store
    audit_rows: int
    processed_before: dt.datetime | None = None
    processed_payloads: int = 0  # processed exchanges whose payload is (or would be) removed
    orphans: int = 0  # blobs no row points at, removed by the sweep

    def lines(self) -> list[str]:
        verb = "Zou verwijderen" if self.dry_run else "Verwijderd"
        out = [
            f"{verb}: {self.payloads} ruwe bericht(en) van geweigerde uitwisselingen "
            f"(afgerond vóór {self.refused_before:%Y-%m-%d %H:%M} UTC)",
            f"{verb}: {self.documents} bijbehorend(e) document(en) uit de bestandsopslag",
            f"{verb}: {self.processed_payloads} ruwe bericht(en) van verwerkte uitwisselingen"
            + (f" (afgerond vóór {self.processed_before:%Y-%m-%d %H:%M} UTC)" if self.processed_before else ""),
            f"{verb}: {self.orphans} document(en) in de bestandsopslag waar niets meer naar verwijst "
            "(van geweigerde of vastgehouden uitwisselingen, of achtergebleven na een storing)",
            f"{verb}: {self.audit_rows} auditregel(s) (van vóór {self.audit_before:%Y-%m-%d %H:%M} UTC)",
        ]
        if self.dry_run:
            out.append("Proefdraai: er is niets gewijzigd. Voer 'gateway purge' zonder --dry-run uit om op te schonen.")
        return out

    def to_details(self) -> dict[str, Any]:
        return {
            "ruwe_berichten": self.payloads,
            "documenten": self.documents,
            "auditregels": self.audit_rows,
            "ruwe_berichten_verwerkt": self.processed_payloads,
            "wezen": self.orphans,
            "geweigerd_voor": self.refused_before.isoformat(),
            "audit_voor": self.audit_before.isoformat(),
        }


def _refused_due(cutoff: dt.datetime) -> Any:
    # next_attempt_at is the finish time of a final exchange: it lets the (state, next_attempt_at) index
    # narrow the scan; finished_at is the real condition.
    return (
        col(Exchange.state) == REFUSED,
        col(Exchange.next_attempt_at) <= cutoff,
        col(Exchange.finished_at) <= cutoff,
        col(Exchange.payload_purged) == False,  # noqa: E712
    )


def _processed_due(cutoff: dt.datetime) -> Any:
    return (
        col(Exchange.state) == PROCESSED,
        col(Exchange.next_attempt_at) <= cutoff,
        col(Exchange.finished_at) <= cutoff,
        col(Exchange.payload_purged) == False,  # noqa: E712
    )


def _document_keys(meta: dict[str, Any]) -> set[str]:
    return document_keys(meta)


async def _still_needed(db: Database, keys: set[str]) -> set[str]:
    """The keys a bijlage or a still-active (or held) exchange points at: those blobs must stay."""
    if not keys:
        return set()
    async with db.reader() as s:
        used = set((await s.exec(select(col(Bijlage.blob_key)).where(col(Bijlage.blob_key).in_(keys)))).scalars().all())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        metas = (
            (await s.exec(select(col(Exchange.meta)).where(col(Exchange.state).in_([*ACTIVE_STATES, HELD]))))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            .scalars()
            .all()
        )
    for meta in metas:
        used |= _document_keys(meta or {}) & keys
    return used


async def _delete_blobs(blobs: BlobStore, keys: Iterable[str]) -> int:
    n = 0
    for key in keys:
        if await asyncio.to_thread(blobs.exists, key):
            await asyncio.to_thread(blobs.delete, key)
            n += 1
    return n


async def purge(
    db: Database,
    blobs: BlobStore,
    policy: RetentionPolicy,
    *,
    dry_run: bool = False,
    actor: str = "systeem",
    now: dt.datetime | None = None,
    sweep: SweepPolicy = SweepPolicy(),
) -> PurgeReport:
    now = now or utcnow()
    refused_before = now - dt.timedelta(days=policy.refused_payload_days)
    processed_before = now - dt.timedelta(days=policy.processed_payload_days)
    audit_before = now - dt.timedelta(days=policy.audit_days)
    if dry_run:
        return await _forecast(db, blobs, refused_before, processed_before, audit_before, sweep, now)
    payloads, documents = await _purge_refused_payloads(db, blobs, refused_before, policy.batch_size)
    processed = await _purge_processed_payloads(db, processed_before, policy.batch_size)
    orphans = (await sweep_orphans(db, blobs, sweep, now=now)).orphans
    audit_rows = await _purge_audit(db, audit_before, policy.batch_size)
    report = PurgeReport(
        False, refused_before, audit_before, payloads, documents, audit_rows, processed_before, processed, orphans
    )
    async with db.session() as s:
        audit(s, actor=actor, action="bewaartermijn_toegepast", object_type="bewaartermijn", **report.to_details())
    log.info(
        "bewaartermijn_toegepast",
        ruwe_berichten=payloads,
        documenten=documents,
        auditregels=audit_rows,
        ruwe_berichten_verwerkt=processed,
        wezen=orphans,
    )
    return report


async def _forecast(
    db: Database,
    blobs: BlobStore,
    refused_before: dt.datetime,
    processed_before: dt.datetime,
    audit_before: dt.datetime,
    sweep: SweepPolicy,
    now: dt.datetime,
) -> PurgeReport:
    """What a purge would remove now (``--dry-run``): counted, nothing changed."""
    async with db.reader() as s:
        payloads = (
            await s.exec(select(func.count()).select_from(Exchange).where(*_refused_due(refused_before)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        ).scalar_one()
        metas = (await s.exec(select(col(Exchange.meta)).where(*_refused_due(refused_before)))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        audit_rows = (
            await s.exec(select(func.count()).select_from(AuditEntry).where(col(AuditEntry.at) < audit_before))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        ).scalar_one()
        processed = (
            await s.exec(select(func.count()).select_from(Exchange).where(*_processed_due(processed_before)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        ).scalar_one()
    keys: set[str] = set()
    for meta in metas:
        keys |= _document_keys(meta or {})
    keys -= await _still_needed(db, keys)
    present = [k for k in keys if await asyncio.to_thread(blobs.exists, k)]
    orphans = (await sweep_orphans(db, blobs, sweep, dry_run=True, now=now)).orphans
    return PurgeReport(
        True,
        refused_before,
        audit_before,
        int(payloads),
        len(present),
        int(audit_rows),
        processed_before,
        int(processed),
        orphans,
    )


async def _purge_refused_payloads(
    db: Database, blobs: BlobStore, refused_before: dt.datetime, batch_size: int
) -> tuple[int, int]:
    """Drop the raw payload of refused exchanges past their term, and the documents only they held, in
    batches; returns (payloads, documents)."""
    payloads = documents = 0
    while True:
        async with db.session() as s:
            rows = (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    select(col(Exchange.id), col(Exchange.meta)).where(*_refused_due(refused_before)).limit(batch_size)
                )
            ).all()
            if not rows:
                break
            ids = [r[0] for r in rows]
            await s.exec(
                update(Exchange)
                .where(col(Exchange.id).in_(ids), *_refused_due(refused_before))
                .values(payload=None, payload_purged=True)
            )
        payloads += len(ids)
        keys = set().union(*(_document_keys(r[1] or {}) for r in rows))
        documents += await _delete_blobs(blobs, keys - await _still_needed(db, keys))
    return payloads, documents


async def _purge_processed_payloads(db: Database, processed_before: dt.datetime, batch_size: int) -> int:
    """Drop the raw payload of processed exchanges past their term, in batches; returns how many."""
    processed = 0
    while True:
        async with db.session() as s:
            ids = (
                (
                    await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                        select(col(Exchange.id)).where(*_processed_due(processed_before)).limit(batch_size)
                    )
                )
                .scalars()
                .all()
            )
            if not ids:
                break
            await s.exec(
                update(Exchange)
                .where(col(Exchange.id).in_(ids), *_processed_due(processed_before))
                .values(payload=None, payload_purged=True)
            )
        processed += len(ids)
    return processed


async def _purge_audit(db: Database, audit_before: dt.datetime, batch_size: int) -> int:
    """Delete the audit rows past their term, in batches; returns how many."""
    audit_rows = 0
    while True:
        async with db.session() as s:
            ids = (
                (
                    await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                        select(col(AuditEntry.id)).where(col(AuditEntry.at) < audit_before).limit(batch_size)
                    )
                )
                .scalars()
                .all()
            )
            if not ids:
                break
            await s.exec(delete(AuditEntry).where(col(AuditEntry.id).in_(ids)))
        audit_rows += len(ids)
    return audit_rows
