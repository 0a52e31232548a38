"""One retry policy for everything the gateway tries again: exponential backoff with jitter, capped.

Used at two scales with the same formula:
- the core's queue (`gateway.inbox.worker`, `gateway.inbox.outbox`): the wait before the next attempt of an
  exchange or outbox message (``attempts`` unused: the settings' ``max_attempts`` decides when to hold);
- an outbound client's retries within one attempt (the OSO SOAP client, the OSR REST client): ``attempts``
  calls, then `gateway.errors.Transient` hands the wait to the queue.

The measured behaviour is in docs/reliability.md.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Wait ``base`` seconds after the first failure, doubling per failure, never more than ``cap``; each wait
    is drawn between half and all of that ceiling (jitter, so callers that failed together do not return
    together)."""

    base: float = 0.2  # seconds: the ceiling of the first wait
    cap: float = 2.0  # seconds: no wait is longer (a Retry-After hint included)
    attempts: int = 3  # calls within one go, the first included (outbound clients); the queue ignores it
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)  # jitter, not security

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0:
            raise ValueError("retry waits must not be negative")
        if self.attempts < 1:
            raise ValueError("retry attempts must be at least 1")

    def ceiling(self, attempt: int) -> float:
        """The longest wait after failure number ``attempt`` (1 = the first)."""
        return min(self.cap, self.base * 2.0 ** min(max(0, attempt - 1), 64))  # 2**64: far past any cap

    def delay(self, attempt: int, hint: float | None = None) -> float:
        """The wait after failure number ``attempt``. The other side's Retry-After (``hint``) is honoured, but
        never beyond our own cap: a hint of a day must not park a child's request for a day."""
        ceiling = self.ceiling(attempt)
        delay = self.rng.uniform(ceiling / 2, ceiling)
        return max(delay, min(hint or 0.0, self.cap))
