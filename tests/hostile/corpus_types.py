"""The shape of a hostile case: what it attacks, how its input is built, and the refusal it must get."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tests.hostile.targets import HostilePki
    from tests.hostile.wire import HttpInput

Target = Literal["soap", "esis", "dossier"]


@dataclass(frozen=True)
class Case:
    """One hostile or broken input.

    ``status`` is the HTTP status the refusal must have (``None`` for the dossier, which is read by the
    worker, not over HTTP). For the SOAP endpoint a content or security refusal is a SOAP 1.1 fault, which
    SOAP 1.1 §6.2 and WS-I Basic Profile R1126 put on HTTP 500: there ``faultcode`` must be ``soap:Client``
    (the sender's fault), never ``soap:Server``.
    """

    name: str
    target: Target
    attack: str  # the family from the issue: xxe, billion_laughs, deep_nesting, zip_bomb, replay, ...
    code: str  # the stable refusal code
    status: int | None
    build: Callable[..., object]  # soap/esis: (pki) -> HttpInput; dossier: () -> bytes
    before: Callable[..., list[HttpInput]] | None = None  # requests that must be sent first (e.g. a create)
    repeat: bool = False  # send the built input twice; the second answer is judged (replay)
    xfail: str | None = None  # a known bug: the case stays visible, the suite stays green
    options: dict[str, Any] = field(default_factory=dict)  # endpoint / limits overrides for this case

    @property
    def id(self) -> str:
        return f"{self.target}-{self.name}"


BuildSoap = Callable[["HostilePki"], "HttpInput"]
