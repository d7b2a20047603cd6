"""apply_event: folding live events into the lock read before them gives what a fresh inspect gives.

Real emulator, real Watcher (Socket Mode with the console's app token, and polling), real lock clients
of other bot users acting on the message. After each step the test posts a sentinel message and
collects events up to it (Socket Mode delivers an app's events in order on its one socket), folds
them into the row, and compares the row (and the facts it carries) with ``inspect``.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from core_helpers import ALPHA, BRAVO, CHARLIE, JOBS, PUBLISHER, TOKENS, async_lock_client, lock_client
from watch_helpers import collect_until, control

from slackmq_core import (
    AsyncLockClient,
    ChannelEvent,
    LockOptions,
    LockState,
    Outcome,
    Primitive,
    Watcher,
    apply_event,
    lock_from_message,
    make_async_client,
)

pytestmark = pytest.mark.emulator(rate_limits=False)

OPTS = LockOptions()
SCALE = 60.0


def reader(emu, now: float, **options) -> AsyncLockClient:
    """The console's client, with a fixed clock so both paths judge time alike."""
    return AsyncLockClient(make_async_client("xoxb-emu-console", base_url=emu.base_url),
                           LockOptions(**options), clock=lambda: now)


def socket_watcher(emu) -> Watcher:
    return Watcher(make_async_client("xoxb-emu-console", base_url=emu.base_url), [JOBS],
                   app_token="xapp-emu-console", ping_interval=0.2)


async def warm(emu, rd: AsyncLockClient) -> None:
    """The reader learns every bot's name once (as a console does on its first load)."""
    ts = await control(emu, "post", JOBS, PUBLISHER, "warm-up")
    for user, token in TOKENS.items():
        await make_async_client(token, base_url=emu.base_url).reactions_add(channel=JOBS, timestamp=ts,
                                                                           name="lock")
    lock = await rd.inspect(JOBS, ts)
    assert {h.user_id for h in lock.holders} == set(TOKENS)


async def settle(emu, w: Watcher) -> list[ChannelEvent]:
    """Every event up to a sentinel message posted now (the sentinel itself left out)."""
    mark = await control(emu, "post", JOBS, PUBLISHER, "sentinel")
    events = await collect_until(w, lambda e: e.kind == "message" and e.ts == mark)
    return events[:-1]


def fold(lock, events, rd: AsyncLockClient, now: float, *, strict: bool = True):
    """The row after the events; None from apply_event fails a strict fold."""
    for e in events:
        new = apply_event(lock, e, rd.options, now=now, users=rd.users)
        if new is None:
            assert not strict, f"apply_event could not tell from {e}"
            return None
        lock = new
    return lock


def same(a, b) -> bool:
    return a == b and a.facts == b.facts


async def step(emu, w, rd, lock, now, action, *, strict: bool = True):
    if action is not None:
        await action()
    events = await settle(emu, w)
    folded = fold(lock, events, rd, now, strict=strict)
    fresh = await rd.inspect(JOBS, lock.ts)
    assert folded is None or same(folded, fresh), (events, folded, fresh)
    return fresh, events


async def new_job(emu, w, rd, now, text="job"):
    ts = await control(emu, "post", JOBS, PUBLISHER, text)
    events = await collect_until(w, lambda e: e.kind == "message" and e.ts == ts)
    row = lock_from_message(events[-1], rd.options, now=now, users=rd.users)
    fresh = await rd.inspect(JOBS, ts)
    assert row is not None and same(row, fresh) and row.state is LockState.PENDING
    return ts, row


