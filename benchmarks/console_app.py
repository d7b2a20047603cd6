"""The child processes of ``benchmarks/console.py``: the console and the DataTable baseline, timed
inside the app (see that file's docstring for what each figure means)."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time
from pathlib import Path

JOBS, PUBLISHER, CONSOLE_USER = "C0JOBS0001", "U0PUBLSH01", "U0CONSOL01"
PROBE = ("U0PROBE001", "xoxb-emu-probe")
SIZE = (160, 45)


class Frames:
    """Wraps ``App._display`` (called once per composed frame, after the compositor rendered it):
    each frame checks the pending predicates and stamps the first one that holds."""

    def __init__(self, app) -> None:
        self.waits: list[tuple[callable, asyncio.Future]] = []
        original = app._display

        def display(screen, renderable):
            original(screen, renderable)
            if renderable is None or not self.waits:
                return
            now = time.perf_counter()
            for item in list(self.waits):
                pred, fut = item
                if not fut.done() and pred():
                    fut.set_result(now)
                    self.waits.remove(item)

        app._display = display

    async def until(self, pred, timeout: float) -> float | None:
        """perf_counter of the first frame shown while ``pred()`` holds (None on timeout)."""
        fut = asyncio.get_running_loop().create_future()
        item = (pred, fut)
        self.waits.append(item)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            if item in self.waits:
                self.waits.remove(item)
            return None


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    v = sorted(values)
    return {"n": len(v), "median": statistics.median(v), "p90": v[min(len(v) - 1,
            round(0.9 * (len(v) - 1)))], "max": v[-1]}


async def press_keys(app, frames: Frames, n: int, target, step_ok) -> dict:
    """``n`` Key events (down/up alternately), each timed to the frame that shows its effect."""
    from textual import events

    times, missed = [], 0
    for i in range(n):
        key = "down" if i % 2 == 0 else "up"
        expect = target(key)
        if expect is None:
            missed += 1
            continue
        event = events.Key(key, None)
        event.set_sender(app)
        t0 = time.perf_counter()
        app._driver.send_message(event)
        t1 = await frames.until(lambda expect=expect: step_ok(expect), 2.0)
        if t1 is None:
            missed += 1
        else:
            times.append(t1 - t0)
        await asyncio.sleep(0.25)
    return {**summary(times), "missed": missed}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def console_child(a: argparse.Namespace) -> dict:
    from slack_sdk.web.async_client import AsyncWebClient

    from slackmq_core._tokens import Secret
    from slackmq_core.config import Profile
    from slackmq_core.emulator import EmulatorControl
    from slackmq_tui.app import make_app

    control = EmulatorControl(a.root)
    profile = Profile(name="bench", api_url=a.api, channels=("jobs",),
                      bot_token=Secret("xoxb-emu-console"), app_token=Secret("xapp-emu-console"))
    out: dict = {}
    first = await asyncio.to_thread(control.stats)
    t_start = time.perf_counter()
    app = make_app(profile, audit_path=Path(a.tmp, "audit.jsonl"))
    frames = Frames(app)
    slept: list[float] = []                     # the core's Retry-After waits (429s waited out)
    client = app.services.client

    def sleep(seconds: float):
        slept.append(seconds)
        return asyncio.sleep(seconds)

    client._sleep = sleep
    async with app.run_test(size=SIZE, headless=True) as pilot:
        def stream():
            return app.screen.query_one("#stream")

        def has_rows() -> bool:
            try:
                return bool(stream().rows)
            except Exception:  # noqa: BLE001 - the screen is not composed yet
                return False

        t = await frames.until(has_rows, 60)
        out["first_paint"] = None if t is None else t - t_start
        screen = app.screen
        ready_by = time.monotonic() + 30
        while time.monotonic() < ready_by and not (screen.watch_status and
                                                   screen.watch_status.mode == "live"
                                                   and screen.idle):
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)                # start-up calls (summary, locks) settle
        out["mode"] = screen.watch_status.mode if screen.watch_status else None

        # steady state: calls per minute by the console's tokens (bot user + Socket Mode app)
        before = await asyncio.to_thread(control.stats)
        t0 = time.monotonic()
        await asyncio.sleep(a.window)
        after = await asyncio.to_thread(control.stats)
        minutes = (time.monotonic() - t0) / 60

        def mine(st: dict) -> dict:
            calls: dict[str, int] = {}
            for who in (CONSOLE_USER, "A0CONSOL01"):
                for m, k in st["calls_by_user"].get(who, {}).items():
                    calls[m] = calls.get(m, 0) + k
            return calls

        f0 = mine(first)
        out["start_calls"] = {m: k - f0.get(m, 0) for m, k in mine(before).items()
                              if k - f0.get(m, 0)}
        b, e = mine(before), mine(after)
        out["calls_per_min"] = {m: round((e[m] - b.get(m, 0)) / minutes, 1) for m in e
                                if e[m] - b.get(m, 0)}
        out["ratelimited_per_min"] = round((after["ratelimited"] - before["ratelimited"])
                                           / minutes, 1)
        out["retry_after_waits"] = {"n": len(slept), "seconds": round(sum(slept), 1)}
        out["dirty_backlog"] = len(screen._dirty)

        # event -> row: post a message, wait for its row, pin it through the Web API
        probe = AsyncWebClient(PROBE[1], base_url=a.api, timeout=10)
        lat, missed, positions = [], 0, []
        for i in range(a.pins):
            ts = await asyncio.to_thread(control.post, JOBS, PUBLISHER, f"probe {i}")
            if await frames.until(lambda ts=ts: any(r.ts == ts for r in stream().rows), 10) is None:
                missed += 1
                continue

            def locked(ts=ts) -> bool:
                for n, r in enumerate(stream().rows):
                    if r.ts == ts:
                        if r.state.value != "pending":
                            positions.append(n)
                            return True
                        return False
                return False

            t0 = time.perf_counter()
            task = asyncio.ensure_future(frames.until(locked, a.pin_timeout))
            await probe.pins_add(channel=JOBS, timestamp=ts)
            t1 = await task
            if t1 is None:
                missed += 1
            else:
                lat.append(t1 - t0)
            await asyncio.sleep(0.5)
        out["event_row"] = {**summary(lat), "missed": missed,
                            "max_row_index": max(positions) if positions else None}

        # keypress: the cursor moves one row
        st = stream()
        st.focus()
        await pilot.pause()

        def target(key: str):
            rows, cur = st.rows, st.cursor
            j = cur + (1 if key == "down" else -1)
            return rows[j].ts if 0 <= j < len(rows) else None

        out["key"] = await press_keys(app, frames, a.keys, target,
                                      lambda ts: st._cursor_ts == ts)
        out["rows_loaded"] = len(st.rows)
        out["retry_after_waits_total"] = {"n": len(slept), "seconds": round(sum(slept), 1)}
        out["dirty_backlog_end"] = len(screen._dirty)
    out["rss_mb"] = rss_mb()
    return out


async def baseline_child(a: argparse.Namespace) -> dict:
    from textual.app import App
    from textual.widgets import DataTable

    rows = [tuple(r) for r in json.loads(Path(a.rows).read_text())]

    class Baseline(App[None]):
        def compose(self):
            yield DataTable(id="table")

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("Time", "Author", "Message", "State", "Holder", "Age")
            table.add_rows(rows)
            table.focus()

    out: dict = {}
    t_start = time.perf_counter()
    app = Baseline()
    frames = Frames(app)
    async with app.run_test(size=SIZE, headless=True) as pilot:
        def shown() -> bool:
            try:
                return app.query_one(DataTable).row_count > 0
            except Exception:  # noqa: BLE001 - not mounted yet
                return False

        t = await frames.until(shown, 120)
        out["first_paint"] = None if t is None else t - t_start
        await pilot.pause()
        table = app.query_one(DataTable)

        def target(key: str):
            j = table.cursor_row + (1 if key == "down" else -1)
            return j if 0 <= j < table.row_count else None

        out["key"] = await press_keys(app, frames, a.keys, target,
                                      lambda j: table.cursor_row == j)
    out["rss_mb"] = rss_mb()
    return out
