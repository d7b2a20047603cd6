"""The drivers' retry policy for one Slack call (no I/O here: the drivers sleep).

* HTTP 429 (``ratelimited``): wait ``Retry-After`` seconds and resend — never contention.
* 5xx, timeouts, connection errors, ``internal_error``: exponential backoff with ±50% jitter, at
  most ``attempts`` tries. For a write, the outcome of such a failure is *ambiguous* (it may have
  taken effect), so the next answer — or the final error — carries ``after_ambiguous``.
* Anything else goes straight back to the protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slackmq_core._exceptions import RateLimited, SlackMQError
from slackmq_core._protocol import Call
from slackmq_core._slack import is_transient, translate

__all__ = ["Attempts", "RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """How the drivers retry one call (the clients take an injectable ``sleep`` too)."""

    attempts: int = 5                 # tries per call for 5xx / timeouts / connection errors
    base_delay: float = 0.2           # first backoff, doubled per attempt, with ±50% jitter
    max_delay: float = 5.0
    rate_limit_waits: int = 10        # 429s waited out per call before giving up
    max_retry_after: float = 120.0    # never wait longer than this for one 429
    min_retry_after: float = 0.25     # a Retry-After of 0 (a scaled emulator) still waits a little

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        return min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1)) * (0.5 + rng())


class Attempts:
    """Retry bookkeeping of one call: decides between 'sleep d and retry' and 'raise err'."""

    def __init__(self, policy: RetryPolicy, c: Call, rng: Callable[[], float]) -> None:
        self.policy, self.call, self.rng = policy, c, rng
        self.tries = 0
        self.waits = 0
        self.ambiguous = False

    def on_error(self, raw: BaseException) -> float | SlackMQError:
        err = translate(raw, self.call.method)
        if isinstance(err, RateLimited):
            self.waits += 1
            if self.waits <= self.policy.rate_limit_waits:
                return min(max(float(err.retry_after or 0.0), self.policy.min_retry_after),
                           self.policy.max_retry_after)
        elif is_transient(err):
            self.tries += 1
            if self.call.write:
                self.ambiguous = True
            if self.tries < self.policy.attempts:
                return self.policy.backoff(self.tries, self.rng)
        err.after_ambiguous = self.ambiguous
        return err