async def test_pin_reaction_locks_of_several_bots_then_done_fold_like_a_reread(emulator):
    now = time.time()
    rd = reader(emulator, now)
    alpha = lock_client(emulator, TOKENS[ALPHA])
    bravo = lock_client(emulator, TOKENS[BRAVO])
    bravo_raw = make_async_client(TOKENS[BRAVO], base_url=emulator.base_url)
    charlie_raw = make_async_client(TOKENS[CHARLIE], base_url=emulator.base_url)
    await warm(emulator, rd)
    async with socket_watcher(emulator) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        ts, row = await new_job(emulator, w, rd, now)

        async def alpha_acquires():
            assert (await asyncio.to_thread(alpha.acquire, JOBS, ts)).outcome is Outcome.ACQUIRED
        row, events = await step(emulator, w, rd, row, now, alpha_acquires)
        assert {e.kind for e in events} >= {"pin_added", "reaction_added"}
        assert row.state is LockState.LOCKED and row.holders[0].user_id == ALPHA

        async def bravo_loses():
            assert (await asyncio.to_thread(bravo.acquire, JOBS, ts)).outcome is Outcome.HELD
        row, _ = await step(emulator, w, rd, row, now, bravo_loses)

        async def others_react():     # reactions do not exclude other users: Slack's order decides
            await bravo_raw.reactions_add(channel=JOBS, timestamp=ts, name="lock")
            await charlie_raw.reactions_add(channel=JOBS, timestamp=ts, name="lock")
            await bravo_raw.reactions_add(channel=JOBS, timestamp=ts, name="eyes")
            await bravo_raw.reactions_remove(channel=JOBS, timestamp=ts, name="lock")
        row, _ = await step(emulator, w, rd, row, now, others_react)
        assert [m.holder.user_id for m in row.marks if m.primitive is Primitive.REACTION] == [ALPHA, CHARLIE]

        async def alpha_completes():
            assert (await asyncio.to_thread(alpha.complete, JOBS, ts)).outcome is Outcome.COMPLETED
        row, events = await step(emulator, w, rd, row, now, alpha_completes)
        assert row.state is LockState.DONE and "pin_removed" in {e.kind for e in events}

        async def charlie_lets_go():
            await charlie_raw.reactions_remove(channel=JOBS, timestamp=ts, name="lock")
        row, _ = await step(emulator, w, rd, row, now, charlie_lets_go)
        # complete leaves alpha's lock reaction next to the done mark: the record of who did it
        assert row.state is LockState.DONE and [m.holder.user_id for m in row.marks] == [ALPHA]


async def test_fail_with_a_reason_note_folds_like_a_reread(emulator):
    now = time.time()
    rd = reader(emulator, now)
    delta = async_lock_client(emulator, "xoxb-emu-delta")
    await warm(emulator, rd)
    async with socket_watcher(emulator) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        ts, row = await new_job(emulator, w, rd, now)

        async def delta_acquires():
            assert (await delta.acquire(JOBS, ts)).outcome is Outcome.ACQUIRED
        row, _ = await step(emulator, w, rd, row, now, delta_acquires)

        async def delta_fails():
            assert (await delta.fail(JOBS, ts, "disk full")).outcome is Outcome.FAILED
        row, events = await step(emulator, w, rd, row, now, delta_fails)
        assert any(e.kind == "message" and e.thread_ts == ts for e in events)   # the reason's note
        assert row.state is LockState.FAILED and row.failed_reason == "disk full"


async def test_claim_notes_posted_renewed_and_deleted_fold_like_a_reread(emulator):
    now = time.time()
    rd = reader(emulator, now)
    alpha = async_lock_client(emulator, TOKENS[ALPHA], strategy="claim")
    bravo = async_lock_client(emulator, TOKENS[BRAVO], strategy="claim")
    await warm(emulator, rd)
    async with socket_watcher(emulator) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        ts, row = await new_job(emulator, w, rd, now)

        async def alpha_claims():
            assert (await alpha.acquire(JOBS, ts)).outcome is Outcome.ACQUIRED
        row, _ = await step(emulator, w, rd, row, now, alpha_claims)
        assert row.lease is not None and row.lease.holder.user_id == ALPHA and row.thread_ts == ts

        async def alpha_heartbeats():
            await alpha.heartbeat(JOBS, ts)
        before = row.lease.expires_at
        row, events = await step(emulator, w, rd, row, now, alpha_heartbeats)
        assert any(e.kind == "message_changed" and e.thread_ts == ts for e in events)
        assert row.lease.expires_at >= before

        async def bravo_loses():
            assert (await bravo.acquire(JOBS, ts)).outcome is Outcome.HELD
        row, _ = await step(emulator, w, rd, row, now, bravo_loses)
        assert row.lease.holder.user_id == ALPHA

        async def alpha_releases():
            assert (await alpha.release(JOBS, ts)).outcome is Outcome.RELEASED
        row, events = await step(emulator, w, rd, row, now, alpha_releases)
        assert any(e.kind == "message_deleted" and e.thread_ts == ts for e in events)
        assert row.state is LockState.PENDING and row.lease is None


