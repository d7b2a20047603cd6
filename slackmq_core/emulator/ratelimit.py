"""Rate limits: Slack's tiers per (method, app or token owner, team), in one-minute windows.

Tier 1: 1/min, Tier 2: 20/min, Tier 3: 50/min, Tier 4: 100/min, counted in fixed one-minute windows
of *Slack time*. ``chat.postMessage`` is about 1 per second per channel with short bursts: a token
bucket per (caller, channel) holding ``POST_BURST`` posts, refilled at 1 per second. The 2025 rule
(``tier1_history``) puts conversations.history / replies at Tier 1.

``time_scale`` X makes Slack time run X times faster than the clock: windows last 60/X s and
``Retry-After`` is in real seconds, an integer (slack_sdk does ``int()`` on it) rounded up and at
least 1, so a client that waits it out always lands in a fresh window.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from .exceptions import RateLimited

__all__ = ["POST_BURST", "TIER_LIMITS", "RateLimiter"]

TIER_LIMITS = {"1": 1, "2": 20, "3": 50, "4": 100}
WINDOW = 60.0
POST_BURST = 10


class RateLimiter:
    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        enabled: bool = True,
        tier1_history: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be > 0, not {time_scale}")
        self.time_scale = time_scale
        self.enabled = enabled
        self.tier1_history = tier1_history
        self.clock = clock
        self._windows: dict[tuple[str, str, str], list[float]] = {}
        self._buckets: dict[tuple[str, str], list[float]] = {}

    def slack_now(self) -> float:
        return self.clock() * self.time_scale

    def reset(self) -> None:
        self._windows.clear()
        self._buckets.clear()

    def limit_for(self, tier: str) -> int:
        if tier == "history":
            tier = "1" if self.tier1_history else "3"
        return TIER_LIMITS[tier]

    def check(self, method: str, tier: str, key: str, team: str, channel: str | None = None) -> None:
        """Count one call; raise :class:`RateLimited` (HTTP 429) when over the limit."""
        if not self.enabled:
            return
        now = self.slack_now()
        if tier == "post":
            self._post(key, channel or "", now)
            return
        limit = self.limit_for(tier)
        window = math.floor(now / WINDOW)
        slot = self._windows.get((method, key, team))
        if slot is None or slot[0] != window:
            self._windows[(method, key, team)] = [window, 1]
            return
        if slot[1] >= limit:
            raise RateLimited(self._retry_after((window + 1) * WINDOW - now))
        slot[1] += 1

    def _post(self, key: str, channel: str, now: float) -> None:
        bucket = self._buckets.get((key, channel))
        if bucket is None:
            self._buckets[(key, channel)] = [POST_BURST - 1.0, now]
            return
        tokens = min(float(POST_BURST), bucket[0] + (now - bucket[1]))
        if tokens < 1.0:
            bucket[0], bucket[1] = tokens, now
            raise RateLimited(self._retry_after(1.0 - tokens))
        bucket[0], bucket[1] = tokens - 1.0, now

    def _retry_after(self, slack_seconds: float) -> int:
        return max(1, math.ceil(slack_seconds / self.time_scale))
