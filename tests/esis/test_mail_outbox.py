"""The mail outbox: mails wait there unless SMTP is configured; then they are delivered (to a loopback SMTP
server the test runs itself) once, and a failing server leaves them for a later attempt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from gateway.components import Components
from gateway.mail import MailSender, MailSettings, queue_mail
from gateway.store.models.mail import Mail


class _SmtpServer:
    """Just enough SMTP (EHLO, MAIL, RCPT, DATA, QUIT) to receive mails on loopback."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.server: asyncio.Server | None = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 test ESMTP\r\n")
        while line := await reader.readline():
            cmd = line.decode().strip().upper()
            if cmd.startswith(("EHLO", "HELO")):
                writer.write(b"250 test\r\n")
            elif cmd == "DATA":
                writer.write(b"354 go\r\n")
                await writer.drain()
                data = []
                while (body := await reader.readline()) != b".\r\n":
                    data.append(body.decode())
                self.messages.append("".join(data))
                writer.write(b"250 ok\r\n")
            elif cmd == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[_SmtpServer, int]]:
    srv = _SmtpServer()
    port = await srv.start()
    yield srv, port
    assert srv.server is not None
    srv.server.close()


async def _queue(c: Components) -> None:
    async with c.db.session() as s:
        queue_mail(s, "ict@school.example", "Koppeling\r\nBcc: x@evil.example geactiveerd", "Beste beheerder,\n")


async def _states(c: Components) -> list[str]:
    async with c.db.reader() as s:
        return [m.state for m in (await s.exec(select(Mail))).scalars()]  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def test_without_smtp_mails_stay_in_the_outbox(components: Components) -> None:
    await _queue(components)
    assert await MailSender(components.db, MailSettings()).deliver_due() == 0
    assert await _states(components) == ["wachtend"]


async def test_with_smtp_mail_is_delivered_once_without_header_injection(
    components: Components, smtp: tuple[_SmtpServer, int]
) -> None:
    server, port = smtp
    await _queue(components)
    sender = MailSender(components.db, MailSettings(smtp_host="127.0.0.1", smtp_port=port, starttls=False))
    assert await sender.deliver_due() == 1
    assert await sender.deliver_due() == 0
    assert await _states(components) == ["verzonden"]
    [message] = server.messages
    assert "To: ict@school.example" in message
    assert "\nBcc:" not in message and "Subject: Koppeling Bcc: x@evil.example geactiveerd" in message


async def test_unreachable_smtp_leaves_the_mail_for_later(components: Components) -> None:
    await _queue(components)
    sender = MailSender(
        components.db, MailSettings(smtp_host="127.0.0.1", smtp_port=1, starttls=False, timeout=2, max_attempts=2)
    )
    assert await sender.deliver_due() == 0
    async with components.db.reader() as s:
        [mail] = list((await s.exec(select(Mail))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert mail.state == "wachtend" and mail.attempts == 1 and mail.last_error


def test_mail_settings_from_the_mail_section() -> None:
    s = MailSettings.from_section({"smtp_host": "smtp.example", "smtp_port": "2525", "starttls": "nee"})
    assert (s.enabled, s.smtp_port, s.starttls) == (True, 2525, False)