async def test_unknown_holders_show_by_id_until_a_read_names_them(emulator):
    now = time.time()
    rd = reader(emulator, now)            # not warmed: knows nobody
    alpha = async_lock_client(emulator, TOKENS[ALPHA])
    async with socket_watcher(emulator) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        ts = await control(emulator, "post", JOBS, PUBLISHER, "job")
        await collect_until(w, lambda e: e.ts == ts)
        row = await rd.inspect(JOBS, ts)
        await alpha.acquire(JOBS, ts)
        folded = fold(row, await settle(emulator, w), rd, now)
    assert folded.holders[0].user_id == ALPHA and folded.holders[0].name == ""
    fresh = await rd.inspect(JOBS, ts)       # names alpha (users.info), cached in rd.users
    assert fresh.holders[0].name and fresh.state is folded.state and fresh.facts == folded.facts
    named = apply_event(folded, ChannelEvent("reaction_added", JOBS, ts, user=BRAVO, reaction="eyes"),
                        rd.options, now=now, users=rd.users)
    assert named.holders == fresh.holders


@pytest.mark.emulator(time_scale=SCALE)
async def test_polled_events_fold_like_a_reread_or_ask_for_one(emulator):
    now = time.time()
    rd = reader(emulator, now)
    alpha = async_lock_client(emulator, TOKENS[ALPHA])
    bravo_raw = make_async_client(TOKENS[BRAVO], base_url=emulator.base_url)
    await warm(emulator, rd)
    w = Watcher(make_async_client("xoxb-emu-console", base_url=emulator.base_url), [JOBS],
                window=60.0 / SCALE)
    rereads = applied = 0
    async with w:
        await collect_until(w, lambda e: e.kind == "resync")
        ts = await control(emulator, "post", JOBS, PUBLISHER, "job")
        events = await collect_until(w, lambda e: e.kind == "message" and e.ts == ts)
        row = lock_from_message(events[-1], rd.options, now=now, users=rd.users)
        assert same(row, await rd.inspect(JOBS, ts))
        actions = [lambda: alpha.acquire(JOBS, ts),
                   lambda: bravo_raw.reactions_add(channel=JOBS, timestamp=ts, name="lock"),
                   lambda: alpha.complete(JOBS, ts)]
        for act in actions:
            await act()
            want = await rd.inspect(JOBS, ts)
            deadline = time.monotonic() + 15
            while not same(row, want):      # fold events as they come; re-read when told to
                assert time.monotonic() < deadline, (row, want)
                e = await w.next_event(1.0)
                if e is None or e.ts != ts:
                    continue
                new = apply_event(row, e, rd.options, now=now, users=rd.users)
                if new is None:
                    rereads += 1
                    new = (await rd.inspect_many(JOBS, [ts]))[ts]
                else:
                    applied += 1
                row = new
        assert row.state is LockState.DONE
    # The history diff sees a new pin before pins.list does (no pinner, no time): those ask for a
    # re-read; removals and reaction snapshots apply with no call.
    assert applied >= 1


async def test_events_about_other_messages_leave_the_row_alone_and_resync_asks_for_a_reread():
    row = lock_from_message(ChannelEvent("message", JOBS, "1700000000.000100", user=PUBLISHER,
                                         message={"ts": "1700000000.000100", "text": "job",
                                                  "user": PUBLISHER}), OPTS, now=0.0)
    other = ChannelEvent("reaction_added", JOBS, "1700000000.000200", user=ALPHA, reaction="lock")
    elsewhere = ChannelEvent("reaction_added", "C0BUILDS01", row.ts, user=ALPHA, reaction="lock")
    assert apply_event(row, other, OPTS, now=0.0) is row
    taken = apply_event(row, ChannelEvent("reaction_added", JOBS, row.ts, user=ALPHA, reaction="lock"),
                        OPTS, now=0.0)
    again = ChannelEvent("message", JOBS, row.ts, user=PUBLISHER, message={"ts": row.ts, "text": "job"})
    assert apply_event(taken, again, OPTS, now=0.0) == taken      # a late copy of the post changes nothing
    assert apply_event(row, elsewhere, OPTS, now=0.0) is row
    assert apply_event(row, ChannelEvent("resync", JOBS, None, reason="reconnect"), OPTS, now=0.0) is None
    assert apply_event(row, ChannelEvent("message_deleted", JOBS, row.ts), OPTS, now=0.0) is None
    # a pin whose time and pinner the event does not give (the poller's history diff)
    assert apply_event(row, ChannelEvent("pin_added", JOBS, row.ts), OPTS, now=0.0) is None
