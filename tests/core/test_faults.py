"""Rule 3 and 4 of issue 3 §3: 429s waited out, 5xx/timeouts retried with bounded backoff, ambiguous
outcomes settled by reading state, release without sleeps — against the emulator's faults."""

from __future__ import annotations

import logging
import socket

import pytest
from core_helpers import JOBS, Sleeps, lock_client, marks_on, post_jobs

from slackmq_core import LockClient, LockOptions, Outcome, RetryPolicy, TransportError, make_client

PATIENT = RetryPolicy(attempts=10)


@pytest.mark.emulator(rate_limits=False, error_rate=0.15, ambiguous_rate=0.15)
@pytest.mark.parametrize("strategy,tokens", [
    # a shared user cannot be told apart from a sibling after ambiguous answers on every
    # primitive (counts like a race, see _protocol); claim mode arbitrates even then
    ("pin", ["xoxb-emu-alpha", "xoxb-emu-bravo", "xoxb-emu-charlie"]),
    ("pin+reaction", ["xoxb-emu-alpha", "xoxb-emu-bravo", "xoxb-emu-charlie"]),
    ("claim", ["xoxb-emu-alpha", "xoxb-emu-bravo", "xoxb-emu-alpha"]),
])
def test_5xx_and_ambiguous_writes_leave_no_leak_and_no_double_holder(emulator, strategy, tokens):
    tss = post_jobs(emulator, 12)
    sleeps = Sleeps()
    clients = [lock_client(emulator, t, sleeps=sleeps, retry=PATIENT, strategy=strategy,
                           lookup_holder=False) for t in tokens]
    for ts in tss:
        outcomes = [c.acquire(JOBS, ts).outcome for c in clients]
        assert outcomes.count(Outcome.ACQUIRED) == 1, outcomes
        assert set(outcomes) <= {Outcome.ACQUIRED, Outcome.HELD}
        holder = clients[outcomes.index(Outcome.ACQUIRED)]
        assert holder.release(JOBS, ts).outcome is Outcome.RELEASED
    stats = emulator.control.stats()
    assert stats["faults"] > 10                      # the faults really happened
    # pins.list is read only to settle an ambiguous pins.add (or to check a pin before undoing it)
    assert sum(c.calls["pins.list"] for c in clients) > 0
    assert sleeps and max(sleeps) <= PATIENT.max_delay * 1.5
    snap = emulator.control.snapshot()
    for ts in tss:
        assert marks_on(snap, ts) == {"pin": None, "reactions": {}, "notes": []}, ts


@pytest.mark.emulator(rate_limits=True, time_scale=60)
def test_429_is_waited_out_and_never_reported_as_contention(emulator):
    """At time scale 60 a T2 method allows 20 calls per real second; 45 acquires by one bot exceed
    it. Every one must end ACQUIRED, having waited Retry-After (integer seconds) in between."""
    tss = post_jobs(emulator, 45)
    waits: list[float] = []

    def sleep(seconds: float) -> None:   # real waits: the emulator's window must pass
        waits.append(seconds)
        import time
        time.sleep(seconds)

    alpha = LockClient(make_client("xoxb-emu-alpha", base_url=emulator.base_url),
                       LockOptions(strategy="pin"), sleep=sleep)
    outcomes = [alpha.acquire(JOBS, ts).outcome for ts in tss]
    assert outcomes == [Outcome.ACQUIRED] * len(tss)
    assert emulator.control.stats()["ratelimited"] > 0
    assert waits and all(w >= RetryPolicy().min_retry_after for w in waits)
    assert all(float(w).is_integer() or w == RetryPolicy().min_retry_after for w in waits)


def test_release_makes_only_its_api_calls_and_never_sleeps(emulator):
    (ts,) = post_jobs(emulator, 1)
    sleeps = Sleeps()
    alpha = lock_client(emulator, "xoxb-emu-alpha", sleeps=sleeps, strategy="claim")
    alpha.acquire(JOBS, ts)
    alpha.calls.clear()
    assert alpha.release(JOBS, ts).outcome is Outcome.RELEASED
    assert dict(alpha.calls) == {"reactions.remove": 1, "pins.remove": 1, "chat.delete": 1}
    assert sleeps == []


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_api_is_retried_with_bounded_backoff_then_an_error_result(caplog):
    sleeps = Sleeps()
    client = LockClient(make_client("xoxb-secret-token-123", base_url=f"http://127.0.0.1:{_closed_port()}/api/"),
                        sleep=sleeps, retry=RetryPolicy(attempts=4))
    with caplog.at_level(logging.DEBUG):
        res = client.acquire(JOBS, "1700000000.000100")
    assert res.outcome is Outcome.ERROR and res.error == "transport"
    assert len(sleeps) == 3 and sleeps == sorted(sleeps) or len(sleeps) == 3
    assert all(0 < s <= RetryPolicy().max_delay * 1.5 for s in sleeps)
    with pytest.raises(TransportError) as info:
        client.whoami()
    text = " ".join([str(info.value), repr(info.value), res.advice, repr(res), repr(client), caplog.text])
    assert "xoxb-secret-token-123" not in text and "secret-token" not in text


@pytest.mark.emulator(rate_limits=False, latency_ms=1500)
def test_timeouts_are_retried_then_reported(emulator):
    sleeps = Sleeps()
    client = LockClient(make_client("xoxb-emu-alpha", base_url=emulator.base_url, timeout=1),
                        sleep=sleeps, retry=RetryPolicy(attempts=2))
    with pytest.raises(TransportError) as info:
        client.whoami()
    assert "timed out" in str(info.value)
    assert len(sleeps) == 1
