"""The declared access policy: every route of the app, by method and path, and who may use it.

The middleware (gateway.web.pages.middleware) enforces this table; a route that is not in it is refused for
everyone (deny by default), and tests/web/test_route_policy.py fails for it. Machine routes (health, the
OSO and ESIS endpoints) authenticate their callers themselves (mTLS, signatures, verificatiecodes): they are
declared ``MACHINE`` and the pages' session and CSRF checks are not applied to them. An adapter that is not
in this table declares its machine routes itself (`Components.machine_routes`, path patterns).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web

from gateway.store.models.accounts import Role

__all__ = [
    "ALL_ROLES",
    "MACHINE",
    "POLICY",
    "PUBLIC",
    "Access",
    "Rule",
    "access_for",
    "declared_routes",
    "undeclared_routes",
]


@dataclass(frozen=True)
class Access:
    roles: frozenset[Role] = frozenset()
    public: bool = False  # anyone, also without a session (log-in pages, static files)
    machine: bool = False  # not a page: the route does its own authentication
    enrolment: bool = False  # open to a session that still has to enrol its second factor

    def allows(self, role: Role | None) -> bool:
        if self.public or self.machine:
            return True
        return role is not None and role in self.roles


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]  # "GET" includes HEAD
    path: str  # the route's canonical path; "*" matches any rest (fnmatch) for machine prefixes
    access: Access


S, M, B = Role.SECRETARIAAT, Role.MONITORING, Role.SCHOOLBEHEERDER
ALL_ROLES = frozenset(Role)
PUBLIC = Access(public=True)
MACHINE = Access(machine=True)
ENROLMENT = Access(roles=ALL_ROLES, enrolment=True)


def _r(methods: str, path: str, access: Access | frozenset[Role]) -> Rule:
    acc = access if isinstance(access, Access) else Access(roles=access)
    return Rule(frozenset(methods.split()), path, acc)


POLICY: tuple[Rule, ...] = (
    # machine routes (their own authentication; no session, no CSRF)
    _r("GET", "/health/*", MACHINE),
    _r("GET", "/metrics", MACHINE),  # its own bearer token (see docs/deploy.md)
    _r("GET POST PUT PATCH DELETE", "/oso/*", MACHINE),
    _r("GET POST PUT PATCH DELETE", "/esis/*", MACHINE),
    _r("GET POST PUT PATCH DELETE", "/api/esis/*", MACHINE),
    # log-in and account recovery
    _r("GET", "/static", PUBLIC),
    _r("GET POST", "/inloggen", PUBLIC),
    _r("GET POST", "/wachtwoord-vergeten", PUBLIC),
    _r("GET POST", "/wachtwoord-instellen/{token}", PUBLIC),
    _r("GET POST", "/tweestaps-instellen", ENROLMENT),
    _r("POST", "/uitloggen", ENROLMENT),
    _r("GET", "/", ALL_ROLES),
    # inkomende wachtrij
    _r("GET", "/wachtrij", frozenset({S, M})),
    _r("GET", "/wachtrij/{exchange_id}", frozenset({S, M})),
    _r("GET", "/wachtrij/{exchange_id}/ruw", frozenset({S})),
    _r("POST", "/wachtrij/opnieuw", frozenset({S})),
    _r("POST", "/wachtrij/{exchange_id}/opnieuw", frozenset({S})),
    _r("POST", "/wachtrij/{exchange_id}/vrijgeven", frozenset({S})),
    _r("POST", "/wachtrij/{exchange_id}/weigeren", frozenset({S})),
    # hulpvragen
    _r("GET", "/hulpvragen", frozenset({S, M})),
    _r("GET", "/hulpvragen/{hulpvraag_id}", frozenset({S, M})),
    _r("POST", "/hulpvragen/{hulpvraag_id}/status", frozenset({S})),
    _r("POST", "/hulpvragen/{hulpvraag_id}/labels", frozenset({S})),
    _r("GET", "/bijlagen/{bijlage_id}", frozenset({S})),
    _r("GET", "/kengetallen", frozenset({S, M})),
    # registry, codes, koppelcheck
    _r("GET", "/scholen", ALL_ROLES),
    _r("GET POST", "/scholen/import", frozenset({S})),
    _r("GET", "/scholen/import/sjabloon.csv", frozenset({S})),
    _r("POST", "/scholen/vestiging", frozenset({S})),
    _r("GET", "/verificatiecodes", frozenset({S, B})),
    _r("POST", "/verificatiecodes", frozenset({S, B})),
    _r("POST", "/verificatiecodes/{code_id}/activeren", frozenset({S})),
    _r("POST", "/verificatiecodes/{code_id}/intrekken", frozenset({S, B})),  # a school withdraws its own
    _r("POST", "/verificatiecodes/{code_id}/vervangen", frozenset({S})),
    _r("GET", "/koppelcheck", ALL_ROLES),
    _r("GET", "/koppelcheck/{brin6}", ALL_ROLES),
    _r("POST", "/koppelcheck/{brin6}/mandaten-ophalen", frozenset({S})),
    # the secretariaat's administration
    _r("GET", "/audit", frozenset({S})),
    _r("GET POST", "/accounts", frozenset({S})),
    _r("POST", "/accounts/{account_id}/deactiveren", frozenset({S})),
    _r("POST", "/accounts/{account_id}/activeren", frozenset({S})),
    _r("POST", "/accounts/{account_id}/tweestaps-wissen", frozenset({S})),
    _r("POST", "/accounts/{account_id}/deblokkeren", frozenset({S})),
    _r("POST", "/accounts/{account_id}/herstelmail", frozenset({S})),
)


def access_for(
    method: str, path: str, policy: tuple[Rule, ...] = POLICY, machine_routes: Sequence[str] = ()
) -> Access | None:
    """The declared access for a route (its canonical path), or None when the route is not declared.
    ``machine_routes``: the path patterns adapters declared as their own machine routes
    (`Components.machine_routes`), consulted after the table."""
    method = "GET" if method == "HEAD" else method
    for rule in policy:
        if method not in rule.methods:
            continue
        if rule.path == path or ("*" in rule.path and fnmatch.fnmatchcase(path, rule.path)):
            return rule.access
    if any(fnmatch.fnmatchcase(path, pattern) for pattern in machine_routes):
        return MACHINE
    return None


def declared_routes(app: web.Application, machine_routes: Sequence[str] = ()) -> list[tuple[str, str, Access | None]]:
    """(method, canonical path, declared access) for every route the app registers."""
    out = []
    for route in app.router.routes():
        resource = route.resource
        if resource is None:
            continue
        access = access_for(route.method, resource.canonical, machine_routes=machine_routes)
        out.append((route.method, resource.canonical, access))
    return out


def undeclared_routes(app: web.Application, machine_routes: Sequence[str] = ()) -> list[tuple[str, str]]:
    return [(m, p) for m, p, access in declared_routes(app, machine_routes) if access is None]
