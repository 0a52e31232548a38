"""`gateway osr sync` and `gateway osr import FILE.csv` — the mandates of the SWV's schools into the store.

- ``sync`` asks the OSR, for every registered school (BRIN4), for both OSO-SWV mandates (ParnasSys and
  Kindkans) and replaces what the ``mandaat`` table holds for each school that answered; a school the OSR
  could not answer for keeps its stored mandates. A progress bar goes to stderr.
- ``import`` loads an export of the OSR portal (format: docs/assumptions/osr.md) — the offline path. A
  school whose lines were all accepted is replaced by them; a school with a refused line keeps its stored
  mandates until the corrected file is imported.

Settings (``[osr]`` in the TOML file or ``GATEWAY_OSR__<KEY>``), all optional; see `adapters.osr.settings`:
``base_url``, ``cert_file``, ``key_file``, ``ca_file``, ``connect_timeout``, ``total_timeout``,
``max_attempts``, ``backoff_initial``, ``backoff_max``, ``max_retry_after``, ``max_response_bytes``,
``cache_ttl_seconds``, ``max_staleness_seconds``, ``use_stale_negative``, ``sync_concurrency``,
``service_namespace``, ``parnassys_oin``, ``parnassys_system``, ``kindkans_oin``, ``kindkans_system``,
``stored_max_age_hours`` (the koppelcheck's).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TextIO

from adapters.osr.client import OsrClient
from adapters.osr.csv_import import MAX_BYTES, parse_mandates_csv
from adapters.osr.lookup import MandateLookup, RefreshResult, refresh_mandates
from adapters.osr.settings import osr_settings
from gateway.errors import ConfigError
from gateway.registry.cli import plug_live_lookup
from gateway.registry.mandates import group_by_school, parties_from_settings, replace_mandates
from gateway.registry.service import registered_brin4s
from gateway.settings import Settings
from verification.identifiers import OngeldigeIdentificatie, brin4_from_school_oin, parse_brin4
from verification.mandates import Mandaat, OsoSwvParties

__all__ = ["Progress", "open_lookup", "register"]

ACTOR = "systeem:osr-sync"


@asynccontextmanager
async def open_lookup(settings: Settings) -> AsyncIterator[MandateLookup]:
    """A `MandateLookup` over a fresh `OsrClient`, closed afterwards."""
    osr = osr_settings(settings.section("osr"))
    osr.config.ssl_context()  # a bad certificate setting stops here, before any school is asked
    async with OsrClient(osr.config) as client:
        yield MandateLookup(client, parties=osr.parties, policy=osr.policy)


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, one line per step otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int, result: RefreshResult) -> None:
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        state = "ok" if result.facts is not None else "niet bereikbaar"
        text = f"[{bar}] {done}/{total} {result.brin4}: {state}"
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width + 40) + ("\n" if done == total else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("osr", help="mandaten uit het Onderwijs Service Register (OSR)")
    sub = p.add_subparsers(dest="osr_command", metavar="ACTIE")
    sync = sub.add_parser("sync", help="de mandaten van alle geregistreerde scholen ophalen uit het OSR")
    sync.add_argument("--datum", help="peildatum JJJJ-MM-DD (standaard vandaag)")
    sync.add_argument("--brin4", action="append", help="alleen deze school (mag vaker)")
    sync.set_defaults(handler=_sync)
    imp = sub.add_parser("import", help="mandaten uit een export van het OSR-portaal (CSV) inlezen")
    imp.add_argument("file", metavar="BESTAND.csv")
    imp.add_argument("--proef", action="store_true", help="alleen controleren, niets opslaan")
    imp.add_argument("--door", default="secretariaat:cli", help="wie importeert (voor het auditlog)")
    imp.set_defaults(handler=_import)
    p.set_defaults(handler=lambda _a: (p.print_help(), 2)[1])
    plug_live_lookup(subparsers, open_lookup)  # `gateway koppelcheck --live` asks the OSR


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"'{text}' is geen datum: gebruik JJJJ-MM-DD, bijvoorbeeld 2025-09-01.") from None


def _missing(result: RefreshResult, parties: OsoSwvParties) -> list[str]:
    assert result.facts is not None
    have = result.facts.mandates
    return [s.name for s in parties.systems if not any(m.is_for(s, parties.service_namespace) for m in have)]


async def _sync(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    day = _date(args.datum)
    settings = settings_from(args)
    osr = osr_settings(settings.section("osr"))
    async with open_components(settings) as c:
        schools = await registered_brin4s(c.db, settings.swv_code)
        if args.brin4:
            wanted = {b.strip().upper() for b in args.brin4}
            unknown = sorted(wanted - set(schools))
            if unknown:
                print(f"fout: niet geregistreerd bij het SWV: {', '.join(unknown)}.", file=sys.stderr)
                return 2
            schools = [s for s in schools if s in wanted]
        if not schools:
            print("Geen scholen geregistreerd; er is niets op te halen.")
            return 0
        async with open_lookup(settings) as lookup:
            results = await refresh_mandates(
                lookup,
                schools,
                reference_date=day,
                on_progress=Progress(len(schools)),
                concurrency=osr.sync_concurrency,
            )
        answered = {r.brin4: r.facts.mandates for r in results if r.facts is not None and r.facts.source == "osr"}
        await replace_mandates(c.db, answered, bron="osr", parties=osr.parties, actor=ACTOR, swv_code=settings.swv_code)
    failed = [r for r in results if r.brin4 not in answered]
    incomplete = [(r, _missing(r, osr.parties)) for r in results if r.brin4 in answered]
    incomplete = [(r, m) for r, m in incomplete if m]
    print(
        f"{len(results)} school/scholen gevraagd: {len(answered) - len(incomplete)} met beide OSO-SWV-mandaten, "
        f"{len(incomplete)} met een ontbrekend mandaat, {len(failed)} niet opgehaald."
    )
    for r, missing in incomplete:
        print(f"  {r.brin4}: geen geldig mandaat voor {' en '.join(missing)} (het bestuur regelt dit in het OSR).")
    for r in failed:
        print(f"  {r.brin4}: niet opgehaald ({r.error or 'geen antwoord'}); de opgeslagen mandaten blijven staan.")
    return 1 if failed else 0


def _school_per_line(data: bytes) -> dict[int, str]:
    """CSV line number → the school (BRIN4) named on it, where readable: to know whom a refused line was for."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return {}
    header = next((x for x in text.splitlines() if x.strip() and not x.startswith("#")), "")
    reader = csv.reader(io.StringIO(text), delimiter=";" if header.count(";") >= header.count(",") else ",")
    column: int | None = None
    schools: dict[int, str] = {}
    try:
        for row in reader:
            if not row or not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
                continue
            if column is None:
                names = [c.strip().lower() for c in row]
                if "school" not in names:
                    return {}
                column = names.index("school")
                continue
            value = row[column].strip().upper() if column < len(row) else ""
            try:
                schools[reader.line_num] = parse_brin4(value) if len(value) <= 4 else brin4_from_school_oin(value)
            except OngeldigeIdentificatie:
                continue
    except csv.Error:
        return schools
    return schools


