"""SQL statements, transactions and CPU per OSO-SWV exchange, phase by phase — the core without HTTP or XML.

    .venv/bin/python bench/db_statements.py [--n 300] [--bijlagen 14] [--database-url URL] [--json-out FILE]
                                            [--show-sql]

Each exchange goes through the database path of a ParnasSys notificatie, with the real core pieces and the
real `OsoSenderChecks` (registry look-ups, mandate cache, the ``mandaat`` table); only the outside systems
(OSR, Traffic Center, LAS) and the dossier reading are left out, so the figures are the database's share:

1. ``intake``: `OsoSenderChecks.at_intake` + `Inbox.put` with the `DatabaseReplayGuard.sighting` in its transaction;
2. ``claim``: `Inbox.claim` by one worker;
3. ``worker_checks``: `OsoSenderChecks.in_worker` and ``for_dossier`` (registry afresh, mandates);
4. ``steps``: the two timeline steps the OSO handler records (sessie geopend, dossier ontvangen), both kept
   for the outcome's unit (so this phase runs no statement of its own since session 8);
5. ``store_outcome``: `store_draft` (new hulpvraag, ``--bijlagen`` bijlagen, statushistorie, audit) + the
   outcome + the afmelding in the outbox — one unit of work;
6. ``outbox``: claiming and recording the afmelding (the deliverer itself does nothing).

The phases run one after the other for all ``--n`` exchanges, one exchange at a time, so every statement is
attributed to its phase. Statements are counted with SQLAlchemy's ``before_cursor_execute`` event (an
executemany counts once; BEGIN / SAVEPOINT / RELEASE are counted apart as transaction overhead);
``transactions`` counts the ``begin`` events (on SQLite's group-committing writer each unit of work is one
SAVEPOINT inside a batch's transaction: ``units``). CPU is the process's (all threads, user + system).
SQLite in a temp dir unless ``--database-url`` names a (throw-away!) PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PHASES = ("intake", "claim", "worker_checks", "steps", "store_outcome", "outbox")
BRIN = "14SS"
KENMERK = "00000007000" + BRIN + "00500"


class Counter:
    """Statement, transaction and savepoint counts per phase, from SQLAlchemy engine events."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.lock = threading.Lock()
        self.statements: collections.Counter[str] = collections.Counter()
        self.overhead: collections.Counter[str] = collections.Counter()
        self.transactions: collections.Counter[str] = collections.Counter()
        self.units: collections.Counter[str] = collections.Counter()
        self.by_sql: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)

    def install(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", self._on_execute)
        event.listen(Engine, "begin", self._on_begin)
        event.listen(Engine, "savepoint", self._on_savepoint)

    def uninstall(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.remove(Engine, "before_cursor_execute", self._on_execute)
        event.remove(Engine, "begin", self._on_begin)
        event.remove(Engine, "savepoint", self._on_savepoint)

    def _on_execute(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        head = statement.lstrip()[:9].upper()
        with self.lock:
            if head.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")):
                self.overhead[self.phase] += 1
            else:
                self.statements[self.phase] += 1
                self.by_sql[self.phase][_normalise(statement)] += 1

    def _on_begin(self, conn: Any) -> None:
        with self.lock:
            self.transactions[self.phase] += 1

    def _on_savepoint(self, conn: Any, name: str) -> None:
        with self.lock:
            self.units[self.phase] += 1


def _normalise(sql: str) -> str:
    s = " ".join(sql.split())
    s = re.sub(r"\((?:\?|\$\d+(?:::\w+)?)(?:, (?:\?|\$\d+(?:::\w+)?))*\)", "(…)", s)
    s = re.sub(r"__\[POSTCOMPILE_\w+\]", "…", s)
    return s[:150]


class FakeOsr:
    """The OSR's /mandates: both OSO-SWV mandates for every school (answers are cached by MandateLookup)."""

    def __init__(self) -> None:
        self.calls = 0

    async def mandate(
        self, *, school_oin: str, supplier_oin: str, service_version_namespace: str, reference_date: dt.date
    ) -> Any:
        from adapters.osr.wire import MandateAnswer

        self.calls += 1
        return MandateAnswer(
            school_oin=school_oin,
            supplier_oin=supplier_oin,
            service_version_namespace=service_version_namespace,
            reference_date=reference_date,
            found=True,
            start_date=dt.date(2022, 8, 15),
        )


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select
    from sqlmodel import SQLModel

    import gateway.store.models  # noqa: F401
    from adapters.osr.lookup import MandateLookup
    from adapters.parnassys.notificatie import Notificatie
    from adapters.parnassys.sender_checks import OsoSenderChecks
    from gateway.components import build_components
    from gateway.inbox.outbox import OutboxWorker
    from gateway.inbox.replay import DatabaseReplayGuard
    from gateway.inbox.worker import ExchangeWorkers
    from gateway.logging import configure_logging
    from gateway.pipeline.contracts import (
        BijlageDraft,
        ClaimedExchange,
        HulpvraagDraft,
        NewExchange,
        OutboundMessage,
        Outcome,
        PupilIdentity,
        StepRecorder,
    )
    from gateway.settings import load_settings
    from gateway.store.models import Hulpvraag
    from gateway.store.seed import seed_demo_registry, seed_swv

    configure_logging("console", "warning")
    counter = Counter()
    tmp = Path(tempfile.mkdtemp(prefix="db-statements-"))
    try:
        settings = load_settings(environ={}, data_dir=tmp)
        if args.database_url:
            settings = settings.replace(database_url=args.database_url)
        c = build_components(settings)
        async with c.db.engine.begin() as conn:
            if args.database_url:
                await conn.run_sync(SQLModel.metadata.drop_all)
            await conn.run_sync(SQLModel.metadata.create_all)
        swv_id = await seed_swv(c.db)
        await seed_demo_registry(c.db, swv_id)
        checks = OsoSenderChecks(c.db, MandateLookup(FakeOsr()), swv_code=settings.swv_code)  # type: ignore[arg-type]  # FakeOsr: an OSR client double
        guard = DatabaseReplayGuard(c.db)

        def notificatie(i: int) -> Notificatie:
            return Notificatie(
                bronBrin=BRIN,
                bronRouteringsKenmerk=KENMERK,
                doelBrin=BRIN,
                doelRouteringsKenmerk="00000007000PO300800000",
                koppelsleutel=str(uuid.UUID(int=i + 1)),
                doel="SWV",
            )

        class OsoLikeHandler:
            """The database calls of `OsoExchangeHandler.handle`, without the outside systems."""

            async def handle(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
                counter.phase = "worker_checks"
                n = Notificatie.from_meta(exchange.meta)
                findings = await checks.in_worker(n)
                assert not any(f.blocking for f in findings), findings
                counter.phase = "steps"
                # both kept for the outcome's unit, as the handler does for a dossier under 1 MB
                await steps.step("sessie_geopend", f"Sessie geopend: {exchange.key}.", with_outcome=True)
                await steps.step("dossier_ontvangen", "Dossier ontvangen (123456 bytes).", with_outcome=True)
                counter.phase = "worker_checks"
                assert not await checks.for_dossier(n, "00")
                counter.phase = "store_outcome"
                bijlagen = tuple(
                    BijlageDraft(
                        bestandsnaam=f"bijlage{k}.pdf",
                        role=("opp", "toelichting_onderwijsbehoeften")[k] if k < 2 else "overig",
                        blob_key=f"{exchange.id:032x}{k:032x}",
                        size=20_000,
                        sha256=f"{exchange.id:032x}{k:032x}",
                        detected_type="pdf",
                    )
                    for k in range(args.bijlagen)
                )
                return HulpvraagDraft(
                    swv_code=exchange.swv_code,
                    brin6=BRIN + "00",
                    pupil=PupilIdentity(
                        leerlingid=f"BENCH{exchange.id}", voornaam="Sanne", achternaam="Jansen",
                        geboortedatum=dt.date(2016, 3, 14),
                    ),
                    aanvraagtype="Aanvraag TLV",
                    omschrijving="Aanvraag via OSO",
                    source_system="parnassys",
                    external_keys={"koppelsleutel": n.koppelsleutel, "bronBrin": n.bronBrin, "sessieId": "s"},
                    bijlagen=bijlagen,
                )  # fmt: skip

            def afterwards(self, exchange: ClaimedExchange, outcome: Outcome) -> list[OutboundMessage]:
                koppelsleutel = str(exchange.meta["koppelsleutel"])
                return [
                    OutboundMessage(
                        kind="oso_afmelding",
                        key=f"oso_afmelding:{koppelsleutel}:s",
                        payload={"sessieId": "s", "koppelsleutel": koppelsleutel, "resultaat": "OK"},
                    )
                ]

        delivered: list[str] = []

        class Deliverer:
            async def deliver(self, message: OutboundMessage) -> None:
                delivered.append(message.key)

        workers = ExchangeWorkers(c.db, c.inbox, {"oso_notificatie": OsoLikeHandler()}, retry=c.retry)
        claim = c.inbox.claim

        async def counted_claim(owner: str) -> Any:
            counter.phase = "claim"
            return await claim(owner)

        c.inbox.claim = counted_claim  # type: ignore[method-assign]  # wrap claim to count the statements it runs
        outbox = OutboxWorker(c.db, {"oso_afmelding": Deliverer()}, retry=c.retry, batch=1)
        payload = b"<soap:Envelope>" + b"x" * 4000 + b"</soap:Envelope>"
        cpu: dict[str, float] = collections.defaultdict(float)
        counter.install()

        # 1. intake, as the endpoint does it: replay guard, sender checks, put
        counter.phase = "intake"
        t = time.process_time()
        for i in range(args.n):
            n = notificatie(i)
            until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
            sighting = guard.sighting(f"urn:uuid:{uuid.uuid4()}", until)  # in the put's transaction, as the endpoint
            assert not [f for f in await checks.at_intake(n) if f.blocking]
            new = NewExchange(
                key=n.key, source="parnassys", kind="oso_notificatie", swv_code=settings.swv_code, brin6=n.brin6,
                payload=payload, meta={**n.to_meta(), "bron_brin": BRIN, "sender_oin": "00000001234567890000"},
            )  # fmt: skip
            assert (await c.inbox.put(new, first=sighting)).created
        cpu["intake"] = time.process_time() - t

        # 2–5. one worker, one exchange at a time (phases are attributed by the handler and the claim wrapper)
        t = time.process_time()
        handled = await workers.drain()
        cpu_processing = time.process_time() - t
        assert handled == args.n, handled

        # 6. the outbox
        counter.phase = "outbox"
        t = time.process_time()
        await outbox.drain()
        cpu["outbox"] = time.process_time() - t
        counter.phase = "done"
        counter.uninstall()
        assert len(delivered) == args.n, len(delivered)
        async with c.db.reader() as s:
            made = (await s.exec(select(func.count()).select_from(Hulpvraag))).scalar_one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        assert made == args.n, f"{made} hulpvragen for {args.n} exchanges"
        await c.close()

        n = args.n
        phases: dict[str, Any] = {}
        for phase in PHASES:
            phases[phase] = {
                "statements": round(counter.statements[phase] / n, 2),
                "transactions": round(counter.transactions[phase] / n, 2),
                "units": round(counter.units[phase] / n, 2),
                "begin_savepoint_release": round(counter.overhead[phase] / n, 2),
            }
            if args.show_sql:
                phases[phase]["sql"] = {k: round(v / n, 2) for k, v in counter.by_sql[phase].most_common()}
        total = {
            key: round(sum(p[key] for p in phases.values() if isinstance(p, dict)), 2)
            for key in ("statements", "transactions", "units", "begin_savepoint_release")
        }
        return {
            "database": "postgresql" if args.database_url else "sqlite",
            "n": n,
            "bijlagen_per_exchange": args.bijlagen,
            "per_exchange": {"total": total, **phases},
            "cpu_ms_per_exchange": {
                "intake": round(cpu["intake"] / n * 1000, 3),
                "processing (claim, checks, steps, store, outcome)": round(cpu_processing / n * 1000, 3),
                "outbox": round(cpu["outbox"] / n * 1000, 3),
                "total": round((cpu["intake"] + cpu_processing + cpu["outbox"]) / n * 1000, 3),
            },
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--bijlagen", type=int, default=14, help="bijlagen per exchange (the POSWV example has 14)")
    p.add_argument("--database-url", default=None, help="a throw-away PostgreSQL database (it is emptied)")
    p.add_argument("--show-sql", action="store_true", help="list the statements of each phase")
    p.add_argument("--json-out", type=Path, default=None)
    args = p.parse_args()
    result = asyncio.run(measure(args))
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
