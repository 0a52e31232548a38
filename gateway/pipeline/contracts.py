"""What adapters hand to the core, and what the core hands to adapters.

An adapter's intake turns a wire message into a `NewExchange` carrying its `Handoff` (a frozen dataclass
per exchange kind, owned by the adapter) and puts it in the inbox. A worker later claims it as a
`ClaimedExchange` and calls the adapter's `ExchangeHandler`, which reads its hand-off back
(`ClaimedExchange.handoff`) and either returns a `HulpvraagDraft` (what to store) or raises `Refusal`,
`Hold` or `Transient` (gateway.errors). The core then stores the draft in one transaction (hulpvraag,
bijlagen, statushistorie, audit, and the exchange's final state), so processing an exchange has an effect
exactly once.

After a hulpvraag's status changed, the `StatusHook` its source system registered says what follows (for
OSO: a terugkoppeling per contributing koppelsleutel), written to the outbox in the change's transaction.
The core names no partner: what it stores of a hand-off it stores opaquely, and which outside party an
exchange waits for is a label the adapter registered (`Components.waiting_for_labels`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, TypeVar

from verification.findings import Finding

if TYPE_CHECKING:
    from gateway.pipeline.ports.requests import Amend


def _bound_correlation_id() -> str | None:
    import structlog  # local: keeps this contracts module free of logging set-up at import time

    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return value if isinstance(value, str) else None


__all__ = [
    "BijlageDraft",
    "ClaimedExchange",
    "ExchangeHandler",
    "ExchangeHandlerWithFollowUp",
    "Handoff",
    "HulpvraagDraft",
    "NewExchange",
    "OutboundDeliverer",
    "OutboundMessage",
    "Outcome",
    "PupilIdentity",
    "PutResult",
    "Settle",
    "StatusChange",
    "StatusHook",
    "StepRecorder",
    "StoredHandoff",
]

# Keys of the stored hand-off the core itself writes and reads (the secretariaat's release, the aanvraagtype a
# refused or held exchange asked for); a hand-off never uses them.
CORE_KEYS = frozenset({"vrijgegeven", "vrijgegeven_door", "aanvraagtype"})


class Handoff(Protocol):
    """What an intake passes to the worker for one exchange: one frozen dataclass per exchange kind, owned by
    its adapter. The core stores `stored()` (JSON) with `version` in the inbox row and gives both back to the
    adapter's handler unread; `from_stored` reads every version it ever wrote, and ``version=None`` — a row
    written before hand-offs were typed (the old ``meta`` dict) — too, so rows stored before an upgrade
    still process. The core reads none of it, except the blobs a hand-off points at before a bijlage row does
    (``gateway.store.blob_sweep.HANDOFF_BLOBS``), which the orphan sweep and retention must keep; and it
    writes its own `CORE_KEYS` next to it."""

    version: ClassVar[int]

    def stored(self) -> dict[str, Any]: ...

    @classmethod
    def from_stored(cls, data: Mapping[str, Any], version: int | None) -> Self: ...


H = TypeVar("H", bound=Handoff)


@dataclass(frozen=True, slots=True)
class NewExchange:
    key: str  # the exchange's own idempotency key, e.g. "oso:<koppelsleutel>", "esis:<environment>:<id>"
    source: str  # the source system, e.g. "parnassys", "esis"
    kind: str  # the exchange kind an ExchangeHandler is registered for, e.g. "oso_notificatie", "esis_aanvraag"
    swv_code: str
    payload: bytes  # the raw exchange exactly as received (never contains a BSN: LL12 refuses those)
    brin6: str | None = None
    handoff: Handoff | None = None  # what the worker needs (stored with its version; see Handoff)
    # without a hand-off: JSON-serialisable notes the queue shows of an exchange refused at intake (it never
    # reaches a worker), stored unversioned; ignored when there is a hand-off
    meta: dict[str, Any] = field(default_factory=dict)
    # the id bound to the request that received it (gateway.web.correlation), so intake and worker log lines
    # of one exchange share it; None outside a request (the inbox then makes one)
    correlation_id: str | None = field(default_factory=lambda: _bound_correlation_id())


@dataclass(frozen=True, slots=True)
class PutResult:
    exchange_id: int
    created: bool  # False: the same key was put before; answer as before, never process twice
    state: str
    correlation_id: str


@dataclass(frozen=True, slots=True)
class ClaimedExchange:
    id: int
    key: str
    source: str
    kind: str
    swv_code: str
    brin6: str | None
    payload: bytes
    meta: dict[str, Any]  # the stored hand-off (JSON) plus the core's own keys (CORE_KEYS); read it via handoff()
    attempts: int  # 1 on the first attempt
    correlation_id: str
    received_at: dt.datetime
    handoff_version: int | None = None  # None: stored before hand-offs were versioned

    def handoff(self, kind: type[H]) -> H:
        """The intake's hand-off, read back by the adapter's own type (any version it ever wrote)."""
        return kind.from_stored(self.meta, self.handoff_version)


@dataclass(frozen=True, slots=True)
class PupilIdentity:
    """Who the request is about. Never a BSN or onderwijsnummer."""

    leerlingid: str | None  # the LAS's own key for the pupil
    voornaam: str | None
    achternaam: str | None
    geboortedatum: dt.date | None
    tussenvoegsel: str | None = None


@dataclass(frozen=True, slots=True)
class BijlageDraft:
    bestandsnaam: str
    role: str  # "opp" | "toelichting_onderwijsbehoeften" | "overig"
    blob_key: str | None  # None when the document could not be stored (see findings)
    size: int
    sha256: str | None
    detected_type: str | None  # "pdf", "docx", ... from sniffing the bytes
    omschrijving: str | None = None
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class HulpvraagDraft:
    swv_code: str
    brin6: str
    pupil: PupilIdentity
    aanvraagtype: str | None  # exact catalogue wording; None: the secretariaat classifies
    omschrijving: str | None
    source_system: str  # the exchange's source; its StatusHook is registered under this name
    external_keys: dict[str, str] = field(default_factory=dict)  # koppelsleutel, esis request id, ...
    bijlagen: tuple[BijlageDraft, ...] = ()
    remove_bijlagen: tuple[str, ...] = ()  # sha256 of bijlagen the sender withdrew (ESIS update)
    contact: dict[str, str] = field(default_factory=dict)
    opp_expected: bool | None = None
    findings: tuple[Finding, ...] = ()  # warnings to keep with the hulpvraag
    # the adapter's own "same request" key (e.g. ESIS's request id), stored opaquely with the hulpvraag, unique per
    # source system: a later draft with the same key adds to that hulpvraag. None: the pupil rule applies
    request_key: str | None = None
    # an update of a stored request (request_key set): decided against the stored request inside the transaction
    # that stores it (`gateway.pipeline.ports.requests.Amend`); the other fields are then replaced by its answer
    amend: Amend | None = None


class StepRecorder(Protocol):
    """Lets a handler record its progress on the exchange's timeline (shown in the queue). ``with_outcome``: the
    step is written in the transaction of the exchange's next write (the stored hulpvraag, or the refusal, hold
    or retry) instead of one of its own — for a step the handler records just before it returns."""

    async def step(
        self, name: str, message: str, *, waiting_for: str | None = None, with_outcome: bool = False
    ) -> None: ...


class ExchangeHandler(Protocol):
    async def handle(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an exchange ended, as the core stored it (passed to `ExchangeHandler.afterwards`)."""

    state: str  # "verwerkt" | "geweigerd" | "opgegeven" (held after max_attempts: the sender is told it ended)
    findings: tuple[Finding, ...] = ()
    hulpvraag_id: int | None = None
    created: bool = False  # a new hulpvraag (True) or bijlagen added to an existing one (False)


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A call to an outside system that must happen after an outcome is stored (afmelding,
    terugkoppeling). Written to the durable outbox in the same transaction as the outcome and delivered
    by the outbox worker with retries, so a crash between commit and call never loses it."""

    kind: str  # e.g. "oso_afmelding", "oso_terugkoppeling"; a deliverer is registered per kind
    key: str  # idempotency key: the same key is enqueued once
    payload: dict[str, Any] = field(default_factory=dict)


# Work a deliverer leaves for the unit of work that records its delivery (called there with that unit's
# session): what the delivery changed on our side — a session now closed — is then stored with the record of
# the delivery itself, not in a unit of its own. A crash between the call and that unit delivers the message
# again, as for any delivery not yet recorded.
Settle = Callable[[Any], None]


class OutboundDeliverer(Protocol):
    """Delivers one outbox message; raises Transient to be retried later, Refusal to give up. May return a
    `Settle` for the unit that records the delivery."""

    async def deliver(self, message: OutboundMessage) -> Settle | None: ...


class ExchangeHandlerWithFollowUp(ExchangeHandler, Protocol):
    def afterwards(self, exchange: ClaimedExchange, outcome: Outcome) -> list[OutboundMessage]: ...


@dataclass(frozen=True, slots=True)
class StoredHandoff:
    """The hand-off of one stored exchange, as the core keeps it (unread): given to a `StatusHook`."""

    kind: str  # the exchange kind, e.g. "oso_notificatie"
    version: int | None
    data: Mapping[str, Any]

    def read(self, kind: type[H]) -> H:
        return kind.from_stored(self.data, self.version)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A hulpvraag's status changed (the statushistorie row is written, not yet committed)."""

    hulpvraag_id: int
    change_id: int  # the statushistorie row's id: one change, however often a hook is asked
    status: str
    vorige_status: str | None
    toelichting: str | None
    brin6: str
    source_system: str
    external_keys: Mapping[str, str]  # the hulpvraag's own (from the exchange that made it)
    # the hand-offs of the exchanges that made or added to the hulpvraag (processed ones), oldest first
    contributions: tuple[StoredHandoff, ...] = ()


class StatusHook(Protocol):
    """What follows a status change for hulpvragen of one source system, registered by its adapter
    (`Components.status_hooks[source_system]`). Pure: the messages are written to the outbox in the status
    change's transaction and delivered by the `OutboundDeliverer` registered for their kind."""

    def after_status_change(self, change: StatusChange) -> Sequence[OutboundMessage]: ...
