"""Small pieces of the worker runtime: the Job a handler gets, the stats, filters, handler threads, and
the polling watcher that workers of one process on one token share."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from slackmq_core._exceptions import InputError
from slackmq_core.watch import ChannelEvent, Watcher

__all__ = ["Job", "Peers", "SharedPoll", "WorkerStats", "check_args", "in_daemon_thread", "make_filter"]


@dataclass(frozen=True)
class Job:
    """What a handler gets: the message it holds the lock on."""

    channel: str
    ts: str
    text: str
    user: str | None
    message: dict
    worker_id: str


@dataclass
class WorkerStats:
    queued: int = 0        # messages that passed the filter and were queued
    acquired: int = 0
    completed: int = 0
    failed: int = 0        # handler raised: marked failed
    released: int = 0      # unfinished at stop: lock released for another worker
    skipped: int = 0       # already held by someone else or finished: no API call spent
    lost: int = 0          # acquire said held or done
    errors: int = 0        # Slack or transport errors (logged)
    heartbeats: int = 0
    lost_leases: int = 0   # a heartbeat found the lock gone: the result was not reported
    scans: int = 0


def in_daemon_thread(fn: Callable[[Any], Any], arg: Any, *, name: str) -> asyncio.Future:
    """Run a blocking ``fn(arg)`` in a daemon thread; its outcome lands in a future of this loop.

    Not the loop's executor: an abandoned handler (SIGTERM) must not keep the process alive, and
    executor threads are joined at exit.
    """
    loop = asyncio.get_running_loop()
    fut: asyncio.Future = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if not fut.done():
            fut.set_exception(error) if error is not None else fut.set_result(result)

    def target() -> None:
        try:
            out, err = fn(arg), None
        except BaseException as exc:  # noqa: BLE001 - the handler's failure, reported to the loop
            out, err = None, exc
        with contextlib.suppress(RuntimeError):   # the loop may be gone after a stop
            loop.call_soon_threadsafe(settle, out, err)

    threading.Thread(target=target, name=name, daemon=True).start()
    return fut


def check_args(handler: Any, concurrency: Any, heartbeat_interval: Any, stagger: Any, recheck_after: Any,
               turn: Any = None) -> None:
    """The Worker's argument checks: one clear line naming the bad value."""
    if not callable(handler):
        raise InputError(f"handler {handler!r} is not callable: pass a function taking a Job")
    if not isinstance(concurrency, int) or not 1 <= concurrency <= 64:
        raise InputError(f"concurrency {concurrency!r} must be an integer from 1 to 64")
    if heartbeat_interval is not None and heartbeat_interval <= 0:
        raise InputError(f"heartbeat_interval {heartbeat_interval!r} must be a positive number of seconds")
    if stagger is not None and not (isinstance(stagger, (int, float)) and stagger >= 0):
        raise InputError(f"stagger {stagger!r} must be a number of seconds >= 0 (None: automatic)")
    if turn is not None and not (isinstance(turn, (int, float)) and not isinstance(turn, bool) and turn >= 0):
        raise InputError(f"turn {turn!r} must be a number of seconds >= 0 (None: automatic, 0: no turns)")
    if not (isinstance(recheck_after, (int, float)) and recheck_after >= 0):
        raise InputError(f"recheck_after {recheck_after!r} must be a number of seconds >= 0")


def make_filter(spec: str | re.Pattern | Callable[[dict], bool] | None) -> Callable[[dict], bool]:
    if spec is None:
        return lambda msg: True
    if isinstance(spec, str):
        try:
            spec = re.compile(spec)
        except re.error as exc:
            raise InputError(f"filter {spec!r} is not a valid regular expression: {exc}") from None
    if isinstance(spec, re.Pattern):
        pattern = spec
        return lambda msg: bool(pattern.search(msg.get("text") or ""))
    if callable(spec):
        return spec
    raise InputError(f"filter {spec!r} must be a regex string, a compiled pattern or a callable")


