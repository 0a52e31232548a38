"""All tables. Importing this package registers every model on `SQLModel.metadata` (used by Alembic)."""

from gateway.store.models import accounts, codes, mail  # noqa: F401  (their tables register themselves)
from gateway.store.models.audit import AuditEntry
from gateway.store.models.catalogue import Aanvraagtype, Status, StatusOvergang
from gateway.store.models.hulpvraag import Bijlage, Hulpvraag, StatusHistorie
from gateway.store.models.inbox import (
    CLAIMABLE,
    FINAL,
    Exchange,
    ExchangeEvent,
    ExchangeState,
    OutboxMessage,
    SeenMessage,
)
from gateway.store.models.registry import Gemeente, Mandaat, Scholenkring, School, Swv, Vestiging
from gateway.store.models.sessions import RemoteSession, RemoteSessionState

__all__ = [
    "CLAIMABLE",
    "FINAL",
    "Aanvraagtype",
    "AuditEntry",
    "Bijlage",
    "Exchange",
    "ExchangeEvent",
    "ExchangeState",
    "Gemeente",
    "Hulpvraag",
    "Mandaat",
    "OutboxMessage",
    "RemoteSession",
    "RemoteSessionState",
    "Scholenkring",
    "School",
    "SeenMessage",
    "Status",
    "StatusHistorie",
    "StatusOvergang",
    "Swv",
    "Vestiging",
]
