"""The worker runtime against the emulator: exactly-once across workers, heartbeats, failures, stop,
and contention-awareness measured in Slack calls (GET /_emulator/stats)."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import threading

import pytest
from watch_helpers import ALPHA, JOBS, PUBLISHER, control, wait_for

from slackmq_core import (
    AsyncLockClient,
    InputError,
    LockOptions,
    LockState,
    Outcome,
    Worker,
    make_async_client,
)
from slackmq_core.emulator.workspace import default_workspace

pytestmark = pytest.mark.emulator(rate_limits=False)


def worker(emu, handler, token="xoxb-emu-alpha", app="xapp-emu-alpha", **kwargs) -> Worker:
    kwargs.setdefault("watcher_options", {"ping_interval": 0.2} if app else {"window": 1.0})
    return Worker(token, "jobs", handler, kwargs.pop("options", LockOptions()), app_token=app,
                  base_url=emu.base_url, **kwargs)


def lock_client(emu, token="xoxb-emu-alpha", **options) -> AsyncLockClient:
    return AsyncLockClient(make_async_client(token, base_url=emu.base_url), LockOptions(**options))


async def state_of(emu, ts: str):
    return await lock_client(emu, "xoxb-emu-console").inspect(JOBS, ts)


async def stopped(w: Worker, task: asyncio.Task):
    w.stop()
    return await asyncio.wait_for(task, 30)


async def test_each_message_is_handled_exactly_once_across_workers(emulator):
    before = [await control(emulator, "post", JOBS, PUBLISHER, f"old {i}") for i in range(6)]
    handled: collections.Counter[str] = collections.Counter()

    async def handle(job):
        handled[job.ts] += 1
        await asyncio.sleep(0)

    def handle_sync(job):
        handled[job.ts] += 1

    workers = [worker(emulator, handle, concurrency=2),                      # Socket Mode, alpha
               worker(emulator, handle_sync, token="xoxb-emu-bravo", app="xapp-emu-bravo"),
               worker(emulator, handle, app=None, concurrency=2)]            # polling, alpha
    tasks = [asyncio.create_task(w.run()) for w in workers]
    await wait_for(lambda: all(w.stats.scans for w in workers), what="start scans")
    after = [await control(emulator, "post", JOBS, PUBLISHER, f"new {i}") for i in range(6)]
    await wait_for(lambda: len(handled) == 12, timeout=30, what="12 jobs handled")
    await wait_for(lambda: sum(w.stats.completed for w in workers) == 12, what="12 completions")
    stats = [await stopped(w, t) for w, t in zip(workers, tasks, strict=True)]
    assert set(handled) == set(before + after) and set(handled.values()) == {1}
    assert sum(s.acquired for s in stats) == 12 and sum(s.errors for s in stats) == 0
    for ts in before + after:
        assert (await state_of(emulator, ts)).state is LockState.DONE


async def test_a_regex_filter_leaves_other_messages_alone(emulator):
    seen = []
    w = worker(emulator, lambda job: seen.append(job.text), filter=r"^hostname")
    task = asyncio.create_task(w.run())
    skip = await control(emulator, "post", JOBS, PUBLISHER, "say hello")
    take = await control(emulator, "post", JOBS, PUBLISHER, "hostname please")
    await wait_for(lambda: w.stats.completed == 1, what="the matching job")
    await stopped(w, task)
    assert seen == ["hostname please"]
    assert (await state_of(emulator, take)).state is LockState.DONE
    assert (await state_of(emulator, skip)).state is LockState.PENDING


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_crashing_handler_marks_the_message_failed_with_the_reason(emulator, kind):
    def boom(job):
        raise ValueError(f"cannot do {job.text}")

    async def aboom(job):
        boom(job)

    w = worker(emulator, boom if kind == "sync" else aboom)
    task = asyncio.create_task(w.run())
    ts = await control(emulator, "post", JOBS, PUBLISHER, "job 7")
    await wait_for(lambda: w.stats.failed == 1, what="a failed job")
    stats = await stopped(w, task)
    lock = await state_of(emulator, ts)
    assert lock.state is LockState.FAILED and not lock.holders
    assert "ValueError: cannot do job 7" in lock.failed_reason
    assert stats.completed == 0 and stats.acquired == 1


async def test_heartbeats_extend_the_claim_note_lease(emulator):
    release = asyncio.Event()

    async def slow(job):
        await release.wait()

    options = LockOptions(claim_note=True, lease_seconds=5.0)
    w = worker(emulator, slow, options=options, heartbeat_interval=0.1)
    task = asyncio.create_task(w.run())
    ts = await control(emulator, "post", JOBS, PUBLISHER, "long job")
    await wait_for(lambda: w.stats.acquired == 1, what="acquired")
    first = (await state_of(emulator, ts)).lease
    assert first is not None and first.worker_id == w.worker_id
    await wait_for(lambda: w.stats.heartbeats >= 2, what="two heartbeats")
    later = (await state_of(emulator, ts)).lease
    assert later.expires_at > first.expires_at and later.note_ts == first.note_ts
    release.set()
    await wait_for(lambda: w.stats.completed == 1, what="completed")
    await stopped(w, task)
    final = await state_of(emulator, ts)
    assert final.state is LockState.DONE and final.lease is None


async def test_stop_releases_the_lock_of_an_unfinished_handler(emulator):
    gate = threading.Event()
    started = threading.Event()

    def blocked(job):          # a sync handler: its thread cannot be killed, only abandoned
        started.set()
        gate.wait(30)

    w = worker(emulator, blocked, drain_timeout=0.1)
    task = asyncio.create_task(w.run())
    ts = await control(emulator, "post", JOBS, PUBLISHER, "interrupted job")
    await wait_for(started.is_set, what="handler started")
    assert ALPHA in {h.user_id for h in (await state_of(emulator, ts)).holders}
    stats = await stopped(w, task)
    gate.set()
    assert stats.released == 1 and stats.completed == 0
    lock = await state_of(emulator, ts)
    assert lock.state is LockState.PENDING and not lock.marks
    assert not (await control(emulator, "snapshot"))["channels"][JOBS]["pins"]


async def test_a_worker_spends_no_calls_on_a_message_it_saw_another_holder_take(emulator):
    gate = asyncio.Event()
    got = []

    async def handle(job):
        got.append(job.text)
        if job.text == "first":
            await gate.wait()

    w = worker(emulator, handle)                       # one job at a time
    task = asyncio.create_task(w.run())
    await wait_for(lambda: w.stats.scans, what="start scan")
    await control(emulator, "post", JOBS, PUBLISHER, "first")
    await wait_for(lambda: got == ["first"], what="first job running")
    second = await control(emulator, "post", JOBS, PUBLISHER, "second")
    bravo = lock_client(emulator, "xoxb-emu-bravo")
    assert (await bravo.acquire(JOBS, second)).outcome is Outcome.ACQUIRED
    await wait_for(lambda: w.contended(second), what="the worker seeing bravo's marks")
    await control(emulator, "reset_stats")
    gate.set()
    await wait_for(lambda: w.stats.completed == 1 and w.stats.skipped >= 1, what="skip of the held job")
    calls = (await control(emulator, "stats"))["calls_by_user"].get(ALPHA, {})
    assert calls.get("pins.add", 0) == 0            # no acquire attempt on the held message
    # bravo lets go without finishing it: the worker sees the pin go and takes the job after all
    assert (await bravo.release(JOBS, second)).outcome is Outcome.RELEASED
    await wait_for(lambda: got == ["first", "second"], what="the released job")
    await wait_for(lambda: w.stats.completed == 2, what="second completion")
    await stopped(w, task)


@pytest.mark.parametrize("app", ["xapp-emu-alpha", None], ids=["socket", "polling"])
async def test_a_message_locked_at_start_is_taken_once_its_holder_lets_go(emulator, app):
    ts = await control(emulator, "post", JOBS, PUBLISHER, "held by bravo")
    bravo = lock_client(emulator, "xoxb-emu-bravo")
    assert (await bravo.acquire(JOBS, ts)).outcome is Outcome.ACQUIRED
    handled = []
    w = worker(emulator, lambda job: handled.append(job.ts), app=app)
    task = asyncio.create_task(w.run())
    await wait_for(lambda: w.contended(ts), what="the start scan seeing bravo's lock")
    assert w.stats.acquired == 0 and w.stats.lost == 0       # no acquire attempt on it
    assert (await bravo.release(JOBS, ts)).outcome is Outcome.RELEASED
    await wait_for(lambda: w.stats.completed == 1, timeout=20, what="the released job")
    await stopped(w, task)
    assert handled == [ts] and (await state_of(emulator, ts)).state is LockState.DONE


@pytest.mark.emulator(rate_limits=False, socket_drop_rate=0.3, seed=7)
async def test_no_job_is_lost_or_repeated_when_sockets_keep_dropping(emulator):
    handled: collections.Counter[str] = collections.Counter()

    def handle(job):
        handled[job.ts] += 1

    workers = [worker(emulator, handle), worker(emulator, handle, token="xoxb-emu-bravo", app="xapp-emu-bravo")]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    await wait_for(lambda: all(w.stats.scans for w in workers), what="start scans")
    posted = [await control(emulator, "post", JOBS, PUBLISHER, f"job {i}") for i in range(10)]
    await wait_for(lambda: set(handled) == set(posted), timeout=60, what="every job handled")
    stats = [await stopped(w, t) for w, t in zip(workers, tasks, strict=True)]
    dropped = (await control(emulator, "stats"))["socket_mode"]["connections_dropped"]
    assert dropped >= 1 and sum(w.watcher.status.reconnects for w in workers) >= 1
    assert set(handled.values()) == {1} and sum(s.completed for s in stats) == 10


def _no_message_events():
    """alpha's app subscribed to pins and reactions only: messages reach it only through scans."""
    ws = default_workspace()
    apps = tuple(dataclasses.replace(a, events=("pin_added", "pin_removed")) if a.id == "A0ALPHA001" else a
                 for a in ws.apps)
    return dataclasses.replace(ws, apps=apps)


@pytest.mark.emulator(rate_limits=False, workspace=_no_message_events())
async def test_a_resync_after_a_dropped_socket_scans_for_missed_messages(emulator):
    handled = []
    w = worker(emulator, lambda job: handled.append(job.text))
    task = asyncio.create_task(w.run())
    await control(emulator, "post", JOBS, PUBLISHER, "before start")
    await wait_for(lambda: "before start" in handled, what="the start scan's job")
    await control(emulator, "post", JOBS, PUBLISHER, "missed while away")
    assert await control(emulator, "drop_sockets", "A0ALPHA001", "close") == 1
    await wait_for(lambda: "missed while away" in handled, timeout=20, what="the missed job")
    stats = await stopped(w, task)
    assert stats.scans >= 2 and handled.count("missed while away") == 1


def test_bad_worker_input_names_the_value(emulator):
    with pytest.raises(InputError, match="concurrency 0"):
        worker(emulator, print, concurrency=0)
    with pytest.raises(InputError, match=r"filter '\(' is not a valid regular expression"):
        worker(emulator, print, filter="(")
    with pytest.raises(InputError, match="handler 3 is not callable"):
        worker(emulator, 3)
