"""Per-user request limits: a sliding window and a cooldown, checked before the library.

The library's own limit caps the songs one requester has on the way; this one stops a fan
from flooding the queue in the first place (and costs no database write), and the queue's
round-robin between requesters keeps other fans served meanwhile.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RequestLimiter:
    per_window: int
    """Requests one user may make per window."""
    window_seconds: float
    cooldown_seconds: float
    """The least time between two accepted requests of one user."""
    clock: Callable[[], float] = time.monotonic
    _accepted: dict[str, deque[float]] = field(default_factory=dict)

    def try_accept(self, user: str) -> float | None:
        """Record a request of ``user`` and return None, or return the seconds they must wait
        (a refused request is not recorded, so refusals never extend the wait)."""
        now = self.clock()
        times = self._accepted.setdefault(user, deque())
        while times and now - times[0] >= self.window_seconds:
            times.popleft()
        waits = []
        if times and now - times[-1] < self.cooldown_seconds:
            waits.append(self.cooldown_seconds - (now - times[-1]))
        if len(times) >= self.per_window:
            waits.append(self.window_seconds - (now - times[0]))
        if waits:
            return max(waits)
        times.append(now)
        return None
