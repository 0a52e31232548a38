"""Web security that is not about one page: log-in throttling, HSTS and the Origin check.

Log-in throttling (`LoginThrottle`, in memory per process, like the ESIS guard): failed log-ins are counted
per client address and per account (organisation + user name, from any address).
- per address: ``ip_failures`` (20) failures within ``window`` (15 min) pause that address for ``ip_pause``
  (15 min) — a spray over many accounts;
- per account: ``account_failures`` (3) failures within the window pause the account's log-in for
  ``account_pause`` (5 min), doubling after each further pause up to ``account_pause_max`` (60 min).
A paused log-in is answered at once (429, a Dutch message with the minutes to wait) without looking at the
password, so a guess during a pause counts for nothing. Wrong passwords alone never lock an account for good
(anyone who knows a user name could do that); the permanent lock (`WebConfig.max_failed_logins`) counts wrong
second-factor codes after a correct password. docs/deploy.md ("Web security") has the numbers.

HSTS (`security_headers`): ``Strict-Transport-Security`` on every answer when ``public_url`` is https.
Origin (`origin_allowed`): a state-changing request (POST, PUT, PATCH, DELETE) to a page carrying an
``Origin`` (or, without it, a ``Referer``) of another site is refused before anything else happens; the
CSRF token stays the main defence, this is the second.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web

__all__ = ["HSTS", "LOGIN_THROTTLE", "LoginThrottle", "Pause", "client_address", "origin_allowed", "pause_message"]

HSTS = "max-age=31536000; includeSubDomains"
_STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class _Counter:
    failures: deque[float] = field(default_factory=deque)
    paused_until: float = 0.0
    pauses: int = 0


@dataclass(frozen=True)
class Pause:
    seconds: float
    scope: str  # "adres" or "account"


class LoginThrottle:
    """Failed log-ins per client address and per account; see the module docstring."""

    def __init__(
        self,
        *,
        window: float = 900.0,
        ip_failures: int = 20,
        ip_pause: float = 900.0,
        account_failures: int = 3,
        account_pause: float = 300.0,
        account_pause_max: float = 3600.0,
        max_keys: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window, self.ip_failures, self.ip_pause = window, ip_failures, ip_pause
        self.account_failures, self.account_pause, self.account_pause_max = (
            account_failures,
            account_pause,
            account_pause_max,
        )
        self.max_keys, self._clock = max_keys, clock
        self._ips: dict[str, _Counter] = {}
        self._accounts: dict[str, _Counter] = {}

    @staticmethod
    def account_key(organisatie: str, gebruikersnaam: str) -> str:
        return f"{organisatie.strip().upper()}/{gebruikersnaam.strip().lower()}"

    def paused(self, ip: str, account: str) -> Pause | None:
        now = self._clock()
        waits = [
            Pause(c.paused_until - now, scope)
            for c, scope in ((self._ips.get(ip), "adres"), (self._accounts.get(account), "account"))
            if c is not None and c.paused_until > now
        ]
        return max(waits, key=lambda p: p.seconds) if waits else None

    def failure(self, ip: str, account: str) -> None:
        now = self._clock()
        ip_counter = self._counter(self._ips, ip, now)
        ip_counter.failures.append(now)
        if len(ip_counter.failures) >= self.ip_failures:
            ip_counter.paused_until, ip_counter.failures = now + self.ip_pause, deque()
        acc = self._counter(self._accounts, account, now)
        acc.failures.append(now)
        if len(acc.failures) >= self.account_failures:
            pause = min(self.account_pause_max, self.account_pause * 2**acc.pauses)
            acc.paused_until, acc.failures, acc.pauses = now + pause, deque(), acc.pauses + 1

    def success(self, account: str) -> None:
        self._accounts.pop(account, None)

    def _counter(self, table: dict[str, _Counter], key: str, now: float) -> _Counter:
        counter = table.get(key)
        if counter is None:
            if len(table) >= self.max_keys:
                for stale in [k for k, c in table.items() if c.paused_until < now and not c.failures]:
                    del table[stale]
                if len(table) >= self.max_keys:
                    for oldest in list(table)[: self.max_keys // 2]:
                        del table[oldest]
            counter = table[key] = _Counter()
        while counter.failures and counter.failures[0] < now - self.window:
            counter.failures.popleft()
        if counter.paused_until and counter.paused_until < now - self.window:
            counter.pauses = 0  # a quiet window after the last pause: start again at the shortest
        return counter


LOGIN_THROTTLE: web.AppKey[LoginThrottle] = web.AppKey("login_throttle", LoginThrottle)


def client_address(request: web.Request, trusted_proxies: Collection[str]) -> str:
    """The client's address; ``X-Forwarded-For`` is believed only from a configured trusted proxy."""
    remote = request.remote or "onbekend"
    if remote not in trusted_proxies:
        return remote
    for hop in reversed([h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        if hop not in trusted_proxies:
            return hop
    return remote


def pause_message(pause: Pause) -> str:
    minutes = max(1, math.ceil(pause.seconds / 60))
    wanneer = f"over {minutes} {'minuut' if minutes == 1 else 'minuten'}"
    if pause.scope == "adres":
        return (
            f"Te veel mislukte inlogpogingen vanaf dit adres. Probeer het {wanneer} opnieuw. Werkt het daarna nog "
            "niet, vraag dan het secretariaat van het samenwerkingsverband om hulp."
        )
    return (
        f"Te veel mislukte inlogpogingen voor dit account. Probeer het {wanneer} opnieuw; bent u uw wachtwoord "
        "kwijt, gebruik dan 'Wachtwoord vergeten'."
    )


def origin_allowed(method: str, headers: object, public_url: str, host: str | None) -> bool:
    """False for a state-changing request whose ``Origin`` (or ``Referer``) names another site than ours
    (``public_url``, or the Host the request came to). A request without either header passes (old
    browsers, curl); the CSRF token still has to be right."""
    if method not in _STATE_CHANGING:
        return True
    get = getattr(headers, "get", None)
    if get is None:
        return True
    origin = get("Origin")
    if origin is None:
        referer = get("Referer")
        if not referer:
            return True
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"
    if origin == "null":
        return False
    ours = {_origin_of(public_url)}
    if host:
        ours |= {f"http://{host}", f"https://{host}"}
    return origin.rstrip("/").lower() in {o.lower() for o in ours if o}


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
