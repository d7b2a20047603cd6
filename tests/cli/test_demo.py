"""The embedded demo fleet, headless: real slack_sdk workers against the in-process emulator.

One short run (a few seconds of wall time; the emulator's rate-limit clock 60x) checks what the demo
promises: every published job is taken by exactly one worker, the crashing worker's lock turns
stale in the core's eyes, the slow worker's heartbeats keep its lock alive past the stale TTL, and
stop() leaves no thread behind.
"""

from __future__ import annotations

import threading
import time

import pytest

from slackmq_core import LockClient, LockOptions, LockState, make_client
from slackmq_core._demo_data import CRASH_KIND, GENERAL_KINDS, SLOW_KIND, kind_of
from slackmq_core.demo import CHANNEL, Demo, DemoConfig, roster
from slackmq_tui.cli import main

FAST = dict(seed=3, rate=5.0, time_scale=60.0, job_seconds=(0.1, 0.4), stale_ttl=2.0,
            lease_seconds=3.0, slow_seconds=8.0, crash_after=0.3, max_jobs=14)


def wait_for(what: str, predicate, timeout: float = 30.0, every: float = 0.05):
    """Poll ``predicate`` until it returns something truthy (returned) or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def console_view(demo: Demo) -> LockClient:
    opts = LockOptions(stale_after=demo.config.stale_ttl, lease_seconds=demo.config.lease_seconds)
    return LockClient(make_client("xoxb-emu-console", base_url=demo.base_url), opts)


def job_states(view: LockClient) -> dict[str, tuple[str, LockState]]:
    page = view.history(CHANNEL, limit=200)
    return {m.ts: (kind_of(m.text), m.state) for m in page.messages if kind_of(m.text)}


def test_fleet_runs_each_job_once_crash_goes_stale_slow_lease_lives_and_all_stops():
    before = set(threading.enumerate())
    demo = Demo(DemoConfig(**FAST)).start()
    try:
        view = console_view(demo)
        seeded_stale = demo.seeded["stale"][0]
        assert view.inspect(CHANNEL, seeded_stale).state is LockState.STALE   # from the first frame

        # The crasher takes the one gpu-render job, dies mid-job, and its lock goes stale.
        crashed = wait_for("the GPU worker to crash", lambda: demo.crashed)[0]
        assert kind_of(view.inspect(CHANNEL, crashed).text) == CRASH_KIND
        lock = wait_for("the crashed lock to turn stale", lambda: (
            m if (m := view.inspect(CHANNEL, crashed)).state is LockState.STALE else None))
        assert [h.name for h in lock.holders] == ["bravo-worker"]
        assert lock.lease is not None and lock.lease.worker_id == "bravo-gpu"
        assert not lock.lease.alive(time.time())

        # The slow worker's report is held past the stale TTL, yet alive: its lease is renewed.
        slow_ts = wait_for("the slow worker to take a report", lambda: next(
            (ts for ts, ws in demo.jobs_started().items() if ws == ("delta-slow",)), None))
        assert kind_of(view.inspect(CHANNEL, slow_ts).text) == SLOW_KIND
        held = wait_for("the report to be held past the stale TTL", lambda: (
            m if (m := view.inspect(CHANNEL, slow_ts)).locked_since is not None
            and time.time() - m.locked_since > demo.config.stale_ttl + 1.0 else None))
        assert held.state is LockState.LOCKED
        assert held.lease is not None and held.lease.worker_id == "delta-slow"
        assert held.lease.alive(time.time())
        assert demo.worker("delta-slow").stats.heartbeats >= 1

        # Every general job published ends done or failed, each run by exactly one worker.
        history = {ts for outcome in ("done", "failed", "stale") for ts in demo.seeded[outcome]}

        def all_finished():
            states = job_states(view)
            general = {ts: s for ts, (kind, s) in states.items()
                       if kind in GENERAL_KINDS and ts not in history}
            return demo.published >= FAST["max_jobs"] and all(
                s in (LockState.DONE, LockState.FAILED) for s in general.values()) and general

        general = wait_for("every general job to finish", all_finished)
        assert len(general) == FAST["max_jobs"] - 2 + 2   # 12 published (+ a report, a render), 2 seeded
        starts = demo.jobs_started()
        assert {ts: ws for ts, ws in starts.items() if len(ws) > 1} == {}
        assert set(general) <= set(starts)
        takers = {w for ts in general for w in starts[ts]}
        assert takers <= {s.name for s in roster(7) if s.role == "general"} and len(takers) >= 2
    finally:
        summary = demo.stop()
    assert not demo.running
    assert summary.duplicates == {}
    assert summary.crashed == (crashed,)
    states = {w.name: w.state for w in summary.workers}
    assert states.pop("bravo-gpu") == "crashed"
    assert set(states.values()) == {"stopped"}
    wait_for("the demo's threads to end", lambda: not (set(threading.enumerate()) - before), timeout=10)


def test_stop_is_prompt_and_idempotent_and_the_emulator_is_closed():
    import urllib.error
    import urllib.request

    demo = Demo(DemoConfig(**{**FAST, "history": False, "workers": 3})).start()
    base = demo.base_url
    t0 = time.monotonic()
    first = demo.stop()
    assert time.monotonic() - t0 < demo.config.drain_seconds + 5.0
    assert demo.stop() is first
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + "auth.test", timeout=2)   # noqa: S310 - loopback


def test_roster_covers_every_kind_of_worker_and_grows_by_connections():
    seven = roster(7)
    assert [s.name for s in seven] == ["alpha-1", "bravo-1", "charlie", "delta-slow", "bravo-gpu",
                                       "alpha-2", "bravo-2"]
    assert {s.role for s in seven} == {"general", "slow", "crash"}
    assert [s.app_token for s in seven if s.socket] == ["xapp-emu-alpha", "xapp-emu-bravo",
                                                        "xapp-emu-alpha", "xapp-emu-bravo"]
    assert [s.name for s in roster(10)[7:]] == ["alpha-3", "bravo-3", "alpha-4"]


@pytest.mark.parametrize("argv, named", [
    (["--workers", "0"], "--workers 0"),
    (["--workers", "17"], "--workers 17"),
    (["--rate", "0"], "--rate 0.0"),
    (["--faults", "sometimes"], "--faults 'sometimes'"),
    (["--duration", "-1"], "--duration -1.0"),
])
def test_bad_options_are_one_line_exit_2(capsys, argv, named):
    assert main(["demo", "--headless", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err and "Traceback" not in err


def test_demo_without_a_terminal_says_to_use_headless(capsys):
    assert main(["demo"]) == 2        # pytest's stdin is not a terminal
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--headless" in err


def test_headless_command_prints_a_summary_and_exits_0(capsys):
    code = main(["demo", "--headless", "--duration", "2", "--workers", "3", "--rate", "2",
                 "--time-scale", "60", "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("demo ran 2 s:")
    assert "no message was processed twice" in out
    for name in ("alpha-1", "bravo-1", "charlie"):
        assert f"  {name} " in out
    assert "xoxb-" not in out and "xapp-" not in out


def test_headless_json_summary(capsys):
    import json

    code = main(["demo", "--headless", "--json", "--duration", "1", "--workers", "2", "--time-scale", "60"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["duplicates"] == {}
    assert [w["name"] for w in data["workers"]] == ["alpha-1", "bravo-1"]
    assert set(data["seeded"]) == {"done", "failed", "stale", "pending"}


def test_tui_without_a_token_hands_its_own_options_to_the_demo(capsys):
    from slackmq_tui.cli import build_parser
    from slackmq_tui.commands.demo import config_from

    assert config_from(build_parser().parse_args(["tui", "--theme", "nord"])) == DemoConfig()
    assert main(["tui"]) == 2          # no token: one line, then the demo, which needs a terminal here
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and "no Slack bot token" in lines[0] and "--headless" in lines[1]
