"""Rule 1 and 2 of issue 3 §3 under the emulator's race injection.

``race_probability`` p with a long ``race_window_ms``: a duplicate pins.add / reactions.add /
stars.add also answers ok with probability p (both callers believe they won; the state keeps the
first write). Double holders per strategy, two racers (see slackmq_core._protocol):
pin p; pin+reaction p² (same user, with or without ``single_user``) / 0 (different users); claim 0.
"""

from __future__ import annotations

import threading

import pytest
from core_helpers import ALPHA, BRAVO, JOBS, TOKENS, lock_client, marks_on, post_jobs

from slackmq_core import Outcome

WINDOW = 600_000   # ms: every duplicate write of a test falls inside it


def _race(emulator, n_msgs: int, racers: list, seq: bool = True) -> list[int]:
    """Each racer acquires every message (no release); returns the holder count per message."""
    tss = post_jobs(emulator, n_msgs)
    wins = [0] * n_msgs
    for i, ts in enumerate(tss):
        for client in racers:
            res = client.acquire(JOBS, ts)
            assert res.outcome in (Outcome.ACQUIRED, Outcome.HELD), res
            wins[i] += res.outcome is Outcome.ACQUIRED
    return wins


def _clients(emulator, tokens, **options):
    return [lock_client(emulator, tok, **options) for tok in tokens]


@pytest.mark.emulator(rate_limits=False, race_probability=1.0, race_window_ms=WINDOW)
def test_when_every_primitive_races_single_primitive_and_same_user_strategies_double_hold(emulator):
    """The stated probabilities at p = 1: pin → 1, pin+reaction with one shared user → 1."""
    assert _race(emulator, 3, _clients(emulator, ["xoxb-emu-alpha", "xoxb-emu-bravo"], strategy="pin")) \
        == [2, 2, 2]
    same = _clients(emulator, ["xoxb-emu-alpha", "xoxb-emu-alpha"], strategy="pin+reaction")
    assert _race(emulator, 3, same) == [2, 2, 2]


@pytest.mark.emulator(rate_limits=False, race_probability=1.0, race_window_ms=WINDOW)
@pytest.mark.parametrize("strategy,tokens", [
    ("pin+reaction", ["xoxb-emu-alpha", "xoxb-emu-bravo", "xoxb-emu-charlie"]),
    ("claim", ["xoxb-emu-alpha", "xoxb-emu-bravo", "xoxb-emu-charlie"]),
    ("claim", ["xoxb-emu-alpha", "xoxb-emu-alpha", "xoxb-emu-alpha"]),
    ("claim", ["xoxb-emu-alpha", "xoxb-emu-alpha", "xoxb-emu-bravo", "xoxb-emu-bravo"]),
])
def test_one_holder_even_when_every_primitive_races(emulator, strategy, tokens):
    racers = _clients(emulator, tokens, strategy=strategy)
    wins = _race(emulator, 4, racers)
    assert wins == [1] * 4
    snap = emulator.control.snapshot()
    for ts in [m["ts"] for m in snap["channels"][JOBS]["messages"] if not m.get("parent_user_id")]:
        marks = marks_on(snap, ts)
        # the racing holder's pin stays; losers took back their reactions and notes
        assert marks["pin"] is not None
        assert len(marks["reactions"]["lock"]) == 1
        if strategy == "claim":
            assert len(marks["notes"]) == 1


@pytest.mark.emulator(rate_limits=False, race_probability=0.5, race_window_ms=WINDOW, seed=7)
def test_measured_double_holders_follow_the_stated_probabilities(emulator):
    """p = 0.5, two racers, 60 messages: pin ≈ p, pin+reaction (one user) ≈ p², claim 0."""
    n = 60
    pin = sum(w == 2 for w in _race(emulator, n, _clients(emulator, ["xoxb-emu-alpha", "xoxb-emu-bravo"],
                                                          strategy="pin")))
    same_user = sum(w == 2 for w in _race(emulator, n, _clients(emulator, ["xoxb-emu-alpha"] * 2)))
    two_users = sum(w == 2 for w in _race(emulator, n, _clients(emulator, ["xoxb-emu-alpha",
                                                                              "xoxb-emu-bravo"])))
    # single_user skips the reactions.get check: the same user's reaction alone still excludes
    single = sum(w == 2 for w in _race(emulator, n, _clients(emulator, ["xoxb-emu-alpha"] * 2,
                                                             single_user=True)))
    claim = _race(emulator, n, _clients(emulator, ["xoxb-emu-alpha"] * 2, strategy="claim"))
    assert 0.3 * n <= pin <= 0.7 * n           # expected 0.5 n
    assert 0.08 * n <= same_user <= 0.45 * n    # expected 0.25 n
    assert 0.08 * n <= single <= 0.45 * n       # expected 0.25 n
    assert same_user < pin
    assert two_users == 0
    assert claim == [1] * n


@pytest.mark.emulator(rate_limits=False, race_probability=1.0, race_window_ms=WINDOW)
@pytest.mark.parametrize("strategy", ["claim", "pin+reaction"])
def test_threads_with_several_tokens_racing_on_the_same_messages(emulator, strategy):
    """4 bot users × 2 workers each (claim) or 4 users × 1 (pin+reaction), all at once."""
    per_user = 2 if strategy == "claim" else 1
    tss = post_jobs(emulator, 6)
    clients = [lock_client(emulator, tok, strategy=strategy) for tok in TOKENS.values() for _ in range(per_user)]
    results: dict[str, list] = {ts: [] for ts in tss}
    barrier = threading.Barrier(len(clients))

    def work(client):
        barrier.wait(timeout=30)
        for ts in tss:
            results[ts].append(client.acquire(JOBS, ts))

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert not any(t.is_alive() for t in threads)
    snap = emulator.control.snapshot()
    for ts, res in results.items():
        assert all(r.outcome in (Outcome.ACQUIRED, Outcome.HELD) for r in res), res
        winners = [r for r in res if r.outcome is Outcome.ACQUIRED]
        assert len(winners) == 1, (ts, res)
        marks = marks_on(snap, ts)
        assert marks["reactions"]["lock"] == [winners[0].holder.user_id]
        if strategy == "claim":
            assert len(marks["notes"]) == 1 and marks["notes"][0]["user"] == winners[0].holder.user_id


@pytest.mark.emulator(rate_limits=False, race_probability=1.0, race_window_ms=WINDOW)
def test_a_loser_never_unpins_the_racing_holders_pin(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha, bravo = _clients(emulator, ["xoxb-emu-alpha", "xoxb-emu-bravo"], strategy="claim")
    assert alpha.acquire(JOBS, ts).outcome is Outcome.ACQUIRED
    lost = bravo.acquire(JOBS, ts)     # its pins.add "won" too (race), then it lost the claim
    assert lost.outcome is Outcome.HELD and lost.holder.user_id == ALPHA
    marks = marks_on(emulator.control.snapshot(), ts)
    assert marks["pin"] == ALPHA and marks["reactions"] == {"lock": [ALPHA]}
    assert [n["user"] for n in marks["notes"]] == [ALPHA]
    assert alpha.release(JOBS, ts).outcome is Outcome.RELEASED
    assert marks_on(emulator.control.snapshot(), ts) == {"pin": None, "reactions": {}, "notes": []}
    assert bravo.acquire(JOBS, ts).holder.user_id == BRAVO
