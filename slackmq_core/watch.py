"""Live events of a set of channels: Socket Mode when an app token is given, tier-paced polling otherwise.

::

    async with Watcher(client, ["C0JOBS0001"], app_token=app_token) as watcher:
        async for event in watcher:          # ChannelEvent
            if event.kind == "resync":       # first event, and after any gap: reload what you show
                ...

Every iteration starts with one ``resync`` event per channel, sent once the watcher is connected (Socket
Mode) or has read its baseline (polling): anything that happened before it is the consumer's to load.
After a dropped socket, a failed poll or an overflowing queue the watcher sends ``resync`` again, so a
consumer that reloads on ``resync`` never misses a change. Events are delivered at least once (Socket
Mode envelopes are de-duplicated on ``event_id``; a reload may overlap with diff events), so consumers
must treat them as idempotent hints.

How each mode talks to Slack (and what it costs) is documented in ``_watch_socket`` and ``_watch_poll``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Self

from slackmq_core._exceptions import InputError

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["EVENT_KINDS", "ChannelEvent", "WatchStatus", "Watcher"]

log = logging.getLogger("slackmq.watch")

#: Every ``ChannelEvent.kind``.
EVENT_KINDS = frozenset({
    "message", "message_changed", "message_deleted", "pin_added", "pin_removed",
    "reaction_added", "reaction_removed", "resync",
})


@dataclass(frozen=True)
class ChannelEvent:
    """One change in a watched channel.

    ``ts`` is the message the event is about (for reactions and pins: the item, not the action);
    ``user`` who acted (the poster, pinner or reactor) when Slack says; ``message`` the message body when
    the event carries one (pin events: the pinned message with its reactions; polled reaction events:
    the message as the poll saw it). ``resync`` events have ``ts=None`` and say why in ``reason``.
    ``apply_event`` folds an event into a MessageLock with no Slack call.
    """

    kind: str
    channel: str
    ts: str | None
    user: str | None = None
    reaction: str | None = None
    event_ts: str | None = None
    message: dict | None = None
    subtype: str | None = None      # the message subtype (thread_broadcast, pinned_item, ...)
    thread_ts: str | None = None    # set for thread replies (Socket Mode only: history omits them)
    reason: str = ""                # resync: start | reconnect | poll_gap | overflow | recovered
    pinned_by: str | None = None    # pin_added: who pinned (the pin's created_by), when Slack says
    pinned_at: float | None = None  # pin_added: the pin's created time (epoch s), when Slack says

    @property
    def is_top_level(self) -> bool:
        """A channel message, not a reply inside a thread (broadcast replies count as top level)."""
        return self.thread_ts in (None, self.ts) or self.subtype == "thread_broadcast"


@dataclass(frozen=True)
class WatchStatus:
    """What the status bar shows: how the watcher is connected, since when, and how fresh it is."""

    mode: str = "offline"                 # live | polling | offline
    since: float | None = None            # epoch seconds the mode last changed
    last_event_at: float | None = None    # epoch seconds of the last event delivered
    rate_limit_waits: int = 0             # 429s waited out (Retry-After honoured)
    stale: bool = True                    # the view may be missing changes right now
    reconnects: int = 0                   # sockets re-opened (Socket Mode)
    polls: int = 0                        # Slack calls made by the poller
    detail: str = ""                      # one line: why offline, or the poll intervals in use


class _Feed:
    """The shared sink both sources write to: a bounded queue, event_id de-duplication, the status."""

    def __init__(self, channels: Sequence[str], *, maxsize: int, clock: Callable[[], float],
                 dedupe_size: int = 4096) -> None:
        self.channels = tuple(channels)
        self.queue: asyncio.Queue[ChannelEvent | None] = asyncio.Queue(maxsize)
        self.clock = clock
        self.status = WatchStatus(since=clock(), detail="starting")
        self._seen_ids: dict[str, None] = {}
        self._dedupe_size = dedupe_size
        self.duplicates = 0

    def first_sight(self, event_id: str | None) -> bool:
        """False if this event_id was delivered before (Slack redelivers unacknowledged envelopes)."""
        if not event_id:
            return True
        if event_id in self._seen_ids:
            self.duplicates += 1
            return False
        self._seen_ids[event_id] = None
        if len(self._seen_ids) > self._dedupe_size:
            del self._seen_ids[next(iter(self._seen_ids))]
        return True

    def put(self, event: ChannelEvent) -> None:
        if event.channel not in self.channels:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # The consumer fell behind: drop what is queued and tell it to reload instead.
            while not self.queue.empty():
                self.queue.get_nowait()
            log.warning("event queue full (%d): dropping queued events, sending resync", self.queue.maxsize)
            for channel in self.channels:
                self.queue.put_nowait(ChannelEvent("resync", channel, None, reason="overflow"))
            return
        if event.kind != "resync":
            self.update(last_event_at=self.clock())

    def end(self) -> None:
        """Put the end-of-iteration marker, making room for it if the consumer fell behind."""
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    def resync(self, reason: str) -> None:
        for channel in self.channels:
            self.put(ChannelEvent("resync", channel, None, reason=reason))

    def set_mode(self, mode: str, detail: str = "") -> None:
        if mode != self.status.mode:
            self.update(mode=mode, since=self.clock(), stale=mode == "offline", detail=detail)
        elif detail != self.status.detail:
            self.update(detail=detail)

    def update(self, **changes: Any) -> None:
        self.status = replace(self.status, **changes)

    def count(self, field: str, n: int = 1) -> None:
        self.update(**{field: getattr(self.status, field) + n})


class Watcher:
    """An async iterator of ``ChannelEvent`` for ``channels`` (ids such as ``C0JOBS0001``).

    Socket Mode when ``app_token`` is given; otherwise it polls ``conversations.history`` and
    ``pins.list`` at intervals that stay inside Slack's tiers (``poll_interval`` asks for a slower or
    faster history poll; it is raised to the tier floor, never lowered below it). ``tier1_history``
    assumes the 2025 rule (history at 1 call a minute, 15 messages a page) and leans on pins.list.
    ``window`` is the length of Slack's rate-limit window: 60 s; lower it only for an emulator running
    with a matching ``time_scale``. One consumer per watcher; ``close()`` ends the iteration.
    """

    def __init__(self, client: AsyncWebClient, channels: Sequence[str], *, app_token: str | None = None,
                 base_url: str | None = None, poll_interval: float | None = None,
                 tier1_history: bool = False, share: float = 0.5, window: float = 60.0,
                 ping_interval: float = 5.0, queue_size: int = 10_000,
                 clock: Callable[[], float] = time.time) -> None:
        channels = tuple(dict.fromkeys(channels))
        if not channels:
            raise InputError("Watcher needs at least one channel id (e.g. C0JOBS0001)")
        for channel in channels:
            if not (isinstance(channel, str) and channel[:1] in "CGD" and channel[1:].isalnum()
                    and channel.upper() == channel and len(channel) >= 9):
                raise InputError(f"channel {channel!r} is not a channel id: pass ids like C0JOBS0001 "
                                 "(LockClient.resolve_channel turns a name into one)")
        if not 0 < share <= 1:
            raise InputError(f"share {share!r} is not in (0, 1]: the fraction of each rate tier to use")
        if poll_interval is not None and poll_interval <= 0:
            raise InputError(f"poll_interval {poll_interval!r} must be a positive number of seconds")
        self.client = client
        self.channels = channels
        self._app_token = app_token
        self._base_url = base_url
        self._options = {"poll_interval": poll_interval, "tier1_history": tier1_history, "share": share,
                         "window": window}
        self._ping_interval = ping_interval
        self._queue_size = queue_size
        self._clock = clock
        self._feed: _Feed | None = None
        self._source: Any = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._error: BaseException | None = None

    def __repr__(self) -> str:  # never shows a token
        mode = "socket" if self._app_token else "polling"
        return f"Watcher(channels={list(self.channels)!r}, mode={mode!r}, status={self.status.mode!r})"

    @property
    def mode(self) -> str:
        """``socket`` or ``polling``: how this watcher gets its events (status.mode says if it works)."""
        return "socket" if self._app_token else "polling"

    @property
    def poll_interval(self) -> float | None:
        """Seconds between two history polls of a channel (polling, once started); None in Socket Mode."""
        return getattr(self._source, "history_every", None) if self.mode == "polling" else None

    @property
    def status(self) -> WatchStatus:
        return self._feed.status if self._feed else WatchStatus(since=None)

    @property
    def duplicates(self) -> int:
        """Redelivered Socket Mode events that were dropped by event_id."""
        return self._feed.duplicates if self._feed else 0

    async def start(self) -> None:
        """Connect (or start polling). Iterating starts the watcher too; calling it twice is harmless."""
        if self._feed is not None:
            return
        if self._closed:
            raise InputError("this Watcher is closed: build a new one")
        self._feed = _Feed(self.channels, maxsize=self._queue_size, clock=self._clock)
        if self._app_token:
            from slackmq_core._watch_socket import SocketSource

            self._source = SocketSource(self._feed, self.client, self._app_token, base_url=self._base_url,
                                        ping_interval=self._ping_interval)
        else:
            from slackmq_core._watch_poll import PollSource

            self._source = PollSource(self._feed, self.client, **self._options)
        self._task = asyncio.create_task(self._run(), name="slackmq-watcher")

    async def _run(self) -> None:
        assert self._feed is not None
        try:
            await self._source.run()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - fatal (bad token, missing scope): for the consumer
            self._error = exc
            self._feed.set_mode("offline", detail=str(exc))
        finally:
            self._feed.end()

    def __aiter__(self) -> AsyncIterator[ChannelEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[ChannelEvent]:
        await self.start()
        assert self._feed is not None
        while True:
            event = await self._feed.queue.get()
            if event is None:
                self._feed.queue.put_nowait(None)   # keep the end marker for any later iteration
                if self._error is not None and not self._closed:
                    raise self._error
                return
            yield event

    async def next_event(self, timeout: float | None = None) -> ChannelEvent | None:
        """The next event, or None after ``timeout`` seconds or once closed (handy for loops with a deadline)."""
        await self.start()
        assert self._feed is not None
        try:
            event = await asyncio.wait_for(self._feed.queue.get(), timeout)
        except TimeoutError:
            return None
        if event is None:
            self._feed.queue.put_nowait(None)   # keep the end marker for the next caller
            if self._error is not None and not self._closed:
                raise self._error
        return event

    async def close(self) -> None:
        """Stop the socket or the poller and end the iteration. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._source is not None:
            await self._source.close()
        if self._feed is not None:
            self._feed.set_mode("offline", detail="closed")
            self._feed.end()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
