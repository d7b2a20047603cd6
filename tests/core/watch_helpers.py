"""Helpers for the Watcher and Worker tests: bounded waits and event collection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from slackmq_core import ChannelEvent, Watcher

JOBS, BUILDS = "C0JOBS0001", "C0BUILDS01"
ALPHA, BRAVO, PUBLISHER = "U0ALPHA001", "U0BRAVO001", "U0PUBLSH01"


async def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it is truthy (bounded); return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


async def collect_until(watcher: Watcher, stop: Callable[[ChannelEvent], bool], timeout: float = 15.0,
                        limit: int = 500) -> list[ChannelEvent]:
    """Events from ``watcher`` up to and including the first one ``stop`` accepts (bounded)."""
    got: list[ChannelEvent] = []
    deadline = time.monotonic() + timeout
    while len(got) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        event = await watcher.next_event(left)
        if event is None:
            break
        got.append(event)
        if stop(event):
            return got
    raise AssertionError(f"no matching event within {timeout}s; got {[(e.kind, e.ts) for e in got]}")


def about(events: list[ChannelEvent], ts: str) -> list[tuple]:
    """(kind, user, reaction) of the events on message ``ts``, in order."""
    return [(e.kind, e.user, e.reaction) for e in events if e.ts == ts]


async def control(emu, name: str, *args: Any, **kwargs: Any) -> Any:
    """Call the threaded emulator's blocking control client without blocking this loop."""
    return await asyncio.to_thread(getattr(emu.control, name), *args, **kwargs)
