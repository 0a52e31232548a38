"""Delivering the mail outbox by SMTP — only when ``[mail] smtp_host`` is configured.

Without SMTP the mails stay in the outbox (state ``wachtend``), visible to the secretariaat; nothing is lost
and nothing pretends to be sent. smtplib is blocking, so each delivery runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from gateway.logging import get_logger
from gateway.store.db import Database
from gateway.store.models.mail import Mail, MailState
from gateway.store.types import utcnow
from gateway.tls import client_context

__all__ = ["MailSender", "MailSettings"]

log = get_logger(__name__)


@dataclass(frozen=True)
class MailSettings:
    """Knobs of the ``[mail]`` section."""

    smtp_host: str = ""  # empty: no delivery, mails stay in the outbox
    smtp_port: int = 587
    starttls: bool = True
    username: str = ""
    password: str = ""
    sender: str = "kindkans-gateway@localhost"
    timeout: float = 30.0
    max_attempts: int = 10
    retry_seconds: float = 300.0
    poll_interval: float = 30.0
    batch: int = 20

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_host)

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> MailSettings:
        def flag(v: Any) -> bool:
            return str(v).strip().lower() in ("1", "true", "ja", "yes", "on")

        kw: dict[str, Any] = {}
        for key in ("smtp_host", "username", "password", "sender"):
            if key in section:
                kw[key] = str(section[key])
        for key in ("smtp_port", "max_attempts", "batch"):
            if key in section:
                kw[key] = int(section[key])
        for key in ("timeout", "retry_seconds", "poll_interval"):
            if key in section:
                kw[key] = float(section[key])
        if "starttls" in section:
            kw["starttls"] = flag(section["starttls"])
        return cls(**kw)


class MailSender:
    def __init__(self, db: Database, settings: MailSettings) -> None:
        self.db, self.settings = db, settings

    def _send_blocking(self, mail: Mail) -> None:
        s = self.settings
        msg = EmailMessage()
        msg["From"] = s.sender
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg.set_content(mail.body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout) as smtp:
            if s.starttls:
                smtp.starttls(context=client_context())
            if s.username:
                smtp.login(s.username, s.password)
            smtp.send_message(msg)

    async def deliver_due(self) -> int:
        """Send the mails that are due. Returns how many were sent. Does nothing when SMTP is not configured."""
        if not self.settings.enabled:
            return 0
        now = utcnow()
        async with self.db.reader() as s:
            due = list(
                (
                    await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                        select(Mail)
                        .where(col(Mail.state) == MailState.WACHTEND.value, col(Mail.next_attempt_at) <= now)
                        .order_by(col(Mail.id))
                        .limit(self.settings.batch)
                    )
                )
                .scalars()
                .all()
            )
        sent = 0
        for mail in due:
            if not await self._claim(mail):
                continue  # another process is sending it
            error: str | None = None
            try:
                await asyncio.to_thread(self._send_blocking, mail)
            except (OSError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            async with self.db.session() as s:
                row = await s.get(Mail, mail.id)
                if row is None:
                    continue
                row.attempts += 1
                if error is None:
                    row.state, row.sent_at, row.last_error = MailState.VERZONDEN.value, utcnow(), None
                    sent += 1
                    log.info("mail_verzonden", mail_id=row.id)
                else:
                    row.last_error = error
                    if row.attempts >= self.settings.max_attempts:
                        row.state = MailState.MISLUKT.value
                    row.next_attempt_at = utcnow() + dt.timedelta(seconds=self.settings.retry_seconds)
                    log.warning("mail_niet_verzonden", mail_id=row.id, fout=error, pogingen=row.attempts)
                s.add(row)
        return sent

    async def _claim(self, mail: Mail) -> bool:
        """Take a mail for sending (several gateway processes may run a sender): push its next attempt past
        the send timeout, only if nobody else did."""
        now = utcnow()
        async with self.db.session() as s:
            res = await s.exec(
                update(Mail)
                .where(
                    col(Mail.id) == mail.id,
                    col(Mail.state) == MailState.WACHTEND.value,
                    col(Mail.next_attempt_at) <= now,
                )
                .values(next_attempt_at=now + dt.timedelta(seconds=self.settings.timeout * 2 + 30))
            )
            return bool(res.rowcount == 1)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.deliver_due()
            except Exception:  # keep the loop alive through a database hiccup
                log.exception("mail_verzender_fout")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.poll_interval)
