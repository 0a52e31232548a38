"""What a crash run leaves readable (issue 13's scan, on the crash run): once the orphan sweep's grace period
has passed, no blob that no committed row points at, no staged copy (S3), no PDF/ZIP bytes in a stored blob
when encryption is on, and no number that passes the elfproef nor a given secret (the verificatiecode) in
any table or gateway log."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

from gateway.store.blob_sweep import SweepPolicy, referenced_blob_keys, sweep_orphans
from gateway.store.db import Database
from gateway.store.types import utcnow
from verification.bsn import contains_bsn

__all__ = ["Leftovers", "leftovers"]

_HEXISH = re.compile(r"[0-9a-fA-F]{16,}|[0-9a-fA-F-]{36}")  # hashes, ids, keys: not free text
_MAGIC = (b"%PDF-", b"PK\x03\x04")


@dataclass
class Leftovers:
    blobs: int = 0  # stored blobs after the sweep
    orphans: list[str] = field(default_factory=list)  # stored, but no committed row points at them
    staged: list[str] = field(default_factory=list)  # S3 staged copies still there
    plaintext: list[str] = field(default_factory=list)  # blobs starting with PDF/ZIP bytes (encryption on)
    bsn_in_rows: list[str] = field(default_factory=list)
    bsn_in_logs: list[str] = field(default_factory=list)
    secrets_seen: list[str] = field(default_factory=list)  # "<where>: <secret>"

    def summary(self) -> dict[str, int]:
        return {k: (v if isinstance(v, int) else len(v)) for k, v in self.__dict__.items()}


def _bsn_lines(lines: Iterable[str]) -> list[str]:
    return [line[:200] for line in lines if contains_bsn(_HEXISH.sub(" ", line))]


async def leftovers(
    db: Database,
    blobs: Any,
    logs: Iterable[Path],
    *,
    encrypted: bool,
    grace: dt.timedelta,
    secrets: Iterable[str] = (),
) -> Leftovers:
    out = Leftovers()
    await sweep_orphans(db, blobs, SweepPolicy(grace=grace), now=utcnow() + grace + dt.timedelta(minutes=1))
    keys = set(await asyncio.to_thread(lambda: list(blobs.keys())))
    out.blobs = len(keys)
    out.orphans = sorted(keys - await referenced_blob_keys(db))
    out.staged = [name for _, name, _ in await asyncio.to_thread(lambda: list(blobs.staged_blobs()))]
    if encrypted:

        def heads() -> list[str]:
            bad = []
            for key in sorted(keys):
                raw, _ = blobs.backend.open_raw(key)
                with raw:
                    if raw.read(8).startswith(_MAGIC):
                        bad.append(key)
            return bad

        out.plaintext = await asyncio.to_thread(heads)
    rows: list[str] = []
    async with db.reader() as s:
        conn = await s.connection()
        for table in SQLModel.metadata.sorted_tables:
            rows += [f"{table.name}: {tuple(r)!r}" for r in (await conn.execute(select(table))).all()]
    out.bsn_in_rows = _bsn_lines(rows)
    texts = {"tabellen": "\n".join(rows)}
    for log in logs:
        texts[log.name] = log.read_text(encoding="utf-8", errors="replace")
        out.bsn_in_logs += _bsn_lines(texts[log.name].splitlines())
    out.secrets_seen = [f"{where}: {secret}" for secret in secrets for where, text in texts.items() if secret in text]
    return out
