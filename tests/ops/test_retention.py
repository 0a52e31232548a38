"""Retention (AVG): refused payloads and old audit rows go after their period; a dry run changes nothing."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from gateway.components import Components
from gateway.errors import ConfigError
from gateway.retention import RetentionPolicy, purge, retention_policy
from gateway.settings import load_settings
from gateway.store.audit import audit
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.models import AuditEntry, Exchange
from gateway.store.types import utcnow
from tests.conftest import unique
from tests.support.fakes import new_exchange
from verification.findings import fout

POLICY = RetentionPolicy(refused_payload_days=30, audit_days=365, batch_size=2)
DAY = dt.timedelta(days=1)


async def _refused(c: Components, age: dt.timedelta, **meta: object) -> int:
    result = await c.inbox.record_refusal(new_exchange(unique("r-"), **meta), [fout("TEST", "Geweigerd.")])
    when = utcnow() - age
    async with c.db.session() as s:
        await s.exec(
            update(Exchange)
            .where(col(Exchange.id) == result.exchange_id)
            .values(finished_at=when, next_attempt_at=when)
        )
    return result.exchange_id


async def _audit_row(c: Components, age: dt.timedelta) -> None:
    async with c.db.session() as s:
        s.add(AuditEntry(at=utcnow() - age, actor="test", action="iets_gedaan", object_type="test"))


async def _exchange(c: Components, exchange_id: int) -> Exchange:
    async with c.db.reader() as s:
        return (await s.exec(select(Exchange).where(col(Exchange.id) == exchange_id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _audit_actions(c: Components) -> list[str]:
    async with c.db.reader() as s:
        return list((await s.exec(select(col(AuditEntry.action)).order_by(col(AuditEntry.id)))).scalars().all())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def test_old_refused_payloads_and_old_audit_rows_are_purged(any_components: Components) -> None:
    c = any_components
    old = [await _refused(c, 40 * DAY) for _ in range(3)]  # more than one batch
    recent = await _refused(c, 5 * DAY)
    accepted = (await c.inbox.put(new_exchange(unique("a-")))).exchange_id
    await _audit_row(c, 400 * DAY)
    await _audit_row(c, 10 * DAY)

    report = await purge(c.db, c.blobs, POLICY, actor="systeem:purge")

    assert (report.payloads, report.audit_rows) == (3, 1)
    for exchange_id in old:
        row = await _exchange(c, exchange_id)
        assert row.payload is None and row.payload_purged and row.findings  # what and why stay
    for exchange_id in (recent, accepted):
        row = await _exchange(c, exchange_id)
        assert row.payload is not None and not row.payload_purged
    assert await _audit_actions(c) == ["iets_gedaan", "bewaartermijn_toegepast"]
    async with c.db.reader() as s:
        entry = (
            (await s.exec(select(AuditEntry).where(col(AuditEntry.action) == "bewaartermijn_toegepast")))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            .scalars()
            .one()
        )
    assert entry.actor == "systeem:purge" and entry.details["ruwe_berichten"] == 3
    assert (await purge(c.db, c.blobs, POLICY)).payloads == 0  # nothing left the second time


async def test_a_dry_run_reports_and_changes_nothing(components: Components) -> None:
    c = components
    exchange_id = await _refused(c, 40 * DAY)
    await _audit_row(c, 400 * DAY)
    report = await purge(c.db, c.blobs, POLICY, dry_run=True)
    assert (report.payloads, report.audit_rows, report.dry_run) == (1, 1, True)
    assert not (await _exchange(c, exchange_id)).payload_purged
    assert await _audit_actions(c) == ["iets_gedaan"]
    assert any("Proefdraai" in line for line in report.lines())


async def test_documents_of_a_purged_exchange_go_unless_still_needed(components: Components) -> None:
    c = components
    only_here = c.blobs.writer()
    only_here.write(os.urandom(1000))
    gone = only_here.commit().key
    shared = c.blobs.writer()
    shared.write(os.urandom(1000))
    kept = shared.commit().key
    await _refused(c, 40 * DAY, documenten=[{"blob_key": gone}, {"blob_key": kept}, {"blob_key": "../x"}])
    await c.inbox.put(new_exchange(unique("a-"), documenten=[{"blob_key": kept}]))  # resent, not yet processed

    assert (await purge(c.db, c.blobs, POLICY, dry_run=True)).documents == 1
    report = await purge(c.db, c.blobs, POLICY)
    assert report.documents == 1
    assert not c.blobs.exists(gone) and c.blobs.exists(kept)


async def _processed(c: Components, age: dt.timedelta) -> int:
    exchange_id = (await c.inbox.put(new_exchange(unique("p-"), voornaam="Sanne"))).exchange_id
    when = utcnow() - age
    async with c.db.session() as s:
        await s.exec(
            update(Exchange)
            .where(col(Exchange.id) == exchange_id)
            .values(state="verwerkt", finished_at=when, next_attempt_at=when)
        )
    return exchange_id


def _aged_blob(c: Components, content: bytes, age: dt.timedelta) -> str:
    w = c.blobs.writer()
    w.write(content)
    key = w.commit().key
    assert isinstance(c.blobs, LocalBlobStore)
    path = c.blobs._path(key)
    then = (utcnow() - age).timestamp()
    os.utime(path, (then, then))
    return key


async def test_processed_payloads_and_orphan_blobs_go_after_their_period_with_an_audit_row(
    components: Components,
) -> None:
    c = components
    old, recent = await _processed(c, 40 * DAY), await _processed(c, 5 * DAY)
    orphan = _aged_blob(c, os.urandom(500), 2 * DAY)  # what a refused OSO exchange or a crash left
    fresh = _aged_blob(c, os.urandom(500), dt.timedelta(minutes=5))  # a write in flight: within the grace
    referenced = _aged_blob(c, os.urandom(500), 2 * DAY)
    await _refused(c, 5 * DAY, documenten=[{"blob_key": referenced}])  # still within its own retention

    dry = await purge(c.db, c.blobs, POLICY, dry_run=True)
    assert (dry.processed_payloads, dry.orphans) == (1, 1) and c.blobs.exists(orphan)
    report = await purge(c.db, c.blobs, POLICY, actor="systeem:purge")

    assert (report.processed_payloads, report.orphans) == (1, 1)
    assert (await _exchange(c, old)).payload is None and (await _exchange(c, old)).payload_purged
    assert (await _exchange(c, recent)).payload is not None
    assert not c.blobs.exists(orphan) and c.blobs.exists(fresh) and c.blobs.exists(referenced)
    async with c.db.reader() as s:
        entry = (
            (await s.exec(select(AuditEntry).where(col(AuditEntry.action) == "bewaartermijn_toegepast")))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            .scalars()
            .one()
        )
    assert entry.details["ruwe_berichten_verwerkt"] == 1 and entry.details["wezen"] == 1
    assert any("1 document(en) in de bestandsopslag waar niets meer naar verwijst" in line for line in report.lines())


async def test_a_purged_exchange_is_not_offered_again(components: Components) -> None:
    c = components
    exchange_id = await _refused(c, 40 * DAY)
    await purge(c.db, c.blobs, POLICY)
    await c.inbox.retry_now([exchange_id], actor="secretariaat")
    assert (await _exchange(c, exchange_id)).state == "geweigerd"


async def test_the_purge_is_audited_even_when_nothing_was_due(components: Components) -> None:
    async with components.db.session() as s:
        audit(s, actor="test", action="iets_gedaan", object_type="test")
    report = await purge(components.db, components.blobs, POLICY)
    assert (report.payloads, report.documents, report.audit_rows) == (0, 0, 0)
    assert await _audit_actions(components) == ["iets_gedaan", "bewaartermijn_toegepast"]


def test_retention_settings_are_read_and_checked() -> None:
    policy = retention_policy(
        load_settings(
            environ={"GATEWAY_RETENTION__REFUSED_PAYLOAD_DAYS": "14", "GATEWAY_RETENTION__AUDIT_DAYS": "1095"}
        )
    )
    assert (policy.refused_payload_days, policy.audit_days) == (14, 1095)
    for env, says in (
        ({"GATEWAY_RETENTION__AUDIT_DAYS": "0"}, "minstens 1"),
        ({"GATEWAY_RETENTION__REFUSED_PAYLOAD_DAYS": "veertien"}, "geheel getal"),
        ({"GATEWAY_RETENTION__AUDITDAYS": "3"}, "Onbekende instelling '[retention] auditdays'"),
    ):
        with pytest.raises(ConfigError, match=says.replace("[", r"\[").replace("]", r"\]")):
            retention_policy(load_settings(environ=env))
