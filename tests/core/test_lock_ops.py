"""acquire / release / complete / fail / held on the emulator, over real HTTP with WebClient."""

from __future__ import annotations

import pytest

from slackmq_core import (
    AlreadyDone,
    InputError,
    LockHeld,
    LockState,
    MissingScope,
    Outcome,
    Primitive,
    ReadOnlyError,
    WrongTokenType,
)

from core_helpers import ALPHA, BRAVO, JOBS, lock_client, marks_on, post_jobs

pytestmark = pytest.mark.emulator(rate_limits=False)


def test_acquire_places_pin_and_reaction_and_release_removes_them(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha = lock_client(emulator, "xoxb-emu-alpha")
    res = alpha.acquire("#jobs", ts)
    assert res.outcome is Outcome.ACQUIRED and res.channel == JOBS
    assert [m.primitive for m in res.marks] == [Primitive.PIN, Primitive.REACTION]
    assert marks_on(emulator.control.snapshot(), ts) == {"pin": ALPHA, "reactions": {"lock": [ALPHA]},
                                                          "notes": []}
    rel = alpha.release("jobs", ts)
    assert rel.outcome is Outcome.RELEASED and len(rel.marks) == 2
    assert marks_on(emulator.control.snapshot(), ts) == {"pin": None, "reactions": {}, "notes": []}


def test_second_worker_is_told_who_holds_it_and_leaves_no_mark(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha, bravo = lock_client(emulator, "xoxb-emu-alpha"), lock_client(emulator, "xoxb-emu-bravo")
    assert alpha.acquire(JOBS, ts).ok
    res = bravo.acquire(JOBS, ts)
    assert res.outcome is Outcome.HELD
    assert res.holder.user_id == ALPHA and res.holder.name == "alpha-worker" and res.holder.is_bot
    assert marks_on(emulator.control.snapshot(), ts)["reactions"] == {"lock": [ALPHA]}


def test_release_by_a_non_holder_is_not_held_and_touches_nothing(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha, bravo = lock_client(emulator, "xoxb-emu-alpha"), lock_client(emulator, "xoxb-emu-bravo")
    alpha.acquire(JOBS, ts)
    assert bravo.release(JOBS, ts).outcome is Outcome.NOT_HELD
    assert marks_on(emulator.control.snapshot(), ts)["pin"] == ALPHA
    assert lock_client(emulator, "xoxb-emu-alpha").release(JOBS, ts).outcome is Outcome.RELEASED  # no memory
    assert marks_on(emulator.control.snapshot(), ts) == {"pin": None, "reactions": {}, "notes": []}


def test_complete_marks_done_and_a_done_message_is_never_acquired_again(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha, bravo = lock_client(emulator, "xoxb-emu-alpha"), lock_client(emulator, "xoxb-emu-bravo")
    alpha.acquire(JOBS, ts)
    assert alpha.complete(JOBS, ts).outcome is Outcome.COMPLETED
    snap = marks_on(emulator.control.snapshot(), ts)
    # the pin goes; alpha's lock reaction stays next to the done mark as the record of who did it
    assert snap == {"pin": None, "reactions": {"lock": [ALPHA], "white_check_mark": [ALPHA]}, "notes": []}
    for client in (bravo, alpha, lock_client(emulator, "xoxb-emu-alpha", single_user=True)):
        assert client.acquire(JOBS, ts).outcome is Outcome.DONE
    # the losers cleaned up after themselves: nothing added, nothing taken away
    assert marks_on(emulator.control.snapshot(), ts) == snap
    lock = alpha.inspect(JOBS, ts)
    assert lock.state is LockState.DONE and lock.holders == ()
    assert [(m.holder.user_id, m.leftover) for m in lock.marks] == [(ALPHA, True)]


def test_clear_done_takes_every_lock_mark_off_a_done_message(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha = lock_client(emulator, "xoxb-emu-alpha", clear_done=True)
    alpha.acquire(JOBS, ts)
    assert alpha.complete(JOBS, ts).outcome is Outcome.COMPLETED
    assert marks_on(emulator.control.snapshot(), ts)["reactions"] == {"white_check_mark": [ALPHA]}
    assert lock_client(emulator, "xoxb-emu-bravo").acquire(JOBS, ts).outcome is Outcome.DONE


def test_fail_records_reaction_and_reason_and_blocks_reacquire(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha = lock_client(emulator, "xoxb-emu-alpha")
    alpha.acquire(JOBS, ts)
    assert alpha.fail(JOBS, ts, "disk full").outcome is Outcome.FAILED
    lock = alpha.inspect(JOBS, ts)
    assert lock.state is LockState.FAILED and lock.failed_reason == "disk full"
    assert lock_client(emulator, "xoxb-emu-bravo").acquire(JOBS, ts).outcome is Outcome.DONE
    # alpha's lock reaction stays as the record of the failed attempt: not a holder for a retrier
    retry = lock_client(emulator, "xoxb-emu-bravo", retry_failed=True)
    assert retry.acquire(JOBS, ts).outcome is Outcome.ACQUIRED
    assert retry.release(JOBS, ts).outcome is Outcome.RELEASED
    # and alpha itself, retrying, takes its old reaction over (and releases it)
    again = lock_client(emulator, "xoxb-emu-alpha", retry_failed=True)
    assert again.acquire(JOBS, ts).outcome is Outcome.ACQUIRED
    assert again.release(JOBS, ts).outcome is Outcome.RELEASED
    assert marks_on(emulator.control.snapshot(), ts)["reactions"] == {"x": [ALPHA]}


def test_held_context_manager_releases_on_exit_and_on_error(emulator):
    (ts, ts2) = post_jobs(emulator, 2)
    alpha, bravo = lock_client(emulator, "xoxb-emu-alpha"), lock_client(emulator, "xoxb-emu-bravo")
    with alpha.held(JOBS, ts) as lock:
        assert lock.outcome is Outcome.ACQUIRED
        with pytest.raises(LockHeld) as info, bravo.held(JOBS, ts):
            pass
        assert info.value.holder.user_id == ALPHA
    assert marks_on(emulator.control.snapshot(), ts)["pin"] is None
    with pytest.raises(RuntimeError), alpha.held(JOBS, ts2):
        raise RuntimeError("handler crashed")
    assert marks_on(emulator.control.snapshot(), ts2) == {"pin": None, "reactions": {}, "notes": []}
    with alpha.held(JOBS, ts2):
        alpha.complete(JOBS, ts2)
    with pytest.raises(AlreadyDone), bravo.held(JOBS, ts2):
        pass


def test_held_on_error_fail_marks_failed_with_the_exception(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha = lock_client(emulator, "xoxb-emu-alpha")
    with pytest.raises(ValueError), alpha.held(JOBS, ts, on_error="fail"):
        raise ValueError("bad payload")
    lock = alpha.inspect(JOBS, ts)
    assert lock.state is LockState.FAILED and "bad payload" in lock.failed_reason


def test_missing_scope_is_an_error_result_naming_the_scope_and_leaves_nothing(emulator):
    (ts,) = post_jobs(emulator, 1)
    nopin = lock_client(emulator, "xoxb-emu-nopin")
    res = nopin.acquire(JOBS, ts)
    assert res.outcome is Outcome.ERROR and res.error == "missing_scope"
    assert "pins:write" in res.advice and "reinstall" in res.advice
    with pytest.raises(MissingScope) as info, nopin.held(JOBS, ts):
        pass
    assert info.value.needed == "pins:write"
    assert marks_on(emulator.control.snapshot(), ts) == {"pin": None, "reactions": {}, "notes": []}


def test_a_failure_after_the_pin_removes_the_pin(emulator):
    """0.1.2 leaked the pin when the reaction failed; an unknown emoji makes reactions.add fail."""
    (ts,) = post_jobs(emulator, 1)
    alpha = lock_client(emulator, "xoxb-emu-alpha", reaction="no_such_emoji_here")
    res = alpha.acquire(JOBS, ts)
    assert res.outcome is Outcome.ERROR and res.error == "invalid_name"
    assert marks_on(emulator.control.snapshot(), ts) == {"pin": None, "reactions": {}, "notes": []}


def test_stars_with_a_bot_token_is_wrong_token_type_before_any_call(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha = lock_client(emulator, "xoxb-emu-alpha", strategy="pin+star")
    emulator.control.reset_stats()
    res = alpha.acquire(JOBS, ts)
    assert res.outcome is Outcome.ERROR and res.error == "not_allowed_token_type"
    assert "user token" in res.advice
    with pytest.raises(WrongTokenType), alpha.held(JOBS, ts):
        pass
    assert "pins.add" not in emulator.control.stats()["calls"]


def test_star_strategies_with_a_user_token(emulator):
    (ts,) = post_jobs(emulator, 1)
    dana = lock_client(emulator, "xoxp-emu-dana", strategy="pin+star+reaction")
    res = dana.acquire(JOBS, ts)
    assert res.ok and [m.primitive for m in res.marks] == [Primitive.PIN, Primitive.STAR, Primitive.REACTION]
    assert emulator.control.snapshot()["stars"]
    assert dana.release(JOBS, ts).outcome is Outcome.RELEASED
    assert not any(emulator.control.snapshot()["stars"].values())


def test_read_only_client_raises_before_any_api_call(emulator):
    (ts,) = post_jobs(emulator, 1)
    ro = lock_client(emulator, "xoxb-emu-alpha", read_only=True)
    emulator.control.reset_stats()
    for op in (ro.acquire, ro.release, ro.complete, ro.fail, ro.force_release, ro.heartbeat):
        with pytest.raises(ReadOnlyError):
            op(JOBS, ts)
    with pytest.raises(ReadOnlyError), ro.held(JOBS, ts):
        pass
    with pytest.raises(ReadOnlyError):
        ro.reap(JOBS)
    assert emulator.control.stats()["calls"] == {}
    assert ro.inspect(JOBS, ts).state is LockState.PENDING   # reads still work


@pytest.mark.parametrize("bad", ["123", "1700000000.1", "abc.defghi", "", None, "1700000000.0001000"])
def test_bad_ts_is_an_input_error_naming_it(emulator, bad):
    alpha = lock_client(emulator, "xoxb-emu-alpha")
    with pytest.raises(InputError) as info:
        alpha.acquire(JOBS, bad)
    assert repr(bad) in str(info.value) and "1700000000.000100" in str(info.value)


def test_unknown_channel_names_the_value(emulator):
    from slackmq_core import ChannelNotFound

    alpha = lock_client(emulator, "xoxb-emu-alpha")
    with pytest.raises(ChannelNotFound) as info:
        alpha.resolve_channel("#nope")
    assert "'#nope'" in str(info.value)
    with pytest.raises(ChannelNotFound) as info:
        alpha.resolve_channel("C0NOSUCH99")
    assert "C0NOSUCH99" in str(info.value)
    with pytest.raises(InputError) as info:
        alpha.resolve_channel("bad name!")
    assert "'bad name!'" in str(info.value)
    assert alpha.resolve_channel("jobs").id == JOBS
    assert alpha.resolve_channel("#jobs").name == "jobs"
    assert alpha.resolve_channel(JOBS).name == "jobs"
    assert {c.name for c in alpha.channels()} >= {"jobs", "general"}


def test_bravo_takes_a_released_message(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha, bravo = lock_client(emulator, "xoxb-emu-alpha"), lock_client(emulator, "xoxb-emu-bravo")
    alpha.acquire(JOBS, ts)
    alpha.release(JOBS, ts)
    res = bravo.acquire(JOBS, ts)
    assert res.outcome is Outcome.ACQUIRED and res.holder.user_id == BRAVO
