"""The installed `slackmq` entry point, run as a real process against the emulator: exit codes,
effects seen through the Slack API, the audit file, and no token anywhere at debug log level."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import JOBS, PUBLISHER, assert_no_tokens, audit_entries, files_text, pins

EXE = str(Path(sys.executable).with_name("slackmq"))


@pytest.fixture
def slackmq(emulator, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK", "XDG_"))}
    env.update(SLACKMQ_API_URL=emulator.base_url, SLACKMQ_LOG_LEVEL="debug",
               XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
               XDG_STATE_HOME=str(tmp_path / "xdg-state"))

    def run(*argv: str, token: str = "xoxb-emu-console", stdin: str | None = None):
        done = subprocess.run([EXE, *argv], env={**env, "SLACK_BOT_TOKEN": token}, text=True,
                              capture_output=True, timeout=60, input=stdin)
        assert "Traceback" not in done.stderr
        assert_no_tokens(done.stdout, done.stderr)
        return done

    return run


def test_ack_locks_json_and_force_unack_as_processes(slackmq, emulator, web, tmp_path):
    state = tmp_path / "xdg-state" / "slackmq"
    ts = emulator.control.post(JOBS, PUBLISHER, "job for a process")
    assert slackmq("ack", "jobs", ts, token="xoxb-emu-alpha").returncode == 0
    assert pins(web) == {ts: "U0ALPHA001"}

    listed = slackmq("locks", "#jobs", "--json")
    assert listed.returncode == 0
    data = json.loads(listed.stdout)
    assert data["channel"]["id"] == JOBS
    assert [(m["ts"], m["state"], m["holders"][0]["name"]) for m in data["locks"]] == [
        (ts, "locked", "alpha-worker")]

    refused = slackmq("force-unack", "jobs", ts, stdin="")  # stdin is not a terminal
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert pins(web) == {ts: "U0ALPHA001"}

    forced = slackmq("force-unack", "jobs", ts, "--yes")
    assert forced.returncode == 0 and "removed pin by alpha-worker" in forced.stdout
    assert pins(web) == {}

    entries = audit_entries(state)
    assert [(e["action"], e["result"]) for e in entries] == [
        ("acquire", "acquired"), ("force_release", "partial")]
    assert "as alpha-worker (U0ALPHA001)" in entries[0]["actor"]
    assert "as slackmq-console (U0CONSOL01)" in entries[1]["actor"]

    log = (state / "log" / "slackmq.log").read_text()
    assert "DEBUG" in log and "pins.add" in log and "Authorization" in log  # really at debug
    assert_no_tokens(*files_text(state))


def test_bad_input_as_a_process_is_one_line_and_exit_2(slackmq, emulator, web):
    ts = emulator.control.post(JOBS, PUBLISHER, "job")
    for argv in (["ack", "nosuch", ts], ["ack", "jobs", "12.5"], ["ack", "jobs", "1500000000.000001"],
                 ["unack", "jobs", ts, "--api-url", "http://127.0.0.1:9/api/"]):
        done = slackmq(*argv)
        assert done.returncode == 2, (argv, done.stderr)
        assert done.stdout == "" and done.stderr.startswith("slackmq: error: ")
        assert done.stderr.count("\n") == 1, done.stderr
    assert pins(web) == {}


def test_token_command_as_a_process_never_shows_its_output(slackmq, tmp_path):
    helper = tmp_path / "helper.py"
    helper.write_text("import sys\nprint('xoxb-emu-console')\nsys.exit(1)\n")
    cfg = tmp_path / "xdg-config" / "slackmq" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(f"[profiles.default]\ntoken_command = '{sys.executable} {helper}'\n")
    os.chmod(cfg, 0o600)
    done = slackmq("whoami", token="")
    assert done.returncode == 2 and "exit status 1" in done.stderr
    helper.write_text("print('xoxb-emu-console')\n")
    done = slackmq("whoami", "--json", token="")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["token_source"] == "token_command"


def test_claim_lock_taken_by_one_run_is_completed_by_a_later_run(slackmq, emulator, web):
    """Each run is a new process; the CLI's claim note names the operator, not the pid."""
    ts = emulator.control.post(JOBS, PUBLISHER, "job claimed from the shell")
    taken = slackmq("ack", "jobs", ts, "--strategy", "claim")
    assert taken.returncode == 0, taken.stderr
    assert pins(web) == {ts: "U0CONSOL01"}
    done = slackmq("done", "jobs", ts)
    assert done.returncode == 0, done.stdout + done.stderr
    assert pins(web) == {}
    replies = web.conversations_replies(channel=JOBS, ts=ts)["messages"]
    assert [m["ts"] for m in replies] == [ts]  # the claim note went with the lock
