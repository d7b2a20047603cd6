"""Workers of different bot users take turns (issue 3 §8, contention-aware, and the calls-per-job goal):
Slack hands every event to each app, so without an order every app's worker would race for every
job and all but one would spend a losing ``pins.add``. Counted in Slack calls (GET /_emulator/stats)."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from watch_helpers import ALPHA, BRAVO, JOBS, PUBLISHER, control, wait_for

from slackmq_core import InputError, LockOptions, Worker
from slackmq_core._worker_view import MAX_MISSES

pytestmark = pytest.mark.emulator(rate_limits=False)

SOCKET = {"ping_interval": 0.2}


def worker(emu, token: str, app: str, handler, options: LockOptions | None = None, **kwargs) -> Worker:
    return Worker(token, "jobs", handler, options or LockOptions(), app_token=app, base_url=emu.base_url,
                  watcher_options=SOCKET, **kwargs)


async def introduce(emulator, *users: str) -> None:
    """An old done job with these users' lock reactions on it (complete leaves them): every worker's
    start scan learns from it who else locks in #jobs."""
    (ts,) = await control(emulator, "seed", channel=JOBS, count=1, user=PUBLISHER, text_prefix="old job",
                          events=False)
    reactions = [{"channel": JOBS, "ts": ts, "user": u, "name": "lock"} for u in users]
    reactions.append({"channel": JOBS, "ts": ts, "user": users[0], "name": "white_check_mark"})
    await control(emulator, "seed", reactions=reactions, events=False)


async def stop_all(pairs) -> list:
    for w, _ in pairs:
        w.stop()
    return [await asyncio.wait_for(t, 30) for _, t in pairs]


async def test_workers_of_two_users_take_turns_so_nobody_spends_a_losing_pin(emulator):
    await introduce(emulator, ALPHA, BRAVO)
    handled: list[tuple[str, str]] = []
    ws = [worker(emulator, tok, app, lambda job, who=who: handled.append((who, job.ts)), turn=0.5)
          for who, tok, app in (("alpha", "xoxb-emu-alpha", "xapp-emu-alpha"),
                                ("bravo", "xoxb-emu-bravo", "xapp-emu-bravo"))]
    pairs = [(w, asyncio.create_task(w.run())) for w in ws]
    await wait_for(lambda: ws[0].view.lockers.keys() == {BRAVO} and ws[1].view.lockers.keys() == {ALPHA},
                   what="each start scan learning the other user from the old job")
    await control(emulator, "reset_stats")
    jobs = [await control(emulator, "post", JOBS, PUBLISHER, f"job {i}") for i in range(8)]
    await wait_for(lambda: sum(w.stats.completed for w in ws) == len(jobs), what="every job done")
    stats = await stop_all(pairs)
    by_user = (await control(emulator, "stats"))["calls_by_user"]
    assert sorted(ts for _, ts in handled) == sorted(jobs)       # each job once
    assert sum(s.lost for s in stats) == 0                       # nobody lost a race...
    assert sum(by_user.get(u, {}).get("pins.add", 0) for u in (ALPHA, BRAVO)) == len(jobs)   # ...or paid one
    # the order is the same in both processes' eyes: whoever was first for a job did it
    for who, ts in handled:
        first = ws[0] if ws[0].view.turn(ts)[0] == 0 else ws[1]
        assert who == ("alpha" if first is ws[0] else "bravo")


async def test_a_user_that_lets_its_turns_pass_is_left_out_of_the_order(emulator):
    await introduce(emulator, ALPHA, BRAVO)       # bravo locked here once, but runs no worker now
    handled: list[str] = []
    w = worker(emulator, "xoxb-emu-alpha", "xapp-emu-alpha", lambda job: handled.append(job.ts), turn=0.1)
    task = asyncio.create_task(w.run())
    await wait_for(lambda: BRAVO in w.view.lockers, what="the start scan learning bravo")
    jobs = [await control(emulator, "post", JOBS, PUBLISHER, f"job {i}") for i in range(20)]
    await wait_for(lambda: w.stats.completed == len(jobs), what="every job done by alpha alone")
    await stop_all([(w, task)])
    assert sorted(handled) == sorted(jobs)        # nothing lost while waiting for bravo's turns
    # bravo was first for some jobs (about half of 20; jobs queued before it was left out count
    # too) and never came: after MAX_MISSES it is out
    assert w.view.lockers[BRAVO] >= MAX_MISSES
    assert w.view.turn("1.000001") == (0, [])


async def test_alone_a_worker_never_waits_and_a_bad_turn_is_refused(emulator):
    assert Worker("xoxb-emu-alpha", "jobs", print).view.turn("1.000001") == (0, [])
    with pytest.raises(InputError, match="turn -1"):
        Worker("xoxb-emu-alpha", "jobs", print, turn=-1)


async def test_socket_workers_of_one_app_pass_each_other_their_events(emulator):
    ws = [worker(emulator, "xoxb-emu-alpha", "xapp-emu-alpha", lambda job: None, concurrency=1)
          for _ in range(3)]
    pairs = [(w, asyncio.create_task(w.run())) for w in ws]
    await wait_for(lambda: all(w.stats.scans for w in ws), what="every start scan")
    (other,) = await control(emulator, "seed", channel=JOBS, count=1, user=PUBLISHER, events=False)
    bravo = AsyncWebClient("xoxb-emu-bravo", base_url=emulator.base_url)
    await bravo.pins_add(channel=JOBS, timestamp=other)       # one event, to one of the three sockets
    await wait_for(lambda: all(BRAVO in w.view.lockers for w in ws), what="bravo's pin seen by all three")
    await stop_all(pairs)


async def test_single_user_is_dropped_once_another_user_locks_in_the_channel(emulator):
    handled: list[str] = []
    w = worker(emulator, "xoxb-emu-alpha", "xapp-emu-alpha", lambda job: handled.append(job.ts),
               LockOptions(single_user=True), turn=0.0)
    task = asyncio.create_task(w.run())
    await wait_for(lambda: w.stats.scans, what="the start scan")
    await control(emulator, "reset_stats")
    first = await control(emulator, "post", JOBS, PUBLISHER, "job 1")
    await wait_for(lambda: handled == [first], what="job 1 done")
    calls = (await control(emulator, "stats"))["calls_by_user"][ALPHA]
    assert "reactions.get" not in calls and calls["pins.add"] == 1     # one user: no check read
    bravo = AsyncWebClient("xoxb-emu-bravo", base_url=emulator.base_url)
    await bravo.reactions_add(channel=JOBS, timestamp=first, name="lock")   # another user locks here
    await wait_for(lambda: not w.lock.options.single_user, what="single_user turned off")
    await control(emulator, "reset_stats")
    second = await control(emulator, "post", JOBS, PUBLISHER, "job 2")
    await wait_for(lambda: handled == [first, second], what="job 2 done")
    await stop_all([(w, task)])
    calls = (await control(emulator, "stats"))["calls_by_user"][ALPHA]
    assert calls.get("reactions.get") == 1                              # checked again
