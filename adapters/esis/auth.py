"""Authenticating an ESIS request by its verification code (header ``X-Verificatiecode``).

Outcomes, each with its own stable code: no header → 401 ``ESIS_VERIFICATIECODE_ONTBREEKT``; a code we do
not know *or a revoked one* → 401 ``ESIS_VERIFICATIECODE_ONBEKEND`` (one answer on the wire, so a guesser
never learns that a code once existed; the log says which it was, and a revoked code's use is audited as
``esis_ingetrokken_code_gebruikt`` on the code, for the secretariaat and the vestiging's koppelcheck); a
registered code the secretariaat has not activated yet → 401 ``ESIS_VERIFICATIECODE_NIET_ACTIEF``; a client
that sent too many bad codes → 429 ``ESIS_TE_VEEL_POGINGEN`` (with Retry-After).

Bad codes are counted per (vestiging the code claims — its BRIN6 prefix —, client IP): ESIS sends every
school's requests from a few shared addresses, so one school's mistyped code must never lock out another.
A second, looser count per client IP alone (``ip_lock_after`` distinct failures) stops one address spraying
guesses over many vestigingen; failures while a (vestiging, IP) is already locked do not add to it. Both
lockouts are logged and audited so the secretariaat sees them (`adapters.esis.guard.BruteForceGuard`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
from collections.abc import Collection

from aiohttp import web

from adapters.esis.config import EsisLimits
from adapters.esis.door import SENDER
from adapters.esis.errors import refused
from adapters.esis.guard import BruteForceGuard
from gateway.components import Components
from gateway.logging import get_logger
from gateway.pipeline.ports.audit import record_audit
from gateway.pipeline.ports.registry import CodeState
from gateway.registry import codes
from gateway.registry.code_events import REVOKED_CODE_USED
from verification.verificatiecode import MAX_LENGTH, brin6_prefix

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
        self.guard = BruteForceGuard(  # per (claimed vestiging, client IP)
            window=limits.window_seconds,
            slow_after=limits.slow_after,
            delay_step=limits.delay_step_seconds,
            max_delay=limits.max_delay_seconds,
            lock_after=limits.lock_after,
            lock_seconds=limits.lock_seconds,
        )
        self.ip_guard = BruteForceGuard(  # per client IP: a spray over many vestigingen
            window=limits.window_seconds,
            slow_after=limits.ip_lock_after,
            delay_step=0.0,
            max_delay=0.0,
            lock_after=limits.ip_lock_after,
            lock_seconds=limits.lock_seconds,
        )
        self.cache = codes.CodeCache(limits.code_cache_seconds)
        self.trusted = frozenset(c.settings.trusted_proxies)

    def ip(self, request: web.Request) -> str:
        return client_ip(request, self.trusted)

    def refuse_if_locked(self, ip: str, scope: str | None = None) -> None:
        """429 while this IP, or (when ``scope`` is given) this (vestiging, IP), is locked out."""
        wait = self.ip_guard.locked_for(ip)
        if scope is not None:
            wait = max(wait, self.guard.locked_for(_key(scope, ip)))
        if wait > 0:
            raise refused(
                429,
                "ESIS_TE_VEEL_POGINGEN",
                HEADER,
                headers={"Retry-After": str(math.ceil(wait))},
                minuten=max(1, math.ceil(wait / 60)),
            )

    async def authenticate(self, request: web.Request) -> codes.VerifiedSender:
        ip = self.ip(request)
        presented = request.headers.get(HEADER, "").strip()
        plausible = len(presented) <= MAX_LENGTH and all("!" <= ch <= "~" for ch in presented)
        scope = brin6_prefix(presented) if plausible else "?"
        self.refuse_if_locked(ip, scope)
        if not presented:
            raise refused(401, "ESIS_VERIFICATIECODE_ONTBREEKT", HEADER, headers=_CHALLENGE)
        # A code that cannot have been registered (printable ASCII, at most 50, handbook §8.1) is unknown
        # without a lookup: it also keeps undecodable header bytes away from the hashing.
        match = await codes.lookup(self.c.db, presented, cache=self.cache) if plausible else None
        if match is not None and match.state == CodeState.ACTIEF.value:
            sender = await codes.mark_used(self.c.db, match)
            request[SENDER] = sender  # a later refusal of this request is recorded (adapters.esis.door)
            return sender
        if match is not None and match.state == CodeState.AANGEMELD.value:
            reason = "ESIS_VERIFICATIECODE_NIET_ACTIEF"
            err = refused(401, reason, HEADER, headers=_CHALLENGE)
        else:  # unknown or revoked: the same answer
            reason = "ESIS_VERIFICATIECODE_ONBEKEND" if match is None else "ESIS_VERIFICATIECODE_INGETROKKEN"
            err = refused(401, "ESIS_VERIFICATIECODE_ONBEKEND", HEADER, headers=_CHALLENGE)
            if match is not None:
                await self._revoked_code_used(match, ip)
        await self._failed(ip, scope, reason)
        raise err

    async def _revoked_code_used(self, match: codes.CodeMatch, ip: str) -> None:
        """The wire says "unknown"; the audit says it was this vestiging's revoked code (no code, no hash)."""
        await record_audit(
            self.c.db,
            actor="systeem",
            action=REVOKED_CODE_USED,
            object_type="verificatiecode",
            object_id=str(match.code_id),
            swv_code=match.swv_code,
            brin6=match.brin6,
            omgeving=match.environment,
            vingerafdruk=match.fingerprint,
            client=ip,
        )

    async def _failed(self, ip: str, scope: str, reason: str) -> None:
        key = _key(scope, ip)
        delay = self.guard.delay(key)
        locked = self.guard.failure(key)
        ip_locked = self.ip_guard.failure(ip)
        log.warning(
            "esis_verificatiecode_afgewezen", reden=reason, client=ip, vestiging=scope, pogingen=self.guard.count(key)
        )
        for blocked, object_id, extra in (
            (locked, key, {"vestiging": scope}),
            (ip_locked, ip, {"alle_vestigingen": True}),
        ):
            if not blocked:
                continue
            log.warning("esis_client_geblokkeerd", client=ip, seconden=self.guard.lock_seconds, **extra)
            await record_audit(
                self.c.db,
                actor="systeem",
                action="esis_client_geblokkeerd",
                object_type="esis_client",
                object_id=object_id,
                swv_code=self.c.settings.swv_code,
                reden=reason,
                client=ip,
                geblokkeerd_seconden=self.guard.lock_seconds,
                **extra,
            )
        if delay > 0:
            await asyncio.sleep(delay)


def _key(scope: str, ip: str) -> str:
    """The throttle key of a (claimed vestiging, client IP) pair."""
    return f"{scope}@{ip}"
