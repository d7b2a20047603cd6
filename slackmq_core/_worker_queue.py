"""The worker's queue: which messages it will try, and when. No I/O.

A message is queued when the worker's view says it is a job nobody holds. It becomes ready after a
delay made of two parts (see ``worker``'s module docstring, step 3):

* the **stagger** of a polling worker (1 to 2 poll intervals, at random, unless set), so that a Socket
  Mode worker's pin reaches it first;
* its **turn**: its place in the message's order among the users seen locking in the channel
  (``ChannelView.turn``) times ``turn`` seconds (1 s in Socket Mode, a poll interval when polling).

When its turn comes and none of the users before it took the message, each of them missed a turn
(``ChannelView.missed``). A message whose holder let go is queued again one turn later
(``requeue``), so a done mark sent just before the unpin finishes it first.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from slackmq_core._worker_view import ChannelView

__all__ = ["SOCKET_TURN", "JobQueue"]

#: Seconds each worker ahead in a message's order gets before the next one tries, in Socket Mode
#: (Slack delivers the winner's ``pin_added`` well within it).
SOCKET_TURN = 1.0


class JobQueue:
    def __init__(self, view: ChannelView, *, stagger: float | None, turn: float | None,
                 poll_interval: Callable[[], float | None], on_queued: Callable[[], None]) -> None:
        self.view = view
        self.stagger = stagger
        self.turn = turn
        self.poll_interval = poll_interval     # the watcher's, None in Socket Mode
        self.on_queued = on_queued             # a stats counter
        self.closed = True
        self._queue: asyncio.Queue[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queued: set[str] = set()
        self._queued_at: dict[str, float] = {}
        self._ahead: dict[str, list[str]] = {}

    def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self.closed = False

    def put(self, ts: str) -> None:
        """Queue ``ts`` if it is a free job we are not already trying; ready after its delay."""
        view = self.view
        if (self.closed or self._queue is None or ts in self._queued or ts in view.mine
                or ts not in view.msgs or view.contended(ts)):
            return
        self._queued.add(ts)
        self._queued_at[ts] = self._loop.time() if self._loop is not None else 0.0
        self.on_queued()
        place, ahead = view.turn(ts)
        delay = self.stagger_delay() + place * self.turn_seconds()
        if ahead:
            self._ahead[ts] = ahead
        if delay > 0 and self._loop is not None:
            self._loop.call_later(delay, self._queue.put_nowait, ts)   # get() re-checks contended()
        else:
            self._queue.put_nowait(ts)

    def put_later(self, ts: str, delay: float) -> None:
        if self._loop is not None and delay > 0:
            self._loop.call_later(delay, self.put, ts)
        else:
            self.put(ts)

    def requeue(self, ts: str) -> None:
        """A holder let go with no done mark seen: queue it again one turn later (events of one app
        reach a process over several connections, in no guaranteed order)."""
        self.put_later(ts, self.turn_seconds())

    async def get(self) -> tuple[str, float, list[str]]:
        """The next ready message: (ts, seconds it waited, the users whose turn came before ours)."""
        assert self._queue is not None and self._loop is not None
        ts = await self._queue.get()
        self._queued.discard(ts)
        now = self._loop.time()
        return ts, now - self._queued_at.pop(ts, now), self._ahead.pop(ts, [])

    def stagger_delay(self) -> float:
        if self.stagger is not None:
            return self.stagger * random.uniform(1.0, 2.0)
        interval = self.poll_interval()
        return interval * random.uniform(1.0, 2.0) if interval else 0.0

    def turn_seconds(self) -> float:
        if self.turn is not None:
            return self.turn
        return self.poll_interval() or SOCKET_TURN
