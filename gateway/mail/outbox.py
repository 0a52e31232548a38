"""Queueing a mail: one row in the mail outbox, inside the caller's transaction.

So a mail is never sent for something that was rolled back, and never lost for something that was
committed: the sender picks it up afterwards.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.logging import get_logger
from gateway.store.models.mail import Mail

__all__ = ["queue_mail"]

log = get_logger(__name__)


def _clean_header(value: str) -> str:
    """No line breaks in an address or subject (header injection)."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def queue_mail(session: AsyncSession, to: str, subject: str, body: str) -> Mail:
    to, subject = _clean_header(to), _clean_header(subject)
    if "@" not in to:
        raise ValueError("not an e-mail address")
    mail = Mail(to=to, subject=subject[:300], body=body)
    session.add(mail)
    log.info("mail_klaargezet", onderwerp=subject)
    return mail
