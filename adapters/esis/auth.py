"""Authenticating an ESIS request by its verification code (header ``X-Verificatiecode``).

Outcomes, each with its own stable code: no header → 401 ``ESIS_VERIFICATIECODE_ONTBREEKT``; a code we do
not know → 401 ``ESIS_VERIFICATIECODE_ONBEKEND``; a registered code the secretariaat has not activated yet →
401 ``ESIS_VERIFICATIECODE_NIET_ACTIEF``; a revoked code → 401 ``ESIS_VERIFICATIECODE_INGETROKKEN``; a client
that sent too many bad codes → 429 ``ESIS_TE_VEEL_POGINGEN`` (with Retry-After). Bad codes are counted per
client IP (`BruteForceGuard`); the lockout is logged and audited so the secretariaat sees it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
from collections.abc import Collection

from aiohttp import web

from adapters.esis.config import EsisLimits
from adapters.esis.door import SENDER
from adapters.esis.errors import ApiError, refuse
from adapters.esis.guard import BruteForceGuard
from gateway.components import Components
from gateway.logging import get_logger
from gateway.registry import codes
from gateway.store.audit import audit
from gateway.store.models.codes import CodeState
from verification.verificatiecode import MAX_LENGTH

__all__ = ["HEADER", "Authenticator", "client_ip"]

log = get_logger(__name__)

HEADER = "X-Verificatiecode"
_CHALLENGE = {"WWW-Authenticate": f'{HEADER} realm="esis"'}


def client_ip(request: web.Request, trusted_proxies: Collection[str]) -> str:
    """The client's address; ``X-Forwarded-For`` is believed only from a configured trusted proxy."""
    remote = request.remote or "onbekend"
    if remote in trusted_proxies:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break
            if hop not in trusted_proxies:
                return hop
    return remote


class Authenticator:
    def __init__(self, c: Components, limits: EsisLimits) -> None:
        self.c = c
        self.guard = BruteForceGuard(
            window=limits.window_seconds,
            slow_after=limits.slow_after,
            delay_step=limits.delay_step_seconds,
            max_delay=limits.max_delay_seconds,
            lock_after=limits.lock_after,
            lock_seconds=limits.lock_seconds,
        )
        self.cache = codes.CodeCache(limits.code_cache_seconds)
        self.trusted = frozenset(c.settings.trusted_proxies)

    def ip(self, request: web.Request) -> str:
        return client_ip(request, self.trusted)

    def refuse_if_locked(self, ip: str) -> None:
        wait = self.guard.locked_for(ip)
        if wait > 0:
            raise refuse(
                429,
                "ESIS_TE_VEEL_POGINGEN",
                "Te veel pogingen met een onjuiste verificatiecode. Probeer het over "
                f"{max(1, math.ceil(wait / 60))} minuten opnieuw, of neem contact op met het secretariaat.",
                HEADER,
                headers={"Retry-After": str(math.ceil(wait))},
            )

    async def authenticate(self, request: web.Request) -> codes.VerifiedSender:
        ip = self.ip(request)
        self.refuse_if_locked(ip)
        presented = request.headers.get(HEADER, "").strip()
        if not presented:
            raise refuse(
                401,
                "ESIS_VERIFICATIECODE_ONTBREEKT",
                "De verificatiecode ontbreekt. Activeer de koppeling in ESIS (Beheer > Koppelingen > "
                "Samenwerkingsverband) met de verificatiecode van de vestiging.",
                HEADER,
                headers=_CHALLENGE,
            )
        # A code that cannot have been registered (printable ASCII, at most 50, handbook §8.1) is unknown
        # without a lookup: it also keeps undecodable header bytes away from the hashing.
        plausible = len(presented) <= MAX_LENGTH and all("!" <= ch <= "~" for ch in presented)
        match = await codes.lookup(self.c.db, presented, cache=self.cache) if plausible else None
        if match is not None and match.state == CodeState.ACTIEF.value:
            sender = await codes.mark_used(self.c.db, match)
            request[SENDER] = sender  # a later refusal of this request is recorded (adapters.esis.door)
            return sender
        if match is None:
            err = refuse(
                401,
                "ESIS_VERIFICATIECODE_ONBEKEND",
                "De verificatiecode is niet bekend bij het samenwerkingsverband. Controleer de code in ESIS, of "
                "meld de code aan bij het secretariaat.",
                HEADER,
                headers=_CHALLENGE,
            )
        elif match.state == CodeState.AANGEMELD.value:
            err = refuse(
                401,
                "ESIS_VERIFICATIECODE_NIET_ACTIEF",
                "De verificatiecode is aangemeld maar nog niet geactiveerd door het secretariaat. U ontvangt een "
                "mail zodra de koppeling actief is.",
                HEADER,
                headers=_CHALLENGE,
            )
        else:
            err = refuse(
                401,
                "ESIS_VERIFICATIECODE_INGETROKKEN",
                "De verificatiecode is ingetrokken. Stel in ESIS een nieuwe verificatiecode in en meld die aan "
                "bij het secretariaat.",
                HEADER,
                headers=_CHALLENGE,
            )
        await self._failed(ip, err)
        raise err

    async def _failed(self, ip: str, err: ApiError) -> None:
        delay = self.guard.delay(ip)
        locked = self.guard.failure(ip)
        reason = err.findings[0].code
        log.warning("esis_verificatiecode_afgewezen", reden=reason, client=ip, pogingen=self.guard.count(ip))
        if locked:
            log.warning("esis_client_geblokkeerd", client=ip, seconden=self.guard.lock_seconds)
            async with self.c.db.session() as s:
                audit(
                    s,
                    actor="systeem",
                    action="esis_client_geblokkeerd",
                    object_type="esis_client",
                    object_id=ip,
                    swv_code=self.c.settings.swv_code,
                    reden=reason,
                    geblokkeerd_seconden=self.guard.lock_seconds,
                )
        if delay > 0:
            await asyncio.sleep(delay)
