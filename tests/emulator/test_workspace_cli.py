"""Workspace TOML (round trip, line-precise errors) and the `slackmq emulator` command."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from slack_sdk import WebClient

from slackmq_core.emulator import (
    EmulatorConfig,
    WorkspaceError,
    default_workspace,
    dump_workspace,
    load_workspace,
    run_in_thread,
)

SMALL = """\
emoji = ["rocketship"]

[team]
id = "T0SMALL001"
name = "Small"
domain = "small"

[[users]]
id = "U0ONE00001"
name = "one"
is_bot = true
bot_id = "B0ONE00001"
app_id = "A0ONE00001"

[[tokens]]
token = "xoxb-small-one"
user = "U0ONE00001"
scopes = ["chat:write", "reactions:write", "reactions:read"]

[[channels]]
id = "C0WORK0001"
name = "work"
members = ["U0ONE00001"]

[[apps]]
id = "A0ONE00001"
name = "one"
bot_user = "U0ONE00001"
"""


def test_default_workspace_round_trips(tmp_path):
    path = tmp_path / "ws.toml"
    path.write_text(dump_workspace(default_workspace()))
    assert load_workspace(path) == default_workspace()


def test_custom_workspace_is_served(tmp_path):
    path = tmp_path / "ws.toml"
    path.write_text(SMALL)
    ws = load_workspace(path)
    assert load_workspace_text(dump_workspace(ws), tmp_path) == ws
    with run_in_thread(EmulatorConfig(workspace_file=path)) as emu:
        c = WebClient(token="xoxb-small-one", base_url=emu.base_url)
        assert c.auth_test()["team_id"] == "T0SMALL001"
        ts = c.chat_postMessage(channel="work", text="hi")["ts"]
        assert c.reactions_add(channel="C0WORK0001", timestamp=ts, name="rocketship")["ok"]


def load_workspace_text(text, tmp_path):
    p = tmp_path / "again.toml"
    p.write_text(text)
    return load_workspace(p)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('name = "one"\nis_bot', 'is_bot', 1),
         r"ws\.toml:8: users\[0\]: missing 'name'"),
        (lambda t: t.replace('members = ["U0ONE00001"]', 'members = ["U0GHOST001"]'),
         r"ws\.toml:20: channels\[0\]: member 'U0GHOST001' is not a user"),
        (lambda t: t.replace('token = "xoxb-small-one"', 'token = "abc"'),
         r"ws\.toml:15: tokens\[0\]: a token must start with xoxb-, xoxp- or xapp-"),
        (lambda t: t.replace('id = "C0WORK0001"', 'id = "work"'),
         r"ws\.toml:20: channels\[0\]: id 'work' does not look like a Slack id"),
        (lambda t: t + "\n[[apps]]\nid = \"A0TWO00001\"\nname = \"two\"\nbot_user = \"U0ONE00001\"\n"
         "events = [\"star_added\"]\n",
         r"ws\.toml:30: apps\[1\]: unknown event 'star_added'; valid: message.channels"),
        (lambda t: t.replace("[[apps]]", "[[apps]]\ncolour = \"red\""),
         r"ws\.toml:25: apps\[0\]: unknown key 'colour'; valid: id, name, bot_user, events"),
        (lambda t: t.replace('name = "work"', "name = work"),
         r"ws\.toml: not valid TOML: Invalid value \(at line 22, column 8\)"),
    ],
)
def test_bad_workspace_files_name_the_line(tmp_path, edit, message):
    path = tmp_path / "ws.toml"
    path.write_text(edit(SMALL))
    with pytest.raises(WorkspaceError, match=message):
        load_workspace(path)


def _cli(*args, timeout=30):
    return subprocess.run([sys.executable, "-m", "slackmq_tui", "emulator", *args],
                          capture_output=True, text=True, timeout=timeout)


def test_dump_workspace_cli(tmp_path):
    out = _cli("--dump-workspace")
    assert out.returncode == 0 and out.stderr == ""
    path = tmp_path / "ws.toml"
    path.write_text(out.stdout)
    assert load_workspace(path) == default_workspace()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--error-rate", "1.5"], "--error-rate must be between 0 and 1, not 1.5"),
        (["--time-scale", "0"], "--time-scale must be a number > 0, not 0"),
        (["--port", "http"], "--port must be an integer, not 'http'"),
        (["--rate-limits", "maybe"], "--rate-limits must be 'on' or 'off', not 'maybe'"),
        (["--workspace", "/no/such/ws.toml"], "/no/such/ws.toml: cannot read workspace file"),
    ],
)
def test_bad_flags_one_line_exit_2(args, fragment):
    out = _cli(*args)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and fragment in out.stderr


def test_bad_workspace_file_cli(tmp_path):
    path = tmp_path / "ws.toml"
    path.write_text(SMALL.replace('members = ["U0ONE00001"]', 'members = ["U0GHOST001"]'))
    out = _cli("--workspace", str(path))
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert f"{path}:20: channels[0]: member 'U0GHOST001' is not a user" in out.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_one_line_serves_and_stops_on_signal(sig):
    proc = subprocess.Popen([sys.executable, "-m", "slackmq_tui", "emulator", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("emulator listening on http://127.0.0.1:")
        assert line.endswith("/api/\n")
        base_url = line.split()[-1]
        assert WebClient(token="xoxb-emu-alpha", base_url=base_url).auth_test()["ok"]
        proc.send_signal(sig)
        assert proc.wait(15) == 0
        assert proc.stdout.read() == "" and proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        proc.stdout.close()
        proc.stderr.close()
