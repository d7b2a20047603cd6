"""--state FILE: messages, pins, reactions, stars and joins survive restarts; writes are atomic."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request

import pytest
from slack_sdk import WebClient

from slackmq_core.emulator import EmulatorConfig, run_in_thread
from slackmq_core.emulator.state import StateError, load_state

JOBS, ALPHA = "C0JOBS0001", "U0ALPHA001"


def test_state_survives_restart(tmp_path):
    state = tmp_path / "state.json"
    cfg = EmulatorConfig(seed=1, state_file=state, rate_limits=False)
    with run_in_thread(cfg) as emu:
        alpha = WebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
        dana = WebClient(token="xoxp-emu-dana", base_url=emu.base_url)
        job = emu.control.post(JOBS, "U0PUBLSH01", "job 1")
        reply = alpha.chat_postMessage(channel=JOBS, text="r", thread_ts=job)["ts"]
        alpha.pins_add(channel=JOBS, timestamp=job)
        alpha.reactions_add(channel=JOBS, timestamp=job, name="lock")
        dana.stars_add(channel=JOBS, timestamp=job)
        alpha.conversations_join(channel="C0RANDOM01")
        before = emu.control.snapshot()
    assert json.loads(state.read_text()) == json.loads(json.dumps(before))
    with run_in_thread(cfg) as emu:
        alpha = WebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
        pins = alpha.pins_list(channel=JOBS)["items"]
        assert [(p["message"]["ts"], p["created_by"]) for p in pins] == [(job, ALPHA)]
        msg = alpha.reactions_get(channel=JOBS, timestamp=job)["message"]
        assert msg["reactions"][0]["users"] == [ALPHA] and msg["reply_count"] == 1
        assert WebClient(token="xoxp-emu-dana", base_url=emu.base_url).stars_list()["items"]
        assert alpha.conversations_history(channel="C0RANDOM01")["ok"]  # still joined
        newer = alpha.chat_postMessage(channel=JOBS, text="after restart")["ts"]
        assert newer > reply


def test_bad_state_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "state.json"
    bad.write_text("{not json")
    with pytest.raises(StateError, match="state.json: not valid JSON"):
        load_state(bad)
    bad.write_text('{"version": 99}')
    with pytest.raises(StateError, match="version 1 expected"):
        load_state(bad)
    assert load_state(tmp_path / "missing.json") is None


def _start(state) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "slackmq_core.emulator", "--state", str(state),
         "--rate-limits", "off"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = proc.stdout.readline().strip()
    assert line.startswith("emulator listening on http://127.0.0.1:"), line
    return proc, line.rsplit(" ", 1)[1].removesuffix("api/")


def _post(root: str, text: str) -> str:
    req = urllib.request.Request(
        f"{root}_emulator/post", method="POST",
        data=json.dumps({"channel": "jobs", "user": "U0PUBLSH01", "text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["ts"]


@pytest.mark.parametrize("kill_after", [1, 7, 23])
def test_kill_9_leaves_previous_or_new_state(tmp_path, kill_after):
    state = tmp_path / "state.json"
    proc, root = _start(state)
    acked: list[str] = []
    stop = threading.Event()

    def writer() -> None:  # keeps writing while the process is killed
        i = 0
        while not stop.is_set():
            try:
                acked.append(_post(root, f"job {i}"))
            except OSError:
                return
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(acked) < kill_after and thread.is_alive():
            thread.join(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        stop.set()
        thread.join(10)
        proc.stdout.close()
        proc.stderr.close()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "state.json"]
    snap = load_state(state)  # parses: never a torn file
    assert snap is not None
    texts = [m["text"] for m in snap["channels"]["C0JOBS0001"]["messages"]]
    saved_ts = [m["ts"] for m in snap["channels"]["C0JOBS0001"]["messages"]]
    assert texts == [f"job {i}" for i in range(len(texts))]  # a prefix, in order
    assert set(acked) <= set(saved_ts)  # every acknowledged post was on disk before the answer
    assert all(name.startswith("state.json.tmp-") for name in leftovers)
    proc2, root2 = _start(state)  # and it loads
    try:
        assert _post(root2, "after") > saved_ts[-1]
    finally:
        proc2.send_signal(signal.SIGTERM)
        proc2.wait(10)
        proc2.stdout.close()
        proc2.stderr.close()
