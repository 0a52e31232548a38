"""The shared vocabulary of verdicts: a `Finding` is one judgement, a list of findings is a verdict.

Every rule in `verification/` returns findings; every refusal anywhere in the gateway carries them. The
same object feeds the SOAP fault, the API error, the log event and the queue page, so it is plain data:
a stable machine ``code`` (``PaO.LL12``, ``ROUTERING_BUITEN_500_REEKS``), a ``severity``, a Dutch
``message`` a school or the secretariaat can act on, and the ``location`` it refers to (an XPath, a
field or a header).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Finding", "Severity", "Verdict", "fout", "waarschuwing"]


class Severity(StrEnum):
    FOUT = "fout"  # blocks: the exchange is refused (or held) on it
    WAARSCHUWING = "waarschuwing"  # shown to the secretariaat, does not block


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    location: str | None = None
    severity: Severity = Severity.FOUT

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.FOUT

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "location": self.location,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            code=str(data["code"]),
            message=str(data["message"]),
            location=data.get("location"),
            severity=Severity(data.get("severity", Severity.FOUT.value)),
        )


def fout(code: str, message: str, location: str | None = None) -> Finding:
    return Finding(code=code, message=message, location=location, severity=Severity.FOUT)


def waarschuwing(code: str, message: str, location: str | None = None) -> Finding:
    return Finding(code=code, message=message, location=location, severity=Severity.WAARSCHUWING)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of applying one or more rules: the findings, in the order they were found."""

    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Verdict:
        return cls(tuple(findings))

    @property
    def ok(self) -> bool:
        return not any(f.blocking for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.blocking)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def __add__(self, other: Verdict) -> Verdict:
        return Verdict(self.findings + other.findings)
