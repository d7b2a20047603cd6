"""AsyncLockClient: the same protocol driven by AsyncWebClient on the emulator's own loop."""

from __future__ import annotations

import asyncio

import pytest
from core_helpers import ALPHA, JOBS, PUBLISHER, TOKENS, async_lock_client, marks_on

from slackmq_core import AlreadyDone, LockHeld, LockState, Outcome, Primitive, ReadOnlyError


def _post(emu, n: int) -> list[str]:
    return [emu.post(JOBS, PUBLISHER, f"job {i}") for i in range(n)]


@pytest.mark.emulator(rate_limits=False)
async def test_async_acquire_release_complete(async_emulator):
    (ts, ts2) = _post(async_emulator, 2)
    alpha = async_lock_client(async_emulator, "xoxb-emu-alpha")
    bravo = async_lock_client(async_emulator, "xoxb-emu-bravo")
    res = await alpha.acquire("jobs", ts)
    assert res.outcome is Outcome.ACQUIRED and [m.primitive for m in res.marks] == [Primitive.PIN,
                                                                                     Primitive.REACTION]
    held = await bravo.acquire(JOBS, ts)
    assert held.outcome is Outcome.HELD and held.holder.user_id == ALPHA
    assert (await bravo.release(JOBS, ts)).outcome is Outcome.NOT_HELD
    lock = await bravo.inspect(JOBS, ts)
    assert lock.state is LockState.LOCKED and lock.holders[0].name == "alpha-worker"
    assert (await alpha.complete(JOBS, ts)).outcome is Outcome.COMPLETED
    assert (await bravo.acquire(JOBS, ts)).outcome is Outcome.DONE
    page = await bravo.history(JOBS, limit=10)
    assert [m.ts for m in page.messages] == [ts2, ts]
    assert [m.state for m in page.messages] == [LockState.PENDING, LockState.DONE]


@pytest.mark.emulator(rate_limits=False)
async def test_async_with_held(async_emulator):
    (ts, ts2) = _post(async_emulator, 2)
    alpha = async_lock_client(async_emulator, "xoxb-emu-alpha", strategy="claim")
    bravo = async_lock_client(async_emulator, "xoxb-emu-bravo", strategy="claim")
    async with alpha.held(JOBS, ts) as lock:
        assert lock.outcome is Outcome.ACQUIRED
        lease = await alpha.heartbeat(JOBS, ts)
        assert lease.worker_id == alpha.worker_id
        with pytest.raises(LockHeld):
            async with bravo.held(JOBS, ts):
                pass
    assert marks_on(async_emulator.snapshot(), ts) == {"pin": None, "reactions": {}, "notes": []}
    with pytest.raises(KeyError):
        async with alpha.held(JOBS, ts2):
            raise KeyError("boom")
    assert marks_on(async_emulator.snapshot(), ts2) == {"pin": None, "reactions": {}, "notes": []}
    async with alpha.held(JOBS, ts2):
        await alpha.complete(JOBS, ts2)
    with pytest.raises(AlreadyDone):
        async with bravo.held(JOBS, ts2):
            pass


@pytest.mark.emulator(rate_limits=False, race_probability=1.0, race_window_ms=600_000)
async def test_async_tasks_racing_in_claim_mode_get_one_holder(async_emulator):
    tss = _post(async_emulator, 4)
    clients = [async_lock_client(async_emulator, tok, strategy="claim") for tok in TOKENS.values()
               for _ in range(2)]
    for ts in tss:
        results = await asyncio.gather(*(c.acquire(JOBS, ts) for c in clients))
        winners = [r for r in results if r.outcome is Outcome.ACQUIRED]
        assert len(winners) == 1, results
        assert all(r.outcome is Outcome.HELD for r in results if r is not winners[0])
        marks = marks_on(async_emulator.snapshot(), ts)
        assert marks["reactions"]["lock"] == [winners[0].holder.user_id]
        assert len(marks["notes"]) == 1


@pytest.mark.emulator(rate_limits=False)
async def test_async_read_only(async_emulator):
    (ts,) = _post(async_emulator, 1)
    ro = async_lock_client(async_emulator, "xoxb-emu-alpha", read_only=True)
    with pytest.raises(ReadOnlyError):
        await ro.acquire(JOBS, ts)
    with pytest.raises(ReadOnlyError):
        async with ro.held(JOBS, ts):
            pass
    assert async_emulator.stats()["calls"] == {}
    assert (await ro.whoami()).user_id == ALPHA
