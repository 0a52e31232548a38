"""The OSR's JSON shapes, shared by the client and the simulator (DOMAIN.md §2.3).

ASSUMPTION: field names follow the query parameters the OSR documents (``school_oin``, ``supplier_oin``,
``service_version_namespace``, ``routing_id``, ``start_date``, ``end_date``); the exact response bodies are
not public here. A mandated supplier sees the dates (and a token, which we never keep); a third party
only learns that a mandate exists (``"mandated": true``) or gets 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from verification.mandates import Mandaat, OsoSwvParties

__all__ = ["Endpoint", "MandateAnswer", "Service", "ServiceVersion", "parse_date"]


def parse_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    return dt.date.fromisoformat(str(value)[:10])


def _date_text(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True, slots=True)
class MandateAnswer:
    """The OSR's answer to one ``GET /mandates`` question."""

    school_oin: str
    supplier_oin: str
    service_version_namespace: str
    reference_date: dt.date
    found: bool
    start_date: dt.date | None = None  # only for the mandated supplier
    end_date: dt.date | None = None
    system: str | None = None

    def to_mandaat(self, parties: OsoSwvParties) -> Mandaat | None:
        """The mandate as a rule input. A third-party OK has no dates: it is known valid from the
        reference date on, with no known end (see docs/assumptions/osr.md)."""
        if not self.found:
            return None
        system = parties.system_for_supplier(self.supplier_oin)
        return Mandaat(
            school_oin=self.school_oin,
            service_namespace=self.service_version_namespace,
            system=self.system or (system.name if system else self.supplier_oin),
            supplier_oin=self.supplier_oin,
            start_date=self.start_date or self.reference_date,
            end_date=self.end_date if self.start_date else None,
        )

    @classmethod
    def from_json(
        cls,
        data: dict[str, Any] | None,
        *,
        school_oin: str,
        supplier_oin: str,
        service_version_namespace: str,
        reference_date: dt.date,
    ) -> MandateAnswer:
        if data is None:
            return cls(school_oin, supplier_oin, service_version_namespace, reference_date, found=False)
        return cls(
            school_oin=school_oin,
            supplier_oin=supplier_oin,
            service_version_namespace=service_version_namespace,
            reference_date=reference_date,
            found=True,
            start_date=parse_date(data.get("start_date")),
            end_date=parse_date(data.get("end_date")),
            system=data.get("system"),
        )


@dataclass(frozen=True, slots=True)
class Endpoint:
    url: str
    routing_id: str | None
    school_oin: str | None
    service_version_namespace: str
    start_date: dt.date | None = None
    end_date: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (self.end_date is None or day <= self.end_date)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "routing_id": self.routing_id,
            "school_oin": self.school_oin,
            "service_version_namespace": self.service_version_namespace,
            "start_date": _date_text(self.start_date),
            "end_date": _date_text(self.end_date),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Endpoint:
        return cls(
            url=str(data["url"]),
            routing_id=data.get("routing_id"),
            school_oin=data.get("school_oin"),
            service_version_namespace=str(data.get("service_version_namespace", "")),
            start_date=parse_date(data.get("start_date")),
            end_date=parse_date(data.get("end_date")),
        )


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "name": self.name}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Service:
        return cls(namespace=str(data["namespace"]), name=str(data.get("name", "")))


@dataclass(frozen=True, slots=True)
class ServiceVersion:
    namespace: str  # the service version's namespace URI (what mandates and endpoints name)
    service: str  # the namespace of the service it is a version of
    version: str

    def to_json(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "service": self.service, "version": self.version}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServiceVersion:
        return cls(namespace=str(data["namespace"]), service=str(data.get("service", "")), version=str(data["version"]))
