"""What the OSO notificatie intake hands to the worker (``oso_notificatie``): a frozen, versioned dataclass.

The core stores `stored()` in the inbox row with `VERSION` and gives it back unread; `from_stored` reads
every version, and rows written before hand-offs were typed (``version=None``: the old ``meta`` dict, the
same keys as version 1) too. An exchange refused at intake is stored with the same hand-off, carrying only
the fields it had (no worker reads those, the queue shows them). Nothing is cut short: every field was read
from a notificatie under the endpoint's size limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from adapters.parnassys.notificatie import FIELDS, Notificatie

__all__ = ["KIND", "NotificatieHandoff"]

KIND = "oso_notificatie"
_SENDER = ("sender_oin", "sender_profile", "sender_via", "wsa_message_id")


@dataclass(frozen=True, slots=True)
class NotificatieHandoff:
    version: ClassVar[int] = 1

    # the notificatie's six fields as read (the standard's names); None: missing (refused at intake)
    fields: Mapping[str, str]
    sender_oin: str | None = None
    sender_profile: str | None = None  # "2W-be" | "2W-be-S"
    sender_via: str | None = None  # how the client certificate arrived: "tls" | "proxy"
    wsa_message_id: str | None = None
    # the intake's non-blocking sender-check findings (Finding.to_dict()), kept for the queue
    intake_waarschuwingen: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)

    @property
    def koppelsleutel(self) -> str | None:
        return self.fields.get("koppelsleutel")

    def notificatie(self) -> Notificatie:
        """The accepted notificatie (every field was checked at intake); KeyError when one is missing."""
        return Notificatie(**{name: str(self.fields[name]) for name in FIELDS})

    def stored(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: self.fields[name] for name in FIELDS if name in self.fields}
        out["bron_brin"] = self.fields.get("bronBrin")
        out.update({name: getattr(self, name) for name in _SENDER})
        if self.intake_waarschuwingen:
            out["intake_waarschuwingen"] = [dict(f) for f in self.intake_waarschuwingen]
        return out

    @classmethod
    def from_stored(cls, data: Mapping[str, Any], version: int | None) -> Self:
        if version not in (None, 1):
            raise ValueError(f"oso_notificatie hand-off version {version} is newer than this gateway")
        # version None (before hand-offs were versioned) has the same keys as version 1
        return cls(
            fields={name: str(data[name]) for name in FIELDS if data.get(name) is not None},
            sender_oin=_text(data.get("sender_oin")),
            sender_profile=_text(data.get("sender_profile")),
            sender_via=_text(data.get("sender_via")),
            wsa_message_id=_text(data.get("wsa_message_id")),
            intake_waarschuwingen=tuple(
                dict(f) for f in data.get("intake_waarschuwingen") or () if isinstance(f, dict)
            ),
        )


def _text(value: object) -> str | None:
    return None if value is None else str(value)
