"""Orphaned lock reactions: a crashed bot's :lock: that only that bot could remove.

An operator's force-release (or a reap) removes the pin but not alpha's reaction; it posts a release
note naming alpha, and from then on acquire, inspect, the reaper and apply_event all treat that
reaction as a leftover. Real emulator, real slack_sdk clients, no claim notes (the case where no
lease could tell a dead reactor from a live one).
"""

from __future__ import annotations

import asyncio
import time

import pytest
from core_helpers import ALPHA, BRAVO, JOBS, TOKENS, lock_client, marks_on, post_jobs
from test_apply_event import new_job, reader, socket_watcher, step, warm
from watch_helpers import collect_until

from slackmq_core import LockClient, LockOptions, LockState, Outcome, Primitive, make_client

CONSOLE = "xoxb-emu-console"


def release_notes(emulator, ts: str) -> list[dict]:
    return [n for n in marks_on(emulator.control.snapshot(), ts)["notes"]
            if (n.get("metadata") or {}).get("event_type") == "slackmq_release"]


def test_force_release_of_a_crashed_bot_records_its_reaction_and_bravo_takes_the_job(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha = lock_client(emulator, TOKENS[ALPHA])
    assert alpha.acquire(JOBS, ts).outcome is Outcome.ACQUIRED      # then alpha "crashes"
    console = lock_client(emulator, CONSOLE)
    assert console.inspect(JOBS, ts).state is LockState.LOCKED

    plan = console.plan_force_release(JOBS, ts)
    assert plan.note_users == (ALPHA,)
    (blocked,) = plan.not_removable
    assert "only that bot can remove it" in blocked.reason and "workers will ignore it" in blocked.reason

    report = console.force_release(JOBS, ts)
    assert [m.primitive for m in report.removed] == [Primitive.PIN]
    assert "recorded as released" in report.not_removed[0].reason and report.release_note
    left = marks_on(emulator.control.snapshot(), ts)
    assert left["pin"] is None and left["reactions"] == {"lock": [ALPHA]}
    (note,) = release_notes(emulator, ts)
    payload = note["metadata"]["event_payload"]
    assert payload["users"] == [ALPHA] and payload["by"] == console.whoami().user_id
    assert "could not be removed" in note["text"]

    lock = console.inspect(JOBS, ts)
    assert lock.state is LockState.PENDING and lock.holders == ()
    (mark,) = lock.marks
    assert mark.leftover and mark.holder.user_id == ALPHA
    # a second force-release names no one again: alpha is already recorded
    again = console.plan_force_release(JOBS, ts)
    assert again.note_users == () and "already recorded as released" in again.not_removable[0].reason

    bravo = lock_client(emulator, TOKENS[BRAVO])
    res = bravo.acquire(JOBS, ts)
    assert res.outcome is Outcome.ACQUIRED, res
    lock = console.inspect(JOBS, ts)
    assert lock.state is LockState.LOCKED and [h.user_id for h in lock.holders] == [BRAVO]
    assert bravo.complete(JOBS, ts).outcome is Outcome.COMPLETED
    assert console.inspect(JOBS, ts).state is LockState.DONE
    assert len(release_notes(emulator, ts)) == 1


def test_reap_of_a_stale_lock_does_the_same(emulator):
    (ts,) = post_jobs(emulator, 1)
    assert lock_client(emulator, TOKENS[ALPHA]).acquire(JOBS, ts).outcome is Outcome.ACQUIRED
    future = LockClient(make_client(CONSOLE, base_url=emulator.base_url), clock=lambda: time.time() + 1000)
    assert [m.state for m in future.locks(JOBS)] == [LockState.STALE]
    report = future.reap(JOBS)
    (rep,) = report.reaped
    assert rep.release_note and rep.not_removed[0].mark.primitive is Primitive.REACTION
    assert future.locks(JOBS) == []
    assert future.history(JOBS).messages[0].state is LockState.PENDING     # history reads the note
    assert future.reap(JOBS).reaped == ()                                  # nothing left to reap
    bravo = lock_client(emulator, TOKENS[BRAVO])
    assert bravo.acquire(JOBS, ts).outcome is Outcome.ACQUIRED
    assert bravo.complete(JOBS, ts).outcome is Outcome.COMPLETED


def test_the_released_bots_own_worker_adopts_its_leftover_reaction(emulator):
    (ts,) = post_jobs(emulator, 1)
    assert lock_client(emulator, TOKENS[ALPHA]).acquire(JOBS, ts).outcome is Outcome.ACQUIRED
    lock_client(emulator, CONSOLE).force_release(JOBS, ts)
    restarted = lock_client(emulator, TOKENS[ALPHA])       # a new process of the same bot
    res = restarted.acquire(JOBS, ts)
    assert res.outcome is Outcome.ACQUIRED, res
    console = lock_client(emulator, CONSOLE)
    lock = console.inspect(JOBS, ts)       # it pinned after the note: its reaction counts again
    assert lock.state is LockState.LOCKED and [h.user_id for h in lock.holders] == [ALPHA]
    assert lock_client(emulator, TOKENS[BRAVO]).acquire(JOBS, ts).outcome is Outcome.HELD
    assert restarted.release(JOBS, ts).outcome is Outcome.RELEASED
    assert marks_on(emulator.control.snapshot(), ts)["reactions"] == {}       # the leftover is gone


def test_no_release_note_while_the_pin_stays(emulator):
    """An operator that could not unpin released nothing: no note, and the report says so."""
    (ts,) = post_jobs(emulator, 1)
    assert lock_client(emulator, TOKENS[ALPHA]).acquire(JOBS, ts).outcome is Outcome.ACQUIRED
    report = lock_client(emulator, "xoxb-emu-nopin").force_release(JOBS, ts)
    reasons = [f.reason for f in report.not_removed]
    assert any(f.mark.primitive is Primitive.PIN for f in report.not_removed)
    assert not report.release_note and all("workers will ignore it" not in r for r in reasons)
    assert any("not recorded as released" in r for r in reasons)
    assert release_notes(emulator, ts) == []


def test_uncontended_acquire_costs_no_extra_call(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha = lock_client(emulator, TOKENS[ALPHA])
    alpha.whoami()
    emulator.control.reset_stats()
    assert alpha.acquire(JOBS, ts).outcome is Outcome.ACQUIRED
    calls = emulator.control.stats()["calls"]
    assert calls == {"pins.add": 1, "reactions.add": 1, "reactions.get": 1}


@pytest.mark.emulator(rate_limits=False)
async def test_apply_event_over_the_release_sequence_equals_a_reread(emulator):
    now = time.time()
    rd = reader(emulator, now)
    alpha = lock_client(emulator, TOKENS[ALPHA])
    bravo = lock_client(emulator, TOKENS[BRAVO])
    console = LockClient(make_client(CONSOLE, base_url=emulator.base_url), LockOptions())
    await warm(emulator, rd)
    async with socket_watcher(emulator) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        ts, row = await new_job(emulator, w, rd, now)

        async def alpha_acquires():
            assert (await asyncio.to_thread(alpha.acquire, JOBS, ts)).outcome is Outcome.ACQUIRED
        row, _ = await step(emulator, w, rd, row, now, alpha_acquires)
        assert row.state is LockState.LOCKED

        async def console_force_releases():
            assert (await asyncio.to_thread(console.force_release, JOBS, ts)).release_note
        row, events = await step(emulator, w, rd, row, now, console_force_releases)
        assert row.state is LockState.PENDING and row.marks[0].leftover
        assert any(e.thread_ts == ts for e in events)        # the note arrived as a thread reply

        async def bravo_acquires():
            assert (await asyncio.to_thread(bravo.acquire, JOBS, ts)).outcome is Outcome.ACQUIRED
        row, _ = await step(emulator, w, rd, row, now, bravo_acquires)
        assert row.state is LockState.LOCKED and [h.user_id for h in row.holders] == [BRAVO]

        async def bravo_completes():
            assert (await asyncio.to_thread(bravo.complete, JOBS, ts)).outcome is Outcome.COMPLETED
        row, _ = await step(emulator, w, rd, row, now, bravo_completes)
        assert row.state is LockState.DONE
