"""Contention-awareness of the worker runtime, counted in Slack calls (GET /_emulator/stats): a loser
spends one call and never looks the holder up; a polling worker waits its stagger before racing, so a
pin that shows up meanwhile costs it nothing, and a job nobody takes is still done after the wait."""

from __future__ import annotations

import asyncio

import pytest
from watch_helpers import ALPHA, BRAVO, JOBS, PUBLISHER, control, wait_for

from slackmq_core import InputError, LockOptions, Worker

pytestmark = pytest.mark.emulator(rate_limits=False)


def worker(emu, handler, app="xapp-emu-alpha", **kwargs) -> Worker:
    kwargs.setdefault("watcher_options", {"ping_interval": 0.2} if app else {"window": 1.0})
    return Worker("xoxb-emu-alpha", "jobs", handler, LockOptions(), app_token=app, base_url=emu.base_url,
                  **kwargs)


async def stopped(w: Worker, task: asyncio.Task):
    w.stop()
    return await asyncio.wait_for(task, 30)


async def test_a_loser_spends_one_pins_add_and_does_not_look_up_the_holder(emulator):
    gate, seen = asyncio.Event(), []

    async def handle(job):
        seen.append(job.ts)
        if len(seen) == 1:
            await gate.wait()

    w = worker(emulator, handle)
    task = asyncio.create_task(w.run())
    await wait_for(lambda: w.stats.scans, what="the start scan")
    first = await control(emulator, "post", JOBS, PUBLISHER, "job 1")
    await wait_for(lambda: seen, what="job 1 running")
    second = await control(emulator, "post", JOBS, PUBLISHER, "job 2")
    await wait_for(lambda: w.stats.queued >= 2, what="job 2 queued")
    # bravo pins job 2 without an event (a seed): the worker cannot know, so it will race and lose
    await control(emulator, "seed", pins=[{"channel": JOBS, "ts": second, "user": BRAVO}])
    await control(emulator, "reset_stats")
    gate.set()
    await wait_for(lambda: w.stats.lost == 1 and w.stats.completed == 1, what="job 2 lost, job 1 done")
    await stopped(w, task)
    calls = (await control(emulator, "stats"))["calls_by_user"][ALPHA]
    assert seen == [first]
    assert calls.get("pins.add") == 1                     # job 2: one already_pinned, nothing more
    assert "pins.list" not in calls and "users.info" not in calls


async def test_a_polling_worker_skips_a_job_taken_during_its_stagger_and_does_an_untaken_one(emulator):
    handled = []
    w = worker(emulator, lambda job: handled.append(job.ts), app=None, stagger=1.0)
    task = asyncio.create_task(w.run())
    await wait_for(lambda: w.stats.scans, what="the start scan")
    taken = await control(emulator, "post", JOBS, PUBLISHER, "job taken elsewhere")
    await wait_for(lambda: w.stats.queued >= 1, what="the job seen in a poll")
    await control(emulator, "seed", pins=[{"channel": JOBS, "ts": taken, "user": BRAVO}])
    free = await control(emulator, "post", JOBS, PUBLISHER, "job nobody takes")
    await wait_for(lambda: w.stats.completed == 1 and w.stats.skipped >= 1, timeout=20,
                   what="the free job done after its stagger, the taken one skipped")
    stats = await stopped(w, task)
    assert handled == [free]
    assert stats.lost == 0          # no acquire was spent on the taken job


def test_a_negative_stagger_is_refused_naming_it():
    with pytest.raises(InputError, match="stagger -1"):
        Worker("xoxb-emu-alpha", "jobs", print, stagger=-1)


async def test_a_job_that_waited_in_the_queue_is_read_first_and_a_done_one_costs_one_read(emulator):
    gate, seen = asyncio.Event(), []

    async def handle(job):
        seen.append(job.ts)
        await gate.wait()

    w = worker(emulator, handle, recheck_after=0.0)    # every job counts as having waited
    task = asyncio.create_task(w.run())
    await wait_for(lambda: w.stats.scans, what="the start scan")
    first = await control(emulator, "post", JOBS, PUBLISHER, "job 1")
    await wait_for(lambda: seen, what="job 1 running")
    second = await control(emulator, "post", JOBS, PUBLISHER, "job 2")
    await wait_for(lambda: w.stats.queued >= 2, what="job 2 queued")
    # bravo finished job 2 meanwhile; its events went elsewhere (a seed fires none)
    await control(emulator, "seed", reactions=[{"channel": JOBS, "ts": second, "user": BRAVO,
                                                "name": "white_check_mark"}])
    await control(emulator, "reset_stats")
    gate.set()
    await wait_for(lambda: w.stats.completed == 1 and w.stats.skipped >= 1, what="job 1 done, job 2 skipped")
    stats = await stopped(w, task)
    calls = (await control(emulator, "stats"))["calls_by_user"][ALPHA]
    assert seen == [first] and stats.lost == 0
    assert "pins.add" not in calls and calls.get("reactions.get") == 1   # one read, no pin placed and undone
