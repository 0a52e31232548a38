"""The password-reset mail, written to the mail outbox (gateway.mail) in its own transaction."""

from __future__ import annotations

from aiohttp import web

from gateway.logging import get_logger
from gateway.mail import queue_mail
from gateway.store.models.accounts import Account
from gateway.web.pages.context import PAGES

__all__ = ["reset_link", "send_reset_mail"]

log = get_logger(__name__)


def reset_link(app: web.Application, token: str) -> str:
    return f"{app[PAGES].cfg.public_url.rstrip('/')}/wachtwoord-instellen/{token}"


async def send_reset_mail(app: web.Application, account: Account, token: str) -> None:
    st = app[PAGES]
    if not account.email:
        return
    body = (
        f"Beste {account.naam or account.gebruikersnaam},\n\n"
        f"Er is gevraagd om het wachtwoord van uw account {account.organisatie}/{account.gebruikersnaam} opnieuw in "
        "te stellen. Open deze link om een nieuw wachtwoord te kiezen en de tweestapsverificatie (opnieuw) in te "
        f"stellen met uw authenticator-app:\n\n{reset_link(app, token)}\n\n"
        f"De link werkt {st.cfg.reset_valid_minutes} minuten en één keer. Heeft u dit niet zelf gevraagd? Dan "
        "hoeft u niets te doen; uw huidige wachtwoord blijft geldig.\n\n"
        "Secretariaat samenwerkingsverband\n"
    )
    async with st.c.db.session() as s:
        queue_mail(s, account.email, "Wachtwoord opnieuw instellen", body)
    log.info("wachtwoord_herstel_mail_klaargezet", account_id=account.id)
