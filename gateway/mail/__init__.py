"""The mail outbox: `queue_mail` writes a mail in the caller's transaction; `MailSender` delivers them."""

from gateway.mail.outbox import queue_mail
from gateway.mail.sender import MailSender, MailSettings

__all__ = ["MailSender", "MailSettings", "queue_mail"]
