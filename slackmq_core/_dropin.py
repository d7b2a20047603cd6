"""``slackmq``: a drop-in for slackmq 0.1.2's class, on the fixed core.

Same constructor and methods as 0.1.2 (``slackmq(token, channel, timestamp)``,
``ack(emoji=None, stars=None)``, ``unack(emoji=None, stars=None)``) and the same True / False
answers, with these differences:

* ``ack`` maps its arguments to a strategy: ``pin``, ``pin+reaction`` (``emoji``), ``pin+star``
  (``stars``) or ``pin+star+reaction``, and runs the real acquire: a failure after the pin removes
  the pin (no leaked lock), a 429 is waited out and retried instead of being taken for contention,
  a done message is not taken, and different bot users are ordered by the reaction list.
* ``unack`` removes only this holder's marks, with no ``sleep`` (0.1.2 slept 3–9 s), and returns
  True on success (0.1.2 returned None).
* Errors are logged on the ``slackmq`` logger with Slack's code and advice, never swallowed
  silently; the token never appears in a log line.
* The client honours ``SLACKMQ_API_URL``, so bots written for 0.1.2 run against the emulator.

The last result is kept in ``.last_result`` (a LockResult) for callers that want more than a bool.
"""

from __future__ import annotations

import logging

from slackmq_core._client import LockClient
from slackmq_core._exceptions import SlackMQError
from slackmq_core._model import LockResult, Outcome
from slackmq_core._slack import make_client
from slackmq_core._strategy import LockOptions, Strategy

__all__ = ["slackmq"]

log = logging.getLogger("slackmq")


class slackmq:  # noqa: N801 - the name 0.1.2 users import
    """``slackmq(token, channel, timestamp).ack()`` — see the module docstring."""

    def __init__(self, api_token: str, channel: str, timestamp: str) -> None:
        self._token = api_token
        self.channel = channel
        self.timestamp = timestamp
        self.last_result: LockResult | None = None
        self._clients: dict[tuple[str | None, bool], LockClient] = {}

    def __repr__(self) -> str:
        return f"slackmq(channel={self.channel!r}, timestamp={self.timestamp!r})"

    def _client(self, emoji: str | None, stars: object) -> LockClient:
        key = (emoji, bool(stars))
        if key not in self._clients:
            if emoji and stars:
                strategy = Strategy.PIN_STAR_REACTION
            elif emoji:
                strategy = Strategy.PIN_REACTION
            elif stars:
                strategy = Strategy.PIN_STAR
            else:
                strategy = Strategy.PIN
            reaction = str(emoji).strip(":") if emoji else "lock"
            done = "white_check_mark" if reaction != "white_check_mark" else "heavy_check_mark"
            failed = "x" if reaction != "x" else "heavy_multiplication_x"
            opts = LockOptions(strategy=strategy, reaction=reaction, done_reaction=done,
                               failed_reaction=failed, lookup_holder=False)
            self._clients[key] = LockClient(make_client(self._token), opts)
        return self._clients[key]

    def _answer(self, action: str, res: LockResult, ok: Outcome) -> bool:
        self.last_result = res
        if res.outcome is ok:
            return True
        if res.outcome is Outcome.ERROR:
            log.error("slackmq %s %s %s: Slack error %s — %s", action, res.channel, res.ts, res.error,
                      res.advice)
        else:
            who = f" by {res.holder.label}" if res.holder else ""
            log.info("slackmq %s %s %s: %s%s", action, res.channel, res.ts, res.outcome.value, who)
        return False

    def ack(self, emoji: str | None = None, stars: object = None) -> bool:
        """Lock the message: True if this caller now holds it."""
        try:
            res = self._client(emoji, stars).acquire(self.channel, self.timestamp)
        except SlackMQError as exc:
            log.error("slackmq ack %s %s: %s", self.channel, self.timestamp, exc)
            return False
        return self._answer("ack", res, Outcome.ACQUIRED)

    def unack(self, emoji: str | None = None, stars: object = None) -> bool:
        """Unlock the message (only this holder's marks): True on success."""
        try:
            res = self._client(emoji, stars).release(self.channel, self.timestamp)
        except SlackMQError as exc:
            log.error("slackmq unack %s %s: %s", self.channel, self.timestamp, exc)
            return False
        return self._answer("unack", res, Outcome.RELEASED)
