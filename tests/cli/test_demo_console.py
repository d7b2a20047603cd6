"""`slackmq demo` with the console: it opens on the demo workspace, shows the seeded history live,
and `q` ends everything the demo started (fleet, emulator, threads)."""

from __future__ import annotations

import asyncio
import threading
import time

from slackmq_core import LockState
from slackmq_core.demo import Demo, DemoConfig
from slackmq_tui.commands.demo import open_console

FAST = dict(seed=5, rate=2.0, time_scale=60.0, job_seconds=(0.2, 0.5), stale_ttl=60.0,
            lease_seconds=5.0, slow_seconds=30.0, crash_after=0.3)


async def until(pilot, what: str, predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.05)
    return value


def main_screen(app):
    from slackmq_tui.screens.main import MainScreen

    return next(s for s in app.screen_stack if isinstance(s, MainScreen))


async def test_console_opens_on_the_demo_and_q_tears_everything_down(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    before = set(threading.enumerate())
    demo = Demo(DemoConfig(**FAST)).start()   # blocks this loop a moment: nothing else runs on it yet
    app = open_console(demo)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = main_screen(app)
        await until(pilot, "the console to start", lambda: screen.ready)
        stale = demo.seeded["stale"][0]

        def seeded_rows():
            rows = {lock.ts: lock for lock in screen.stream.rows}
            return rows if stale in rows else None

        rows = await until(pilot, "the seeded history on screen", seeded_rows)
        assert rows[stale].state is LockState.STALE
        assert {rows[ts].state for ts in demo.seeded["done"]} == {LockState.DONE}, [
            (rows[ts].state, rows[ts].facts) for ts in demo.seeded["done"]]
        assert {rows[ts].state for ts in demo.seeded["failed"]} == {LockState.FAILED}
        assert screen.status.info.mode == "live"                      # Socket Mode, xapp-emu-console
        assert screen.status.info.identity == "@slackmq-console"
        # The fleet is at work: new jobs appear live and get taken.
        await until(pilot, "a job published by the demo to show up", lambda: any(
            lock.ts not in {t for ts in demo.seeded.values() for t in ts} for lock in screen.stream.rows))
        assert demo.running
        await pilot.press("q")
    # Quitting the console stopped the fleet and closed the emulator.
    assert not demo.running
    assert demo.summary().duplicates == {}
    deadline = time.monotonic() + 10
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not {t.name for t in set(threading.enumerate()) - before}
