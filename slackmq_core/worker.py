"""The worker runtime: take jobs from a channel, one holder per message, and run a handler on each.

::

    def handle(job: Job) -> None:           # or ``async def``; raise to mark the message failed
        print(job.text)

    Worker("xoxb-…", "jobs", handle, LockOptions(), app_token="xapp-…").serve()   # until SIGTERM

What it does, in order:

1. ``auth.test`` (who am I) and the channel's id, then a :class:`~slackmq_core.watch.Watcher` on it
   (Socket Mode with ``app_token``, tier-paced polling without). Polling workers of one process on
   one token, channel and watcher options share one poller (``share_poll``): its events go to each,
   so they cost the polls of one worker, at the pace one of them asked for. Workers of one process
   on one token and channel (any mode) tell each other which message each is acquiring or holding
   (``Peers``, no Slack call), so they do not race each other for it; one that lets go without
   finishing hands it back to the others' queues. Slack delivers each Socket Mode event to one
   connection of the app, so such workers also pass each other the events their connection got.
2. On the watcher's ``resync`` (at start, and after every gap) it scans the channel's recent history
   (``scan_limit`` messages) through the lock client, so a message posted while it was away is not
   lost: delivery is at least once.
3. Every new top-level message that passes ``filter`` (a regex on the text, or a callable on the message
   dict) is queued. Before spending an API call on it the worker checks what it has already seen:
   another holder's pin or lock reaction, a done or failed mark. Such a message costs nothing; it is
   queued again if that holder's pin or reaction goes away without a done mark. A polling worker
   first waits ``stagger`` seconds (by default 1 to 2 of its history poll intervals, at random), so a
   Socket Mode worker's pin, or a done mark that follows a pin's removal, reaches it before it spends
   a call; after the wait it tries anyway, so nothing is lost. A loser spends one call (``pins.add``):
   the worker's lock client does not look up who holds the message.
   **Taking turns.** Workers of *different* users (each app gets every event) would all race for
   every message. So each worker remembers the other users it has seen lock in the channel (their
   pins and lock reactions, in events and scans) and orders itself among them by a hash of the
   message and the user ids — the same order in every process. The first tries at once; each one
   after it waits ``turn`` seconds more (default 1 s in Socket Mode, one poll interval when
   polling) and tries only if, by then, no pin of the one before it has arrived. A user that let its
   turn pass three times in a row (busy or gone) is left out of the order until it locks something
   again. With one user only (a shared token) there is no order and no wait. A message that waited in the
   queue longer than ``recheck_after`` seconds (its events may have gone to another Socket Mode
   connection of the app meanwhile) is read first with one ``reactions.get`` (Tier 3; its ``pinned_to``
   and ``reactions`` tell done, failed and pinned): done or held costs that one call instead of a pin
   placed, checked and taken back (and no ``pins.list``).
4. ``acquire``; on success the handler runs (a sync handler in its own daemon thread, an async one as a
   task) while a heartbeat extends the claim-note lease every ``heartbeat_interval`` seconds (when the
   options use a claim note). Then ``complete``, or ``fail`` with the exception as the reason.
5. ``stop()`` (or SIGTERM / SIGINT under ``serve()``) stops taking jobs, gives running handlers
   ``drain_timeout`` seconds, then cancels them and *releases* their locks, so another worker can take
   them. A sync handler's thread cannot be killed: it is abandoned (a daemon thread) and its result
   ignored.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import logging
import re
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slackmq_core import _slack
from slackmq_core._client import AsyncLockClient
from slackmq_core._exceptions import HolderLost, SlackMQError
from slackmq_core._jobs import Job, Peers, SharedPoll, WorkerStats, check_args, in_daemon_thread, make_filter
from slackmq_core._model import Outcome
from slackmq_core._strategy import LockOptions
from slackmq_core._worker_queue import JobQueue
from slackmq_core._worker_view import ChannelView
from slackmq_core.watch import ChannelEvent

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["Job", "Worker", "WorkerStats"]

log = logging.getLogger("slackmq.worker")

_MAX_ATTEMPTS = 3


class Worker:
    """See the module docstring. ``client`` is an AsyncWebClient or a bot/user token."""

    def __init__(self, client: AsyncWebClient | str, channel: str, handler: Callable[[Job], Any],
                 options: LockOptions | None = None, *, app_token: str | None = None,
                 worker_id: str | None = None, filter: str | re.Pattern | Callable[[dict], bool] | None = None,
                 heartbeat_interval: float | None = None, concurrency: int = 1,
                 base_url: str | None = None, drain_timeout: float = 10.0, max_jobs: int | None = None,
                 scan_limit: int = 200, ignore_self: bool = True,
                 watcher_options: dict[str, Any] | None = None, stagger: float | None = None,
                 recheck_after: float = 30.0, share_poll: bool = True, turn: float | None = None) -> None:
        check_args(handler, concurrency, heartbeat_interval, stagger, recheck_after, turn)
        self.options = options or LockOptions()
        self.client = client if not isinstance(client, str) else _slack.make_async_client(client, base_url=base_url)
        self.channel_ref = channel
        self.channel = ""
        self.handler = handler
        self.is_async = inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
            type(handler).__call__)
        self.app_token = app_token
        self.base_url = base_url
        self.worker_id = worker_id
        self.filter = make_filter(filter)
        self.heartbeat_interval = heartbeat_interval or self.options.lease_seconds / 3
        self.concurrency = concurrency
        self.drain_timeout = drain_timeout
        self.max_jobs = max_jobs
        self.scan_limit = scan_limit
        self.watcher_options = dict(watcher_options or {})
        self.recheck_after = recheck_after
        self.share_poll = share_poll
        self.stats = WorkerStats()
        self.watcher: Any = None   # a Watcher, or a SharedPoll subscription
        self.lock: Any = None
        self.view = ChannelView(self.options, self.filter, self._enqueue, ignore_self=ignore_self)
        self.view.on_locker = self._other_locker
        self.queue = JobQueue(self.view, stagger=stagger, turn=turn, poll_interval=self._poll_interval,
                              on_queued=self._count_queued)
        self.view.requeue = self.queue.requeue
        self._attempts: collections.Counter[str] = collections.Counter()
        self._handlers: dict[str, asyncio.Future] = {}
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scan_task: asyncio.Task | None = None
        self._busy: set[asyncio.Task | None] = set()
        self._rescan = False
        self.peers: Peers | None = None

    def __repr__(self) -> str:
        return f"Worker(channel={self.channel_ref!r}, worker_id={self.worker_id!r}, stats={self.stats!r})"

    # -- running ----------------------------------------------------------------------------------
    def serve(self) -> WorkerStats:
        """Run until SIGTERM / SIGINT (or ``max_jobs``); the blocking entry point for scripts."""
        return asyncio.run(self.run(handle_signals=True))

    def stop(self) -> None:
        """Stop taking jobs and shut down (see the module docstring). Safe from any thread or a signal."""
        loop, event = self._loop, self._stop
        if loop is None or event is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
            return
        with contextlib.suppress(RuntimeError):   # the loop closed meanwhile: nothing to stop
            loop.call_soon_threadsafe(event.set)

    async def run(self, *, handle_signals: bool = False) -> WorkerStats:
        """Work until ``stop()``; returns the stats. Errors that make work impossible are raised."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.queue.open()
        # a loser only needs to know "held": no pins.list / users.info to name the holder
        self.lock = AsyncLockClient(self.client, self.options.with_(lookup_holder=False), worker_id=self.worker_id)
        self.worker_id = self.worker_id or getattr(self.lock, "worker_id", None) or "worker"
        self.view.me = (await self.lock.whoami()).user_id
        self.channel = self.view.channel = (await self.lock.resolve_channel(self.channel_ref)).id
        opts = {"base_url": self.base_url, **self.watcher_options}
        self.peers = Peers(self.client, self.channel, self.view.peer, self.on_event)
        self.watcher = SharedPoll.watcher(self.client, self.channel, self.app_token, opts, share=self.share_poll)
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    self._loop.add_signal_handler(sig, self.stop)
        runners = [asyncio.create_task(self._runner(), name=f"slackmq-worker-{i}")
                   for i in range(self.concurrency)]
        pump = asyncio.create_task(self._pump(), name="slackmq-worker-events")
        stopper = asyncio.create_task(self._stop.wait())
        try:
            done, _ = await asyncio.wait({pump, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if pump in done and not stopper.done():
                pump.result()   # the watcher failed for good: raise its error
        finally:
            if handle_signals:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                        self._loop.remove_signal_handler(sig)
            await self._shutdown(runners, pump, stopper)
        return self.stats

    async def _shutdown(self, runners: list[asyncio.Task], pump: asyncio.Task, stopper: asyncio.Task) -> None:
        self._stop.set()
        self.queue.closed = True
        stopper.cancel()
        if self.peers is not None:
            self.peers.leave()
        for task in (pump, self._scan_task):
            if task is not None:
                task.cancel()
        busy = [r for r in runners if r in self._busy]
        for r in runners:
            if r not in busy:
                r.cancel()
        if busy:
            _, pending = await asyncio.wait(busy, timeout=self.drain_timeout)
            for fut in list(self._handlers.values()):
                fut.cancel()     # the runner sees it cancelled and releases the lock
            if pending:
                await asyncio.wait(pending, timeout=max(30.0, self.drain_timeout))
        await asyncio.gather(*runners, pump, return_exceptions=True)
        if self.watcher is not None:
            await self.watcher.close()

    # -- events and knowledge -----------------------------------------------------------------------
    async def _pump(self) -> None:
        assert self.watcher is not None
        async for event in self.watcher:
            self.on_event(event)
            if self.app_token and event.kind != "resync" and self.peers is not None:
                self.peers.share(event)   # Slack gave it to our connection only

    def on_event(self, ev: ChannelEvent) -> None:
        """Fold one watcher event into what this worker knows (public for custom loops)."""
        if ev.kind == "resync" and ev.channel == self.channel:
            self._schedule_scan()
        else:
            self.view.on_event(ev)

    def _enqueue(self, ts: str) -> None:
        self.queue.put(ts)

    def _count_queued(self) -> None:
        self.stats.queued += 1

    def _poll_interval(self) -> float | None:
        return self.watcher.poll_interval if self.watcher is not None else None

    def _other_locker(self, user: str) -> None:
        """Another user locks in our channel: ``single_user`` is wrong here, so stop trusting it."""
        if self.lock is not None and self.lock.options.single_user:
            log.warning("worker %s: user %s also locks messages in %s, so single_user does not hold: "
                        "every acquire is checked from now on", self.worker_id, user, self.channel)
            self.lock.ctx.options = self.lock.options.with_(single_user=False)

    def contended(self, ts: str) -> bool:
        """True when this worker already knows another holder or a finish mark on ``ts``."""
        return self.view.contended(ts)

    # -- scanning -------------------------------------------------------------------------------------
    def _schedule_scan(self) -> None:
        if self._scan_task is not None and not self._scan_task.done():
            self._rescan = True
            return
        self._scan_task = asyncio.create_task(self._scan(), name="slackmq-worker-scan")

    async def _scan(self) -> None:
        for attempt in range(_MAX_ATTEMPTS):
            self._rescan = False
            try:
                await self._scan_once()
            except SlackMQError as exc:
                self.stats.errors += 1
                log.warning("worker %s: scanning %s failed (%s); attempt %d of %d", self.worker_id,
                            self.channel, exc, attempt + 1, _MAX_ATTEMPTS)
                await asyncio.sleep(min(30.0, 2.0 ** attempt))
                continue
            if not self._rescan:
                return

    async def _scan_once(self) -> None:
        self.stats.scans += 1
        cursor, seen = None, 0
        while seen < self.scan_limit:
            page = await self.lock.history(self.channel, limit=min(100, self.scan_limit - seen), cursor=cursor)
            for lock in page.messages:
                seen += 1
                self.view.scanned(lock)
            cursor = page.next_cursor
            if not cursor or not page.messages:
                break

    # -- jobs -------------------------------------------------------------------------------------------
    async def _runner(self) -> None:
        assert self._stop is not None
        task = asyncio.current_task()
        while not self._stop.is_set():
            ts, waited, ahead = await self.queue.get()
            if self._stop.is_set():
                return
            if self.contended(ts) or (waited > self.recheck_after and not await self._still_free(ts)):
                self.stats.skipped += 1
                continue
            self.view.missed(ahead)
            self._busy.add(task)
            try:
                await self._process(ts)
            finally:
                self._busy.discard(task)
            if self.max_jobs is not None and self.stats.acquired >= self.max_jobs:
                self.stop()

    async def _still_free(self, ts: str) -> bool:
        """One ``reactions.get`` (Tier 3) of a message that waited long: False (and remembered) when it is
        done, failed or pinned. Every strategy starts with the pin, so a pin means held; a lock reaction
        with no pin (mid-acquire, mid-release, or a released leftover) is left to ``acquire``."""
        try:
            response = await self.client.api_call("reactions.get", http_verb="GET",
                                                  params={"channel": self.channel, "timestamp": ts, "full": True})
        except Exception as exc:  # noqa: BLE001 - a failed read: let acquire decide
            log.info("worker %s: re-reading %s failed (%s)", self.worker_id, ts, _slack.translate(exc, "reactions.get"))
            return True
        msg = _slack.response_parts(response)[0].get("message") or {}
        return self.view.recheck(ts, msg)

    async def _process(self, ts: str) -> None:
        assert self._stop is not None
        self.view.mine.add(ts)
        self.peers.tell(ts, "taken")
        told = "free"
        try:
            result = await self._lock_call("acquire", ts)
            if result is None or result.outcome is Outcome.ERROR:
                self._retry_later(ts, result.error if result else "error")
                return
            if result.outcome is Outcome.DONE:
                self.stats.lost += 1
                self.view.finish(ts)
                return
            if result.outcome is not Outcome.ACQUIRED:
                self.stats.lost += 1
                told = "held"
                self.view.held_elsewhere(ts, result.holder.user_id if result.holder else None)
                return
            self.stats.acquired += 1
            if self._stop.is_set():    # stopped while acquiring: hand it straight back
                if await self._lock_call("release", ts) is not None:
                    self.stats.released += 1
                return
            await self._run_job(ts)
        finally:
            self.view.mine.discard(ts)
            self.peers.tell(ts, "finished" if ts in self.view.finished else told)

    async def _run_job(self, ts: str) -> None:
        msg = self.view.msgs.get(ts, {"ts": ts})
        job = Job(self.channel, ts, msg.get("text") or "", msg.get("user"), msg, str(self.worker_id))
        fut = self._start_handler(job)
        self._handlers[ts] = fut
        lost = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat(ts, lost)) if self.options.uses_claim_note else None
        try:
            await asyncio.wait({fut})
        finally:
            self._handlers.pop(ts, None)
            if beat is not None:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await beat
        if lost.is_set():
            self.stats.lost_leases += 1
            log.warning("worker %s: lost the lock on %s while the handler ran: result not reported",
                        self.worker_id, ts)
            return
        if fut.cancelled():
            if await self._lock_call("release", ts) is not None:
                self.stats.released += 1
            return
        exc = fut.exception()
        if exc is None:
            if await self._lock_call("complete", ts) is not None:
                self.stats.completed += 1
                self.view.finish(ts)
            return
        reason = f"{type(exc).__name__}: {exc}"[:300]
        log.info("worker %s: handler failed on %s: %s", self.worker_id, ts, reason)
        if await self._lock_call("fail", ts, reason=reason) is not None:
            self.stats.failed += 1
            self.view.finish(ts)

    def _start_handler(self, job: Job) -> asyncio.Future:
        if self.is_async:
            return asyncio.ensure_future(self.handler(job))
        return in_daemon_thread(self.handler, job, name=f"slackmq-job-{job.ts}")

    async def _heartbeat(self, ts: str, lost: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            try:
                await self.lock.heartbeat(self.channel, ts)
                self.stats.heartbeats += 1
            except HolderLost:
                lost.set()
                return
            except SlackMQError as exc:   # keep trying: the lease outlives a few missed beats
                self.stats.errors += 1
                log.warning("worker %s: heartbeat on %s failed: %s", self.worker_id, ts, exc)

    async def _lock_call(self, op: str, ts: str, **kwargs: Any) -> Any:
        try:
            result = await getattr(self.lock, op)(self.channel, ts, **kwargs)
        except SlackMQError as exc:
            self.stats.errors += 1
            log.warning("worker %s: %s %s failed: %s", self.worker_id, op, ts, exc)
            return None
        if getattr(result, "outcome", None) is Outcome.ERROR:
            self.stats.errors += 1
            log.warning("worker %s: %s %s: %s", self.worker_id, op, ts, result.error)
            return None if op != "acquire" else result
        return result

    def _retry_later(self, ts: str, why: str) -> None:
        self._attempts[ts] += 1
        if self._attempts[ts] >= _MAX_ATTEMPTS or self._loop is None:
            log.warning("worker %s: giving up on %s after %d attempts (%s); the next scan retries it",
                        self.worker_id, ts, self._attempts[ts], why)
            return
        self.queue.put_later(ts, 2.0 ** self._attempts[ts])
