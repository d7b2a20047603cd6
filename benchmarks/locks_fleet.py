"""The two fleets benchmarks/locks.py drives: slackmq_core Workers (asyncio) and slackmq 0.1.2 (threads).

Both get the same feed — a publisher posting jobs into #jobs through ``/_emulator/post`` at a steady
pace — and both report into one :class:`Registry` of "processing" intervals. The core's workers find
the jobs themselves (Socket Mode or polling, paid for in API calls); 0.1.2 has no runtime, so each of
its workers is handed every job for free (as the seed README's ``@listen_to`` bot got every message)
and calls ``ack()``; on True it processes the job, then ``unack()``.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slackmq_core import LockOptions, Outcome, Worker

__all__ = ["LEGACY", "Registry", "WorkerSpec", "run_core", "run_legacy"]

LEGACY = "0.1.2"
JOBS = "C0JOBS0001"
DONE = "white_check_mark"


@dataclass(frozen=True)
class WorkerSpec:
    wid: str
    user: str
    token: str
    app: str | None            # Socket Mode app token, or None: the worker polls
    poll_share: float = 0.5    # the part of each tier a polling worker's watcher takes


class Registry:
    """Who processed which job when (``time.perf_counter``), shared by every worker of a fleet."""

    def __init__(self) -> None:
        self.intervals: dict[str, list[list[Any]]] = collections.defaultdict(list)
        self._lock = threading.Lock()

    def start(self, ts: str, wid: str) -> list[Any]:
        rec = [wid, time.perf_counter(), None]
        with self._lock:
            self.intervals[ts].append(rec)
        return rec

    @staticmethod
    def end(rec: list[Any]) -> None:
        rec[2] = time.perf_counter()

    def processed(self) -> set[str]:
        with self._lock:
            return {ts for ts, recs in self.intervals.items() if any(r[2] is not None for r in recs)}

    def judge(self) -> tuple[int, int]:
        """(jobs two workers processed at the same time, jobs processed again later)."""
        overlaps = dups = 0
        now = time.perf_counter()
        for recs in self.intervals.values():
            spans = sorted((r[1], r[2] if r[2] is not None else now) for r in recs)
            if len(spans) < 2:
                continue
            reach, hit = spans[0][1], False
            for start, end in spans[1:]:
                hit = hit or start < reach
                reach = max(reach, end)
            overlaps += hit
            dups += not hit
        return overlaps, dups


async def until(predicate: Callable[[], Any], timeout: float, poll: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(poll)
    return True


async def publish(emu: Any, messages: int, args: Any, on_post: Callable[[str], None] | None = None) -> list[str]:
    """Post ``messages`` jobs at ``args.rate`` per Slack minute (scaled to real time)."""
    gap = 60.0 / (args.rate * args.time_scale)
    start = time.monotonic()
    feed = []
    for i in range(messages):
        delay = start + i * gap - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        ts = await emu.post_job(f"job {i + 1}")
        feed.append(ts)
        if on_post is not None:
            on_post(ts)
    return feed


def _finish(out: Any, reg: Registry, feed: list[str], stats: dict, started: float) -> None:
    out.feed = feed
    out.messages = len(feed)
    done = reg.processed()
    out.processed = len(done & set(feed))
    out.lost = len(feed) - out.processed
    out.overlaps, out.dups = reg.judge()
    out.calls = collections.Counter(stats.get("calls", {}))
    out.ratelimited = stats.get("ratelimited", 0)
    out.faults = stats.get("faults", 0)
    out.seconds = time.monotonic() - started


# -- slackmq_core ---------------------------------------------------------------------------------------
#: the lock operation a worker task is in (None: finding jobs — polls, scans, re-checks)
_OP: contextvars.ContextVar[str | None] = contextvars.ContextVar("bench_op", default=None)


class TimedWorker(Worker):
    """A Worker that times its winning acquires and its completes (for the latency columns), and sorts
    every Web API call its client sends (retries included) into ``parts``:

    * ``lock``   sent by acquire / release / complete / fail: the marks placed and removed, the checks,
                 the losers' attempts and the undo of a lost race
    * ``record`` the done / failed reaction and the failure note: the job's result, kept on the message
    * ``find``   everything else: history polls and scans, pins.list, re-checks of queued jobs
    """

    def __init__(self, *args: Any, parts: collections.Counter | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acks: list[float] = []
        self.releases: list[float] = []
        self.parts = parts if parts is not None else collections.Counter()
        sent = self.client.api_call
        record = {self.options.done_reaction, self.options.failed_reaction}

        async def counted(api_method: str, *a: Any, **kw: Any) -> Any:
            op = _OP.get()
            args = kw.get("json") or kw.get("params") or kw.get("data") or {}
            if op in ("complete", "fail") and (
                    (api_method == "reactions.add" and args.get("name") in record)
                    or (api_method == "chat.postMessage" and op == "fail")):
                self.parts["record"] += 1
            else:
                self.parts["lock" if op else "find"] += 1
            return await sent(api_method, *a, **kw)

        self.client.api_call = counted   # slack_sdk's methods all go through api_call

    async def _lock_call(self, op: str, ts: str, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        token = _OP.set(op)
        try:
            res = await super()._lock_call(op, ts, **kwargs)
        finally:
            _OP.reset(token)
        took = time.perf_counter() - t0
        if res is not None and op == "acquire" and res.outcome is Outcome.ACQUIRED:
            self.acks.append(took)
        elif res is not None and op in ("complete", "release"):
            self.releases.append(took)
        return res


def _handler(reg: Registry, wid: str, seconds: float) -> Callable[[Any], Any]:
    async def handle(job: Any) -> None:
        rec = reg.start(job.ts, wid)
        try:
            await asyncio.sleep(seconds)
        finally:
            reg.end(rec)
    return handle


async def run_core(emu: Any, strategy: Any, specs: list[WorkerSpec], messages: int, args: Any, out: Any,
                   faults: dict) -> None:
    reg = Registry()
    # one user for the whole fleet: its lock reaction / star excludes by itself (no check read)
    options = LockOptions(strategy=strategy, single_user=len({s.user for s in specs}) == 1)
    window = 60.0 / args.time_scale
    workers = []
    for s in specs:
        wopts = {"ping_interval": 5.0} if s.app else {"window": window, "share": s.poll_share}
        workers.append(TimedWorker(s.token, JOBS, _handler(reg, s.wid, args.work / args.time_scale), options,
                                   app_token=s.app, base_url=emu.base_url, worker_id=s.wid,
                                   watcher_options=wopts, recheck_after=30.0 / args.time_scale,
                                   turn=(getattr(args, "turn", 1.0) / args.time_scale if s.app else None),
                                   parts=out.parts))
    tasks = [asyncio.create_task(w.run(), name=f"bench-{w.worker_id}") for w in workers]
    feed: list[str] = []
    started = time.monotonic()
    try:
        ready = await until(lambda: all(w.stats.scans for w in workers) or any(t.done() for t in tasks), 60)
        for t in tasks:
            if t.done():
                t.result()   # a worker that could not start: its error
        if not ready:
            raise RuntimeError("workers did not start within 60 s")
        await emu.control("POST", "faults", {**faults, "race_window_ms": args.race_window_ms} if faults else {})
        await emu.control("POST", "stats/reset", {})
        out.parts.clear()
        started = time.monotonic()
        feed = await publish(emu, messages, args)
        jobs = set(feed)
        await until(lambda: jobs <= reg.processed(), args.grace)
        deadline = time.monotonic() + args.grace / 2
        while time.monotonic() < deadline:   # every job marked done (a complete may still be retrying)
            reactions = (await emu.control("GET", "snapshot"))["channels"][JOBS]["reactions"]
            if all(DONE in reactions.get(ts, {}) for ts in feed):
                break
            await asyncio.sleep(0.5)
    finally:
        for w in workers:
            w.stop()
        _, pending = await asyncio.wait(tasks, timeout=60)
        for t in pending:
            t.cancel()
    _finish(out, reg, feed, await emu.control("GET", "stats"), started)
    for w in workers:
        out.acks += w.acks
        out.releases += w.releases
    lost = sum(w.stats.lost for w in workers)
    errors = sum(w.stats.errors for w in workers)
    out.note = f"acquires lost to another holder {lost}, worker errors {errors}"


# -- slackmq 0.1.2 --------------------------------------------------------------------------------------
def _legacy_worker(legacy: Any, spec: WorkerSpec, jobs: queue.Queue, reg: Registry, work: float,
                   acks: list[float], releases: list[float], failures: collections.Counter) -> None:
    while True:
        ts = jobs.get()
        if ts is None:
            return
        lock = legacy.slackmq(spec.token, JOBS, ts)
        t0 = time.perf_counter()
        if not lock.ack():
            continue
        acks.append(time.perf_counter() - t0)
        rec = reg.start(ts, spec.wid)
        time.sleep(work)
        reg.end(rec)
        t0 = time.perf_counter()
        if lock.unack() is False:
            failures["unack"] += 1
        releases.append(time.perf_counter() - t0)


async def run_legacy(emu: Any, _strategy: Any, specs: list[WorkerSpec], messages: int, args: Any, out: Any,
                     faults: dict) -> None:
    """0.1.2 with only ``slacker.get_api_url`` replaced; its ``sleep`` (3 s per unack) runs in Slack time."""
    import slacker
    import slackmq as legacy

    reg = Registry()
    slept = [0.0]

    def scaled_sleep(seconds: float) -> None:
        slept[0] += seconds
        time.sleep(seconds / args.time_scale)

    saved = slacker.get_api_url, legacy.sleep
    slacker.get_api_url = lambda method: f"{emu.base_url}{method}"
    legacy.sleep = scaled_sleep
    queues: list[queue.Queue] = [queue.Queue() for _ in specs]
    failures: collections.Counter[str] = collections.Counter()
    threads = [threading.Thread(target=_legacy_worker, daemon=True, name=f"legacy-{s.wid}",
                                args=(legacy, s, q, reg, args.work / args.time_scale, out.acks, out.releases,
                                      failures))
               for s, q in zip(specs, queues, strict=True)]
    try:
        await emu.control("POST", "faults", {**faults, "race_window_ms": args.race_window_ms} if faults else {})
        await emu.control("POST", "stats/reset", {})
        started = time.monotonic()
        for t in threads:
            t.start()
        feed = await publish(emu, messages, args, on_post=lambda ts: [q.put(ts) for q in queues])
        for q in queues:
            q.put(None)
        deadline = time.monotonic() + args.grace
        await until(lambda: not any(t.is_alive() for t in threads) or time.monotonic() > deadline, args.grace)
    finally:
        slacker.get_api_url, legacy.sleep = saved
    _finish(out, reg, feed, await emu.control("GET", "stats"), started)
    unacks = len(out.releases)
    out.note = (f"unack() sleeps 3 s each: {slept[0]:.0f} Slack s in all, run here at 1/{args.time_scale:g} "
                f"(on Slack: +{slept[0] / max(1, unacks):.0f} s per job, serial per worker); "
                f"unack() failed {failures['unack']} times")
