"""How often the Watcher may call each Slack method: token buckets sized from Slack's rate tiers.

Slack counts calls per method, per app, per workspace, in one-minute windows (``window``)::

    conversations.history  Tier 3: 50/min   (Tier 1 under the 2025 rule: 1/min, pages of 15)
    pins.list              Tier 2: 20/min
    reactions.get          Tier 3: 50/min

The watcher takes ``share`` (default 1/2) of each tier and leaves the rest to the other callers of the
same app: the lock client (acquire reads pins.list / reactions.get), the console's page loads, other
processes on the same token. Each method gets a token bucket holding up to
``B = max(1, floor(R * (1 - share) / 2))`` calls, refilled at ``r`` calls per window with
``r = min(R * share, R + 1/2 - B)``. The k-th call inside any window needs k - B tokens refilled in
less than a window, so k < B + r <= R + 1/2, i.e. k <= R: the tier is never exceeded, even in the
burst at start-up when every channel is read once, with half a call of slack for network jitter.
With the defaults that is one history call every 2.4 s (burst 12), one pins.list every 6 s (burst 5),
one reactions.get every 2.4 s; with ``tier1_history`` one history call every 120 s (burst 1), i.e. at
most 1/min. The channels take turns, so each channel is read every
``interval * len(channels)``; ``poll_interval`` can only make that slower. A 429 blocks the method for
``Retry-After`` seconds (at least one interval, doubled for each further 429 in a row, because a
time-scaled emulator may round Retry-After down to 0) and is counted in ``status.rate_limit_waits``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["TIER1_HISTORY", "TIERS", "Bucket", "plan"]

TIERS = {"conversations.history": 50, "pins.list": 20, "reactions.get": 50}
TIER1_HISTORY = 1


@dataclass
class Bucket:
    """A token bucket for one method: ``rate`` calls per second, ``burst`` calls in hand."""

    rate: float
    burst: int
    tokens: float = 0.0
    stamp: float = 0.0
    blocked_until: float = 0.0
    strikes: int = 0                # 429s in a row: each doubles the least wait

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    def wait_time(self, now: float) -> float:
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return max(self.blocked_until - now, (1.0 - self.tokens) / self.rate, 0.0)

    def block(self, now: float, seconds: float) -> None:
        """A 429: wait Retry-After, and never less than an interval (doubled per 429 in a row)."""
        self.tokens = 0.0
        self.stamp = now
        self.blocked_until = now + max(seconds, self.interval * 2 ** min(self.strikes, 6))
        self.strikes += 1


def plan(*, tier1_history: bool = False, share: float = 0.5, window: float = 60.0) -> dict[str, Bucket]:
    """One full bucket per method, by the math in the module docstring."""
    buckets = {}
    for method, per_window in TIERS.items():
        if method == "conversations.history" and tier1_history:
            per_window = TIER1_HISTORY
        burst = max(1, math.floor(per_window * (1 - share) / 2))
        refill = min(per_window * share, per_window + 0.5 - burst)
        buckets[method] = Bucket(rate=refill / window, burst=burst, tokens=float(burst))
    return buckets
