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



async def job_2_pinned_by_bravo_while_job_1_runs(emulator, w, seen) -> tuple[str, str]:
    """Post job 1 (the worker starts it) and job 2 (queued), then pin job 2 as bravo through a
    seed, which fires no event; call counters start from zero after that."""
    await wait_for(lambda: w.stats.scans, what="the start scan")
    first = await control(emulator, "post", JOBS, PUBLISHER, "job 1")
    await wait_for(lambda: seen, what="job 1 running")
    second = await control(emulator, "post", JOBS, PUBLISHER, "job 2")
    await wait_for(lambda: w.stats.queued >= 2, what="job 2 queued")
    await control(emulator, "seed", pins=[{"channel": JOBS, "ts": second, "user": BRAVO}])
    await control(emulator, "reset_stats")
    return first, second

async def test_a_loser_spends_one_pins_add_and_does_not_look_up_the_holder(emulator):
    gate, seen = asyncio.Event(), []

    async def handle(job):
        seen.append(job.ts)
        if len(seen) == 1:
            await gate.wait()

    w = worker(emulator, handle)
    task = asyncio.create_task(w.run())
    # bravo pins job 2 without an event (a seed): the worker cannot know, so it will race and lose
    first, second = await job_2_pinned_by_bravo_while_job_1_runs(emulator, w, seen)
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


async def test_a_job_that_waited_and_is_pinned_elsewhere_costs_one_reactions_get_and_no_pins_list(emulator):
    gate, seen = asyncio.Event(), []

    async def handle(job):
        seen.append(job.ts)
        await gate.wait()

    w = worker(emulator, handle, recheck_after=0.0)
    task = asyncio.create_task(w.run())
    # bravo holds job 2 meanwhile; its pin event went elsewhere (a seed fires none)
    first, second = await job_2_pinned_by_bravo_while_job_1_runs(emulator, w, seen)
    gate.set()
    await wait_for(lambda: w.stats.completed == 1 and w.stats.skipped >= 1, what="job 1 done, job 2 skipped")
    stats = await stopped(w, task)
    calls = (await control(emulator, "stats"))["calls_by_user"][ALPHA]
    assert seen == [first] and stats.lost == 0
    assert calls.get("reactions.get") == 1 and "pins.add" not in calls   # job 2: one read, no pin tried
    assert "pins.list" not in calls and "users.info" not in calls
    assert w.contended(second)                      # remembered: queued again when bravo's pin goes


def test_a_recheck_read_with_only_a_lock_reaction_is_left_to_acquire():
    from slackmq_core._worker_view import ChannelView

    view = ChannelView(LockOptions(), lambda m: True, lambda ts: None)
    view.channel = JOBS
    assert view.recheck("1.1", {"reactions": [{"name": "lock", "users": [BRAVO]}]}) is True
    assert view.recheck("1.2", {"pinned_to": [JOBS]}) is False and view.contended("1.2")
    assert view.recheck("1.3", {"reactions": [{"name": "white_check_mark", "users": [BRAVO]}]}) is False
    assert "1.3" in view.finished


async def test_polling_workers_on_one_token_share_one_poller_and_both_see_every_job(emulator):
    handled = []
    polling = {"window": 1.0}
    ws = [worker(emulator, lambda job, i=i: handled.append((i, job.ts)), app=None, stagger=0.0,
                 watcher_options=polling) for i in range(2)]
    tasks = [asyncio.create_task(w.run()) for w in ws]
    await wait_for(lambda: all(w.stats.scans for w in ws), what="both start scans")
    assert ws[0].watcher.hub is ws[1].watcher.hub
    job = await control(emulator, "post", JOBS, PUBLISHER, "job 1")
    await wait_for(lambda: handled and all(w.stats.queued for w in ws), what="the job seen by both, done once")
    stats = [await stopped(w, t) for w, t in zip(ws, tasks, strict=True)]
    polls = ws[0].watcher.status.polls
    calls = (await control(emulator, "stats"))["calls_by_user"][ALPHA]
    # every history / pins.list call is the one poller's or a scan's (one history page + one pins.list
    # each): no second poller
    assert calls.get("conversations.history", 0) + calls.get("pins.list", 0) == polls + 2 * sum(
        s.scans for s in stats)
    assert [ts for _, ts in handled] == [job]


async def test_workers_of_one_process_on_one_token_do_not_race_each_other(emulator):
    handled = []
    ws = [worker(emulator, lambda job, i=i: handled.append((i, job.ts)), app=None, stagger=0.0)
          for i in range(3)]
    tasks = [asyncio.create_task(w.run()) for w in ws]
    await wait_for(lambda: all(w.stats.scans for w in ws), what="every start scan")
    await control(emulator, "reset_stats")
    jobs = [await control(emulator, "post", JOBS, PUBLISHER, f"job {i}") for i in range(3)]
    await wait_for(lambda: sorted(ts for _, ts in handled) == jobs and sum(w.stats.completed for w in ws) == 3,
                   what="each job done once")
    stats = [await stopped(w, t) for w, t in zip(ws, tasks, strict=True)]
    calls = (await control(emulator, "stats"))["calls_by_user"][ALPHA]
    assert sum(s.lost for s in stats) == 0
    assert calls.get("pins.add") == 3                # one per job: the peers skipped what one was taking


async def test_a_peer_that_lets_go_hands_the_job_back_to_the_others(emulator):
    from slackmq_core._jobs import Peers

    handled = []
    w = worker(emulator, lambda job: handled.append(job.ts), app=None, stagger=0.0)
    task = asyncio.create_task(w.run())
    await wait_for(lambda: w.stats.scans, what="the start scan")
    other = Peers(w.client, w.channel, lambda ts, what: None)     # a peer in this process
    try:
        other.tell("0", "noop")                                   # unknown words change nothing
        job = await control(emulator, "post", JOBS, PUBLISHER, "job 1")
        other.tell(job, "taken")
        await wait_for(lambda: w.stats.queued or w.contended(job), what="the job seen")
        assert w.contended(job) and not handled
        other.tell(job, "free")                                   # it let go without finishing
        await wait_for(lambda: handled == [job], what="the job done by the worker")
    finally:
        other.leave()
        await stopped(w, task)
