"""restate (time passes, no call) and inspect_many (one pins.list for many messages)."""

from __future__ import annotations

import time

import pytest
from core_helpers import ALPHA, JOBS, PUBLISHER, TOKENS, async_lock_client
from watch_helpers import control

from slackmq_core import (
    AsyncLockClient,
    ChannelEvent,
    Holder,
    LockOptions,
    LockState,
    MessageLock,
    apply_event,
    lock_from_message,
    make_async_client,
    next_change,
    restate,
)
from slackmq_core._lease import claim_metadata

pytestmark = pytest.mark.emulator(rate_limits=False)

T0 = 1_800_000_000.0
TS = "1800000000.000100"
OPTS = LockOptions(stale_after=100.0)


def job() -> MessageLock:
    msg = {"ts": TS, "text": "job", "user": PUBLISHER}
    return lock_from_message(ChannelEvent("message", JOBS, TS, user=PUBLISHER, message=msg), OPTS, now=T0)


def pinned(row: MessageLock, at: float = T0) -> MessageLock:
    return apply_event(row, ChannelEvent("pin_added", JOBS, TS, user=ALPHA, pinned_by=ALPHA, pinned_at=at),
                       OPTS, now=at)


def claim_note(row: MessageLock, note_ts: str, expires: float, now: float = T0) -> MessageLock:
    msg = {"ts": note_ts, "thread_ts": TS, "user": ALPHA, "bot_id": "B0ALPHA001", "text": "claimed",
           "metadata": claim_metadata(worker_id="w1", host="h", pid=1, expires_at=expires, claim_id="c1")}
    return apply_event(row, ChannelEvent("message", JOBS, note_ts, user=ALPHA, message=msg, thread_ts=TS),
                       OPTS, now=now)


# -- restate: pure, fake clock ---------------------------------------------------------------------
def test_a_pinned_row_turns_stale_when_the_ttl_passes_and_says_when():
    row = pinned(job())
    assert row.state is LockState.LOCKED and row.locked_since == T0
    assert restate(row, OPTS, T0 + 99) is row            # nothing changed: the same object
    assert next_change(row, OPTS, T0 + 99) == T0 + 100
    stale = restate(row, OPTS, T0 + 101)
    assert stale.state is LockState.STALE and stale.marks == row.marks
    assert restate(stale, OPTS, T0 + 50).state is LockState.LOCKED   # a clock that goes back: recomputed
    assert next_change(stale, OPTS, T0 + 101) is None


def test_a_live_lease_keeps_an_old_lock_locked_until_it_runs_out():
    row = claim_note(pinned(job()), "1800000001.000100", expires=T0 + 200)
    assert row.lease is not None and row.lease.expires_at == T0 + 200
    assert restate(row, OPTS, T0 + 150).state is LockState.LOCKED     # past the TTL, lease alive
    assert next_change(row, OPTS, T0 + 150) == T0 + 200
    assert restate(row, OPTS, T0 + 201).state is LockState.STALE


def test_a_claim_only_lock_ends_when_its_lease_runs_out():
    row = claim_note(job(), "1800000001.000100", expires=T0 + 60)
    assert row.state is LockState.LOCKED and row.locked_since == 1800000001.0001
    later = restate(row, OPTS, T0 + 61)
    assert later.state is LockState.PENDING and later.locked_since is None and later.lease is not None


def test_a_hand_made_row_gets_the_time_rule_only():
    row = MessageLock(JOBS, TS, state=LockState.LOCKED, locked_since=T0)
    assert restate(row, OPTS, T0 + 101).state is LockState.STALE
    assert restate(MessageLock(JOBS, TS), OPTS, T0 + 1e6).state is LockState.PENDING


def test_restate_names_holders_it_learns():
    row = pinned(job())
    assert row.holders[0] == Holder(ALPHA)
    named = restate(row, OPTS, T0, users={ALPHA: Holder(ALPHA, "alpha-bot", True)})
    assert named.holders[0] == Holder(ALPHA, "alpha-bot", True)


