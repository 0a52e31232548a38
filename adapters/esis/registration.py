"""Registering a verification code over the API (`POST /esis/v1/verificatiecodes`): what a school's IT
admin does after entering a new code in ESIS. The code is then *aangemeld*; the secretariaat activates it.

No credential is needed (the school has none yet), so registrations are limited per client IP, and nothing
is active until a person at the secretariaat says so. The answer shows the fingerprint, never the code.
"""

from __future__ import annotations

from aiohttp import web

from adapters.esis.auth import Authenticator
from adapters.esis.config import EsisLimits
from adapters.esis.errors import ApiError, refused
from adapters.esis.guard import BruteForceGuard
from adapters.esis.refusals import refusal
from adapters.esis.upload import read_json_body
from adapters.esis.wire import WireError, decode_json
from gateway.components import Components
from gateway.errors import Refusal
from gateway.registry import codes

__all__ = ["CodeRegistration"]

_FIELDS = {"brin6", "omgeving", "verificatiecode", "contact_email", "contact_naam"}
# refusals about the state of the vestiging's codes, not the request's form: 409 Conflict
_CONFLICTS = frozenset({"VERIFICATIECODE_AL_IN_GEBRUIK", "VERIFICATIECODE_AL_AANGEMELD"})


class CodeRegistration:
    def __init__(self, c: Components, limits: EsisLimits, auth: Authenticator) -> None:
        self.c, self.limits, self.auth = c, limits, auth
        self.quota = BruteForceGuard(
            window=limits.window_seconds,
            slow_after=limits.max_registrations_per_window,
            delay_step=0.0,
            max_delay=0.0,
            lock_after=limits.max_registrations_per_window,
            lock_seconds=limits.window_seconds,
        )

    async def post(self, request: web.Request) -> web.Response:
        ip = self.auth.ip(request)
        self.auth.refuse_if_locked(ip)
        if self.quota.locked_for(ip) > 0:
            raise refused(
                429,
                "ESIS_TE_VEEL_AANMELDINGEN",
                "body",
                headers={"Retry-After": str(int(self.quota.locked_for(ip)) + 1)},
            )
        if request.content_type != "application/json":
            raise refused(415, "ESIS_CONTENT_TYPE_ONGELDIG", "Content-Type", variant="aanmelding")
        try:
            data = decode_json(await read_json_body(request, self.limits), "body")
        except WireError as e:
            raise ApiError(400, e.findings) from None
        problems = [refusal("ESIS_VELD_ONBEKEND", k, veld=k) for k in data if k not in _FIELDS]
        for k in ("brin6", "omgeving", "verificatiecode"):
            if not isinstance(data.get(k), str) or not data[k].strip():
                problems.append(refusal("ESIS_VELD_ONTBREEKT", k, veld=k))
        for k in ("contact_email", "contact_naam"):
            if data.get(k) is not None and (not isinstance(data[k], str) or len(data[k]) > 254):
                problems.append(refusal("ESIS_VELD_ONGELDIG", k, "tekst_254", veld=k))
        if problems:
            raise ApiError(422, problems)
        self.quota.failure(ip)  # every registration counts against the quota
        try:
            view = await codes.register(
                self.c.db,
                data["brin6"],
                data["omgeving"],
                data["verificatiecode"],
                f"esis-beheer:{ip}",
                contact_email=data.get("contact_email"),
                contact_naam=data.get("contact_naam"),
                swv_code=self.c.settings.swv_code,
            )
        except Refusal as r:
            status = 409 if r.first.code in _CONFLICTS else 422
            raise ApiError(status, r.findings) from None
        return web.json_response(
            {
                "id": view.id,
                "brin6": view.brin6,
                "omgeving": view.environment,
                "status": view.state,
                "vingerafdruk": view.fingerprint,
                "melding": "De verificatiecode is aangemeld. Het secretariaat activeert de code; u ontvangt een mail "
                "zodra de koppeling actief is.",
            },
            status=201,
        )
