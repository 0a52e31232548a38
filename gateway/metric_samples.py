"""Process-local metric samples: what an adapter hands the core for ``/metrics`` (breaker states, call counters).

Here, not in ``gateway.web.metrics``, so that ``gateway.components`` (which holds the registered sources) and the
adapters need not import the web package; ``gateway.web.metrics`` renders them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["MetricSource", "Sample"]


@dataclass(frozen=True)
class Sample:
    """One process-local sample. ``help`` and ``type`` describe the family (the first sample of a family
    wins); ``name`` is the full sample name (a counter ends in ``_total``). The core adds ``process``."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    value: float = 0.0
    help: str = ""
    type: Literal["gauge", "counter"] = "gauge"


MetricSource = Callable[[], Iterable[Sample]]