def _read_file(path: str) -> bytes | None:
    from gateway.os_errors import read_input

    try:
        return read_input(path, MAX_BYTES)
    except ConfigError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        return None


async def _import(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    data = _read_file(args.file)
    if data is None:
        return 2
    settings = settings_from(args)
    parties = parties_from_settings(settings.section("osr"))
    result = parse_mandates_csv(data, parties=parties)
    if not result.lines_read and any(f.blocking for f in result.findings):  # the whole file is refused
        for f in result.findings:
            print(
                f"fout: bestand {args.file}: {f.message}" + (f" ({f.location})" if f.location else ""), file=sys.stderr
            )
        return 2
    line_school = _school_per_line(data)
    blocked: dict[str, list[str]] = {}
    for f in result.findings:
        if f.blocking and f.location and f.location.startswith("regel "):
            school = line_school.get(int(f.location.split()[1]))
            if school:
                blocked.setdefault(school, []).append(f.location)
    grouped: dict[str, list[Mandaat]] = group_by_school(result.mandates)
    replaced = {b: ms for b, ms in grouped.items() if b not in blocked}
    for f in result.findings:
        label = "fout" if f.blocking else "let op"
        print(f"{f.location or 'bestand'}: {label}: {f.message}")
    for brin4, where in sorted(blocked.items()):
        print(f"{brin4}: niet bijgewerkt omdat {', '.join(where)} geweigerd is; de opgeslagen mandaten blijven staan.")
    if not args.proef and replaced:
        async with open_components(settings) as c:
            await replace_mandates(
                c.db, replaced, bron="csv", parties=parties, actor=args.door, swv_code=settings.swv_code
            )
    stored = sum(len(ms) for ms in replaced.values())
    verb = "zouden worden opgeslagen (proef: niets opgeslagen)" if args.proef else "opgeslagen"
    print(
        f"{result.lines_read} regel(s) gelezen: {stored} mandaat/mandaten van {len(replaced)} school/scholen {verb}, "
        f"{result.refused} regel(s) geweigerd."
    )
    return 1 if result.refused else 0
