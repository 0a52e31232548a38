"""The gateway's error hierarchy, split by what should happen next.

GatewayError
├── Refusal      permanent: the exchange is refused with findings (state ``geweigerd``)
├── Hold         a person decides: the exchange waits for the secretariaat (state ``vastgehouden``)
├── Transient    try again later with backoff (state ``wacht_op_herhaling``)
└── ConfigError  a bad setting or bad command input: a clear message, a non-zero exit, no traceback
"""

from __future__ import annotations

from collections.abc import Iterable

from verification.findings import Finding

__all__ = ["ConfigError", "GatewayError", "Hold", "Refusal", "Transient"]


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""


class _WithFindings(GatewayError):
    def __init__(
        self,
        findings: Iterable[Finding],
        message: str | None = None,
        *,
        brin6: str | None = None,
        aanvraagtype: str | None = None,
    ) -> None:
        self.findings: tuple[Finding, ...] = tuple(findings)
        # the vestiging the findings are about, when the handler learned it differs from where the exchange
        # came in (a dossier of 14SS01 sent under 14SS00's routeringskenmerk): the queue lists it there
        self.brin6 = brin6
        # the aanvraagtype the exchange asked for, when the handler learned it before refusing (an OSO-SWV
        # notificatie names none: it arrives with the dossier): the queue and the demo show it
        self.aanvraagtype = aanvraagtype
        if not self.findings:
            raise ValueError(f"{type(self).__name__} needs at least one finding")
        super().__init__(message or "; ".join(f"{f.code}: {f.message}" for f in self.findings))

    @property
    def first(self) -> Finding:
        return self.findings[0]


class Refusal(_WithFindings):
    """Permanent: retrying will not help; the sender (school) must change something."""


class Hold(_WithFindings):
    """The exchange can go on only after the secretariaat decides (release or refuse)."""


class Transient(GatewayError):
    """A passing failure (an outside system is down, slow or rate limiting): retry later.

    ``waiting_for`` names who we wait for (the adapter's own name, e.g. ``osr``) so the queue can say so, in
    the Dutch label the adapter registered for it (`Components.waiting_for_labels`);
    ``retry_after`` (seconds) is a hint from the other side, e.g. a 429's Retry-After.
    """

    def __init__(self, message: str, *, waiting_for: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.waiting_for = waiting_for
        self.retry_after = retry_after


class ConfigError(GatewayError):
    """A setting or a command's input is unusable. The message is shown as is to the operator."""