async def test_restate_later_equals_inspect_later(emulator):
    ts = await control(emulator, "post", JOBS, PUBLISHER, "old job")
    created = int(time.time()) - 500
    await control(emulator, "seed", pins=[{"channel": JOBS, "ts": ts, "user": ALPHA, "created": created}])
    web = make_async_client("xoxb-emu-console", base_url=emulator.base_url)
    options = LockOptions(stale_after=600.0)
    then = AsyncLockClient(web, options, clock=lambda: created + 10.0)
    later = AsyncLockClient(web, options, clock=lambda: created + 700.0)
    row = await then.inspect(JOBS, ts)
    assert row.state is LockState.LOCKED
    fresh = await later.inspect(JOBS, ts)
    moved = restate(row, options, created + 700.0, users=later.users)
    assert fresh.state is LockState.STALE and moved == fresh and moved.facts == fresh.facts


# -- inspect_many: one pins.list --------------------------------------------------------------------
async def test_inspect_many_reads_pins_once_and_reactions_only_for_unpinned(emulator):
    alpha = async_lock_client(emulator, TOKENS[ALPHA])
    tss = [await control(emulator, "post", JOBS, PUBLISHER, f"job {i}") for i in range(6)]
    for ts in tss[:3]:
        await alpha.acquire(JOBS, ts)
    alpha_web = make_async_client(TOKENS[ALPHA], base_url=emulator.base_url)
    gone = (await alpha_web.chat_postMessage(channel=JOBS, text="soon gone"))["ts"]
    await alpha_web.chat_delete(channel=JOBS, ts=gone)
    rd = AsyncLockClient(make_async_client("xoxb-emu-console", base_url=emulator.base_url))
    await rd.inspect(JOBS, tss[0])      # names the users first (users.info is not what we count)
    await control(emulator, "reset_stats")
    many = await rd.inspect_many(JOBS, [*tss, gone, tss[0]])
    calls = (await control(emulator, "stats"))["calls_by_user"]["U0CONSOL01"]
    assert calls.get("pins.list") == 1
    assert calls.get("reactions.get") == 4              # 3 unpinned + the deleted one
    assert list(many) == tss                             # input order, duplicates once, gone left out
    for ts in tss:
        one = await rd.inspect(JOBS, ts)
        assert many[ts] == one and many[ts].facts == one.facts
    assert [many[t].state for t in tss] == [LockState.LOCKED] * 3 + [LockState.PENDING] * 3
    await control(emulator, "reset_stats")
    again = await rd.inspect_many(JOBS, tss[:3], max_age=30)     # the snapshot just read is reused
    assert "U0CONSOL01" not in (await control(emulator, "stats"))["calls_by_user"]     # no call at all
    assert again == {t: many[t] for t in tss[:3]}


async def test_inspect_reuses_a_recent_pins_snapshot_unless_the_pin_is_newer(emulator):
    alpha = async_lock_client(emulator, TOKENS[ALPHA])
    first, second = [await control(emulator, "post", JOBS, PUBLISHER, f"job {i}") for i in range(2)]
    await alpha.acquire(JOBS, first)
    rd = AsyncLockClient(make_async_client("xoxb-emu-console", base_url=emulator.base_url),
                         LockOptions(pins_max_age=30))
    await rd.locks(JOBS)
    await control(emulator, "reset_stats")
    for _ in range(3):
        assert (await rd.inspect(JOBS, first)).state is LockState.LOCKED
    stats = await control(emulator, "stats")
    assert stats["calls_by_user"]["U0CONSOL01"] == {"reactions.get": 3}
    await alpha.acquire(JOBS, second)                  # pinned after the snapshot: read again
    row = await rd.inspect(JOBS, second)
    assert row.state is LockState.LOCKED and row.marks[0].holder.user_id == ALPHA
    stats = await control(emulator, "stats")
    assert stats["calls_by_user"]["U0CONSOL01"].get("pins.list") == 1


def test_pins_max_age_is_checked():
    with pytest.raises(Exception, match="pins_max_age"):
        LockOptions(pins_max_age=-1)
