"""Small pieces of the worker runtime: the Job a handler gets, the stats, filters, handler threads."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slackmq_core._exceptions import InputError

__all__ = ["Job", "WorkerStats", "in_daemon_thread", "make_filter"]


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