class SharedPoll:
    """One polling Watcher shared by the Workers of one event loop that poll one channel on one token
    with the same watcher options: its events are fanned out to each, so N such workers cost the polls
    of one (not N). Each subscriber gets a ``resync`` of its own when it joins, so its first scan runs."""

    _hubs: ClassVar[dict[tuple, SharedPoll]] = {}

    def __init__(self, key: tuple, watcher: Any) -> None:
        self.key = key
        self.watcher = watcher
        self.subs: list[_Subscription] = []
        self.started = False          # the watcher's start resync went out
        self.task: asyncio.Task | None = None

    @classmethod
    def watcher(cls, client: Any, channel: str, app_token: str | None, opts: dict, *, share: bool) -> Any:
        """The Worker's event source: its own Watcher (Socket Mode, or ``share=False``), or a subscription
        to the loop's shared poller for this token, API URL, channel and options."""
        token = getattr(client, "token", None)
        if app_token or not share or not token:
            return Watcher(client, [channel], app_token=app_token, **opts)
        key = (token, getattr(client, "base_url", None), channel, tuple(sorted(opts.items())))
        return cls.subscribe(key, lambda: Watcher(client, [channel], **opts), channel)

    @classmethod
    def subscribe(cls, key: tuple, make_watcher: Callable[[], Any], channel: str) -> _Subscription:
        loop = asyncio.get_running_loop()
        full = (id(loop), *key)
        hub = cls._hubs.get(full)
        if hub is None or hub.task is None or hub.task.done():
            hub = cls._hubs[full] = cls(full, make_watcher())
            hub.task = loop.create_task(hub._pump(), name="slackmq-shared-poll")
        sub = _Subscription(hub, channel)
        hub.subs.append(sub)
        if hub.started:
            sub.queue.put_nowait(ChannelEvent("resync", channel, None, reason="start"))
        return sub

    async def _pump(self) -> None:
        error: BaseException | None = None
        try:
            async for event in self.watcher:
                self.started = self.started or event.kind == "resync"
                for sub in list(self.subs):
                    sub.queue.put_nowait(event)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - fatal for every subscriber: each raises it
            error = exc
        finally:
            if self._hubs.get(self.key) is self:
                del self._hubs[self.key]
            for sub in list(self.subs):
                sub.end(error)

    async def leave(self, sub: _Subscription) -> None:
        if sub in self.subs:
            self.subs.remove(sub)
        if not self.subs:
            if self._hubs.get(self.key) is self:
                del self._hubs[self.key]
            if self.task is not None:
                self.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self.task
            await self.watcher.close()


class _Subscription:
    """What a Worker iterates instead of its own Watcher (see SharedPoll)."""

    _END = object()

    def __init__(self, hub: SharedPoll, channel: str) -> None:
        self.hub = hub
        self.channel = channel
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.error: BaseException | None = None
        self.closed = False

    def __repr__(self) -> str:  # never shows a token
        return f"SharedPoll.subscription(channel={self.channel!r}, peers={len(self.hub.subs)})"

    mode = "polling"

    @property
    def poll_interval(self) -> float | None:
        return self.hub.watcher.poll_interval

    @property
    def status(self) -> Any:
        return self.hub.watcher.status

    def end(self, error: BaseException | None) -> None:
        self.error = error
        self.queue.put_nowait(self._END)

    def __aiter__(self) -> Any:
        return self._events()

    async def _events(self) -> Any:
        while True:
            event = await self.queue.get()
            if event is self._END:
                self.queue.put_nowait(self._END)
                if self.error is not None and not self.closed:
                    raise self.error
                return
            yield event

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.hub.leave(self)
            self.end(None)


class Peers:
    """The Workers of one event loop on one token and channel: each tells the others which message it
    is acquiring or holding (a hint with no Slack call), so they do not race it, and how that ended:
    finished (done or failed) or let go (lost, released, errored), in which case the others queue it
    again. Only a worker of this process can clear its hint, so it never outlives the work."""

    _groups: ClassVar[dict[tuple, list[Peers]]] = {}

    def __init__(self, client: Any, channel: str, on_peer: Callable[[str, str], None],
                 on_event: Callable[[Any], None] | None = None) -> None:
        token = getattr(client, "token", None)
        self.key = (id(asyncio.get_running_loop()), token, getattr(client, "base_url", None), channel)
        self.on_peer = on_peer
        self.on_event = on_event
        self.group = self._groups.setdefault(self.key, []) if token else []
        self.group.append(self)

    def tell(self, ts: str, what: str) -> None:
        """``what``: ``taken``, ``finished`` or ``free``."""
        for peer in list(self.group):
            if peer is not self:
                peer.on_peer(ts, what)

    def share(self, event: Any) -> None:
        """A Socket Mode event that reached this worker's connection: Slack hands each event to one
        connection of the app, so the others of this process would not see it (a job one of them
        queued, then another user's pin on it). Each gets it too; applying an event twice is harmless."""
        for peer in list(self.group):
            if peer is not self and peer.on_event is not None:
                peer.on_event(event)

    def leave(self) -> None:
        if self in self.group:
            self.group.remove(self)
        if not self.group and self._groups.get(self.key) is self.group:
            del self._groups[self.key]
