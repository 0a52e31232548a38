"""A national-scale store for the benchmarks: 8,000 vestigingen, 20,000 mandates, 100,000 hulpvragen.

`seed_national` bulk-inserts (SQLAlchemy Core, executemany per chunk) into a gateway database that already
holds the SWV, the demo registry and the benchmark's own sender, filling it up to national scale:

- schools and vestigingen up to ``vestigingen`` in all (the ones already there count: the benchmark's sender
  is one of them) — about 5,000 schools, a third with a nevenvestiging; ParnasSys schools carry
  routeringskenmerk 500 + vestigingscode, ESIS schools none;
- mandate rows up to ``mandates`` in all, over every school (the sender's too): the current ParnasSys and
  Kindkans mandates as a sync of the OSR left them (``bron="osr"``, with the sync's audit entry per school),
  and an ended earlier mandate period per system from a CSV export of the OSR portal (``bron="csv"``);
- ``hulpvragen`` stored hulpvragen spread over all vestigingen, each as a real store has it: the exchange
  that brought it (payload purged by retention except for the newest), its timeline (4 events), its
  bijlagen (4), its statushistorie (1–2), the audit entry, and for OSO-SWV the Traffic Center session and
  the delivered afmelding.

On SQLite the WAL is checkpointed afterwards, so the measurement does not fold the bulk load into the
database (as ``bench/core_inbox.py --stored`` does); on PostgreSQL the tables are analysed, as autovacuum
would have done for a store that grew to this size.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["NationalScale", "checkpoint_sqlite", "seed_national"]

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CHUNK = 5000
_GEMEENTEN = ("Helmond", "Deurne", "Geldrop-Mierlo", "Nuenen", "Laarbeek", "Someren", "Asten", "Boekel")
_STATUSES = (("Ondersteuningsaanvraag", True), ("TLV>voorlopige aanvraag", True), ("Afgesloten", False))


@dataclass(frozen=True)
class NationalScale:
    vestigingen: int = 8000
    mandates: int = 20000
    hulpvragen: int = 100_000


def _table(name: str) -> Table:
    from sqlmodel import SQLModel

    import gateway.store.models  # noqa: F401  (registers the tables)

    return SQLModel.metadata.tables[name]


def _brin4_codes(taken: set[str]) -> Iterator[str]:
    """Made-up BRIN4 codes (two digits, two letters) not in ``taken``, in a fixed order."""
    for n in range(100 * 26 * 26):
        code = f"{n % 100:02d}{_LETTERS[n // 100 // 26 % 26]}{_LETTERS[n // 100 % 26]}"
        if code not in taken:
            yield code


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]


async def _insert(conn: AsyncConnection, table: str, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        await conn.execute(insert(_table(table)), list(chunk))


async def _count(conn: AsyncConnection, table: str) -> int:
    return int((await conn.execute(select(func.count()).select_from(_table(table)))).scalar_one())


async def seed_national(db: Any, swv_id: int, scale: NationalScale = NationalScale()) -> dict[str, Any]:
    """Fill the registry and the store up to ``scale``; returns the counts and the seconds it took."""
    started = time.perf_counter()
    async with db.session(durable=False) as session:
        conn = await session.connection()
        await _seed_registry(conn, swv_id, scale)
        await _seed_mandates(conn, scale.mandates)
    async with db.session(durable=False) as session:
        conn = await session.connection()
        await _seed_hulpvragen(conn, swv_id, scale.hulpvragen)
    async with db.reader() as session:
        conn = await session.connection()
        counts = {t: await _count(conn, t) for t in ("vestiging", "school", "mandaat", "hulpvraag", "bijlage")}
    if db.is_sqlite:
        checkpoint_sqlite(db)
    else:  # the statistics autovacuum would have gathered on a store that grew to this size
        async with db.session(durable=False) as session:
            await (await session.connection()).execute(text("ANALYZE"))
    return {**counts, "seeding_seconds": round(time.perf_counter() - started, 1)}


def checkpoint_sqlite(db: Any) -> None:
    """Fold the WAL into the database file now, not in the first commits of the measurement."""
    from sqlalchemy.engine import make_url

    path = make_url(db.url).database
    with contextlib.closing(sqlite3.connect(str(path), isolation_level=None)) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _seed_registry(conn: AsyncConnection, swv_id: int, scale: NationalScale) -> None:
    school = _table("school")
    have_schools = (await conn.execute(select(school.c.brin4))).scalars().all()
    missing = scale.vestigingen - await _count(conn, "vestiging")
    n_schools = max(0, scale.mandates // 4 - len(have_schools))  # four mandate rows per school
    n_schools = min(n_schools, missing)
    codes = _brin4_codes(set(have_schools))
    new = [next(codes) for _ in range(n_schools)]
    await _insert(conn, "school", [
        {"swv_id": swv_id, "brin4": b, "naam": f"Basisschool {b}", "bestuur": f"Stichting {i % 900}",
         "las": "ESIS" if i % 4 == 3 else "ParnasSys"}
        for i, b in enumerate(new)
    ])  # fmt: skip
    ids = dict((await conn.execute(select(school.c.brin4, school.c.id).where(school.c.brin4.in_(new)))).tuples().all())
    per_school = [1] * n_schools
    for i in range(missing - n_schools):  # the rest: nevenvestigingen (01, 02, …) of the first schools
        per_school[i % n_schools] += 1
    rows = []
    for i, b in enumerate(new):
        parnassys = i % 4 != 3
        for code in range(per_school[i]):
            rows.append(
                {"swv_id": swv_id, "school_id": ids[b], "brin6": f"{b}{code:02d}", "naam": f"Vestiging {b}{code:02d}",
                 "gemeente": _GEMEENTEN[i % len(_GEMEENTEN)],
                 "routeringskenmerk": str(500 + code) if parnassys else None, "actief": True}
            )  # fmt: skip
    await _insert(conn, "vestiging", rows)


async def _seed_mandates(conn: AsyncConnection, total: int) -> None:
    """Current OSR mandates (ParnasSys, Kindkans) and an ended CSV period per system, for every school."""
    from verification.mandates import DEFAULT_SERVICE_NAMESPACE, OsoSwvParties

    parties = OsoSwvParties()
    schools = (await conn.execute(select(_table("school").c.brin4).order_by(_table("school").c.id))).scalars().all()
    now = dt.datetime.now(dt.UTC)
    room = total - await _count(conn, "mandaat")
    rows: list[dict[str, Any]] = []
    synced: list[str] = []
    periods = (("osr", dt.date(2022, 8, 15), None), ("csv", dt.date(2018, 8, 1), dt.date(2022, 8, 14)))
    for bron, start, end in periods:
        for brin4 in schools:
            for system in (parties.parnassys, parties.kindkans):
                if len(rows) < room:
                    rows.append({"brin4": brin4, "systeem": system.name, "supplier_oin": system.supplier_oin,
                                 "service": DEFAULT_SERVICE_NAMESPACE, "start_date": start, "end_date": end,
                                 "bron": bron, "opgehaald_op": now})  # fmt: skip
            if bron == "osr":
                synced.append(brin4)
    await _insert(conn, "mandaat", rows)
    await _insert(conn, "audit", [
        {"at": now, "actor": "systeem", "action": "osr_mandaten_opgehaald", "object_type": "school",
         "object_id": b, "swv_code": None, "details": {"bron": "osr", "systemen": ["Kindkans", "ParnasSys"]}}
        for b in synced
    ])  # fmt: skip


async def _seed_hulpvragen(conn: AsyncConnection, swv_id: int, n: int) -> None:
    vestiging, school = _table("vestiging"), _table("school")
    registry = (
        await conn.execute(
            select(vestiging.c.id, vestiging.c.brin6, school.c.las)
            .join(school, school.c.id == vestiging.c.school_id)
            .order_by(vestiging.c.id)
        )
    ).all()
    hv = _table("hulpvraag")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=3 * 365)
    for first in range(0, n, _CHUNK):
        numbers = range(first, min(n, first + _CHUNK))
        at = [start + dt.timedelta(minutes=15 * i) for i in numbers]
        senders = [registry[(i * 7919) % len(registry)] for i in numbers]  # spread over every vestiging
        hv_rows = [_hulpvraag(swv_id, i, v, t) for i, v, t in zip(numbers, senders, at, strict=True)]
        await conn.execute(insert(hv), hv_rows)
        first_hv = (await conn.execute(select(hv.c.id).where(hv.c.leerlingid == hv_rows[0]["leerlingid"]))).scalar_one()
        ex_rows = [
            _exchange(i, v, t, first_hv + k, recent=n - i <= 5000)
            for k, (i, v, t) in enumerate(zip(numbers, senders, at, strict=True))
        ]
        await conn.execute(insert(_table("exchange")), ex_rows)
        ex = _table("exchange")
        first_ex = (await conn.execute(select(ex.c.id).where(ex.c.key == ex_rows[0]["key"]))).scalar_one()
        await _related_rows(conn, numbers, senders, at, first_hv, first_ex)


def _oso(v: Sequence[Any]) -> bool:
    return str(v[2]) != "ESIS"


def _hulpvraag(swv_id: int, i: int, v: Sequence[Any], at: dt.datetime) -> dict[str, Any]:
    status, open_ = _STATUSES[i % len(_STATUSES)]
    oso = _oso(v)
    keys = {"koppelsleutel": f"{i:08x}-0000-4000-8000-{i:012x}", "bronBrin": str(v[1])[:4]} if oso else {}
    return {
        "swv_id": swv_id, "vestiging_id": v[0], "brin6": v[1], "leerlingid": f"NL{i:07d}", "voornaam": "Sanne",
        "tussenvoegsel": None, "achternaam": "Jansen", "geboortedatum": dt.date(2015, 1 + i % 12, 1 + i % 28),
        "aanvraagtype": "Ondersteuningsaanvraag schoolgaand kind", "omschrijving": "Graag overleg.",
        "status": status, "coordinator": "Eline Hansen", "source_system": "parnassys" if oso else "esis",
        "external_keys": keys, "request_key": None if oso else f"{v[1]}/productie:{i}", "labels": [],
        "contact": {}, "opp_expected": True, "findings": [], "open": open_, "created_at": at, "updated_at": at,
        "last_reaction_at": None,
    }  # fmt: skip


_PAYLOAD = b"<soap:Envelope>" + b"x" * 6000 + b"</soap:Envelope>"  # a notificatie's size


def _exchange(i: int, v: Sequence[Any], at: dt.datetime, hulpvraag_id: int, *, recent: bool) -> dict[str, Any]:
    oso = _oso(v)
    key = f"oso:{i:08x}-0000-4000-8000-{i:012x}" if oso else f"esis:{v[1]}/productie:{i}"
    return {
        "key": key, "source": "parnassys" if oso else "esis", "kind": "oso_notificatie" if oso else "esis_aanvraag",
        "swv_code": "PO3008", "brin6": v[1], "correlation_id": f"{i:032x}",
        "payload": _PAYLOAD if recent else None, "payload_purged": not recent,
        "meta": {"bronBrin": str(v[1])[:4], "sender_profile": "2W-be-S"} if oso else {"brin6": v[1]},
        "handoff_version": 1, "state": "verwerkt", "step": f"Verwerkt: hulpvraag {hulpvraag_id} aangemaakt.",
        "waiting_for": None, "attempts": 1, "next_attempt_at": at, "lease_owner": None, "lease_until": None,
        "findings": [], "last_error": None, "hulpvraag_id": hulpvraag_id, "received_at": at, "finished_at": at,
    }  # fmt: skip


async def _related_rows(
    conn: AsyncConnection,
    numbers: range,
    senders: list[Any],
    at: list[dt.datetime],
    first_hv: int,
    first_ex: int,
) -> None:
    tables: dict[str, list[dict[str, Any]]] = {
        t: [] for t in ("exchange_event", "bijlage", "statushistorie", "audit", "remote_session", "outbox")
    }
    for k, i in enumerate(numbers):
        for table, rows in _rows_of(i, first_hv + k, first_ex + k, at[k], oso=_oso(senders[k])).items():
            tables[table] += rows
    for table, rows in tables.items():
        await _insert(conn, table, rows)


def _rows_of(i: int, hv_id: int, ex_id: int, t: dt.datetime, *, oso: bool) -> dict[str, list[dict[str, Any]]]:
    """The rows a real store keeps beside hulpvraag ``hv_id`` and the exchange ``ex_id`` that brought it."""
    steps = ("ontvangen", "sessie_geopend", "dossier_ontvangen", "verwerkt")
    historie = [{"hulpvraag_id": hv_id, "status": "Ondersteuningsaanvraag", "vorige_status": None,
                 "door": "systeem", "toelichting": "Aanvraag ontvangen", "at": t}]  # fmt: skip
    if i % 3 == 2:
        historie.append({"hulpvraag_id": hv_id, "status": "Afgesloten", "vorige_status": "Ondersteuningsaanvraag",
                         "door": "gebruiker:PO3008/secretariaat", "toelichting": None, "at": t})  # fmt: skip
    rows: dict[str, list[dict[str, Any]]] = {
        "exchange_event": [{"exchange_id": ex_id, "at": t, "step": s, "message": s, "findings": []} for s in steps],
        "bijlage": [
            {"hulpvraag_id": hv_id, "bestandsnaam": f"document{b}.pdf", "omschrijving": None,
             "role": "opp" if b == 0 else "overig", "detected_type": "pdf", "size": 20_000,
             "sha256": f"{i:056x}{b:08x}", "blob_key": f"{i:056x}{b:08x}", "findings": [], "exchange_id": ex_id,
             "removed": False, "added_at": t}
            for b in range(4)
        ],
        "statushistorie": historie,
        "audit": [{"at": t, "actor": "parnassys" if oso else "esis", "action": "hulpvraag_aangemaakt",
                   "object_type": "hulpvraag", "object_id": str(hv_id), "swv_code": "PO3008",
                   "details": {"exchange_id": ex_id, "bijlagen": 4}}],
    }  # fmt: skip
    if oso:
        koppelsleutel = f"{i:08x}-0000-4000-8000-{i:012x}"
        close_key = f"oso_afmelding:{koppelsleutel}:{ex_id}:1:verwerkt"
        rows["remote_session"] = [
            {"exchange_id": ex_id, "system": "traffic_center", "session_id": f"seed-{i}", "subject": koppelsleutel,
             "state": "afgemeld", "resultaat": "OverdrachtGeslaagd", "close_key": close_key, "close_attempts": 1,
             "opened_at": t, "closed_at": t}
        ]  # fmt: skip
        rows["outbox"] = [
            {"key": close_key, "kind": "oso_afmelding", "state": "verzonden", "attempts": 1,
             "payload": {"exchange_id": ex_id, "koppelsleutel": koppelsleutel, "resultaat": "OverdrachtGeslaagd",
                         "toelichting": None},
             "next_attempt_at": t, "lease_until": None, "last_error": None, "created_at": t, "sent_at": t}
        ]  # fmt: skip
    return rows
