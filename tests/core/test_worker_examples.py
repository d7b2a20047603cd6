"""The examples/ recipes and SIGTERM, as real processes pointed at the emulator by SLACKMQ_API_URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from watch_helpers import JOBS, PUBLISHER

from slackmq_core import LockClient, LockState, make_client

pytestmark = pytest.mark.emulator(rate_limits=False)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def wait_until(predicate, timeout: float = 30.0, what: str = "condition", proc=None):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process exited ({proc.returncode}) before {what}: "
                                 f"{proc.stderr.read()[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def spawn(emulator, args: list[str], bot="xoxb-emu-alpha", app="xapp-emu-alpha") -> subprocess.Popen:
    env = {**os.environ, "SLACKMQ_API_URL": emulator.base_url, "SLACK_BOT_TOKEN": bot,
           "PYTHONUNBUFFERED": "1"}
    if app:
        env["SLACK_APP_TOKEN"] = app
    return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def terminate(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def thread_replies(emulator, ts: str) -> list[str]:
    msgs = emulator.control.snapshot()["channels"][JOBS]["messages"]
    return [m["text"] for m in msgs if m.get("thread_ts") == ts and m["ts"] != ts
            and "failed" not in m.get("text", "") and "lease" not in m.get("text", "").lower()]


def inspect(emulator, ts: str):
    return LockClient(make_client("xoxb-emu-console", base_url=emulator.base_url)).inspect(JOBS, ts)


def wait_ready(emulator, user: str, method: str, proc) -> None:
    """Until the process has made ``method`` (its start-up scan) — no sleeping on a guess."""
    wait_until(lambda: emulator.control.stats()["calls_by_user"].get(user, {}).get(method),
               what=f"{method} by {user}", proc=proc)


@pytest.mark.parametrize("app", ["xapp-emu-alpha", None], ids=["socket", "polling"])
def test_hostname_worker_answers_once_and_exits_on_sigterm(emulator, app):
    procs = [spawn(emulator, [str(EXAMPLES / "hostname_worker.py")], app=app),
             spawn(emulator, [str(EXAMPLES / "hostname_worker.py")], bot="xoxb-emu-bravo",
                   app=app and "xapp-emu-bravo")]
    try:
        for proc, user in zip(procs, ("U0ALPHA001", "U0BRAVO001"), strict=True):
            wait_ready(emulator, user, "conversations.history", proc)
        ignored = emulator.control.post(JOBS, PUBLISHER, "good morning")
        ts = emulator.control.post(JOBS, PUBLISHER, "hostname?")
        wait_until(lambda: inspect(emulator, ts).state is LockState.DONE, what="the job done")
        replies = thread_replies(emulator, ts)
        assert len(replies) == 1 and replies[0].startswith("Hello from ")
        assert inspect(emulator, ignored).state is LockState.PENDING
    finally:
        codes = [terminate(p) for p in procs]
    assert codes == [0, 0]


def test_sigterm_hands_an_unfinished_job_back(emulator, tmp_path):
    script = tmp_path / "slow_worker.py"
    script.write_text(textwrap.dedent("""
        import os, sys, time
        from slackmq_core import Worker

        def handle(job):
            print("started", job.ts, flush=True)
            time.sleep(60)                   # far longer than the test: SIGTERM comes first

        Worker(os.environ["SLACK_BOT_TOKEN"], "jobs", handle, app_token=os.environ["SLACK_APP_TOKEN"],
               drain_timeout=0.2).serve()
        print("exited cleanly", flush=True)
    """))
    proc = spawn(emulator, [str(script)])
    try:
        wait_ready(emulator, "U0ALPHA001", "conversations.history", proc)
        ts = emulator.control.post(JOBS, PUBLISHER, "long job")
        assert proc.stdout.readline().split() == ["started", ts]
        assert inspect(emulator, ts).state is LockState.LOCKED
    finally:
        code = terminate(proc)
    assert code == 0 and "exited cleanly" in proc.stdout.read()
    lock = inspect(emulator, ts)
    assert lock.state is LockState.PENDING and not lock.marks


def test_bolt_listener_takes_the_lock_before_answering(emulator):
    proc = spawn(emulator, [str(EXAMPLES / "bolt_socket_listener.py")])
    try:
        wait_until(lambda: emulator.control.stats().get("socket_mode", {}).get("connections"),
                   what="the Bolt socket", proc=proc)
        ts = emulator.control.post(JOBS, PUBLISHER, "hostname please")
        wait_until(lambda: inspect(emulator, ts).state is LockState.DONE, what="the job done", proc=proc)
        assert len(thread_replies(emulator, ts)) == 1
    finally:
        code = terminate(proc)
    assert code == 0
