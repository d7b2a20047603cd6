"""`slackmq config path|show|init`, --help everywhere, and config errors as one line, exit 2."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from slackmq_tui.cli import COMMANDS, main

BOT = "xoxb-emu-alpha"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(err: str, *needles: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("slackmq: error: ") and "Traceback" not in err
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_help(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and out.startswith(f"usage: slackmq {command}")


def test_no_command_prints_help_and_exits_2(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "usage: slackmq" in err


def test_usage_errors_exit_2(capsys):
    code, _, err = run(capsys, "ack", "jobs")
    assert code == 2 and "the following arguments are required: TS" in err
    code, _, err = run(capsys, "config", "frobnicate")
    assert code == 2 and "invalid choice" in err


def test_config_path_honours_slackmq_config(capsys, tmp_path, monkeypatch):
    code, out, _ = run(capsys, "config", "path")
    assert code == 0 and out.strip() == str(tmp_path / "xdg-config" / "slackmq" / "config.toml")
    monkeypatch.setenv("SLACKMQ_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert run(capsys, "config", "path")[1].strip() == str(tmp_path / "elsewhere.toml")


def test_config_init_writes_a_private_template_once(capsys, tmp_path):
    path = tmp_path / "xdg-config" / "slackmq" / "config.toml"
    code, out, _ = run(capsys, "config", "init")
    assert code == 0 and str(path) in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("# my edits\n")
    code, _, err = run(capsys, "config", "init")
    assert code == 2
    assert_one_error_line(err, str(path), "already exists", "--force")
    assert path.read_text() == "# my edits\n"
    assert run(capsys, "config", "init", "--force")[0] == 0
    assert "[profiles.default]" in path.read_text()


def test_config_show_never_prints_tokens(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-emu-alpha")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[profiles.default]\nuser_token = "xoxp-emu-dana"\nworkspace = "Acme"\n')
    os.chmod(cfg, 0o600)
    monkeypatch.setenv("SLACKMQ_CONFIG", str(cfg))
    code, out, err = run(capsys, "config", "show", "--api-url", "http://127.0.0.1:1/api")
    assert code == 0, err
    assert "bot token       set (from env SLACK_BOT_TOKEN)" in out
    assert "app token       set (from env SLACK_APP_TOKEN)" in out
    assert f"user token      set (from user_token in {cfg})" in out
    assert "http://127.0.0.1:1/api/ (from --api-url)" in out and "Acme" in out
    code, out_json, _ = run(capsys, "config", "show", "--json")
    data = json.loads(out_json)
    assert data["bot_token"] == "set (from env SLACK_BOT_TOKEN)" and data["workspace"] == "Acme"
    for text in (out, out_json, err):
        for token in (BOT, "xapp-emu-alpha", "xoxp-emu-dana"):
            assert token not in text


@pytest.mark.parametrize("body, argv, needles", [
    ("[profiles.default]\nstrategy = = 1\n", [], ["malformed TOML in", "line 2"]),
    ("[profiles.default]\ncolour = 'red'\n", [], ["unknown key 'colour'", "line 2", "valid keys"]),
    ("[profiles.a]\n", ["--profile", "nope"], ["unknown profile 'nope'", "profiles: a"]),
    (f"[profiles.default]\nbot_token = '{BOT}'\n", [], ["mode 0644", "run: chmod 600"]),
])
def test_config_errors_are_one_line_exit_2(capsys, monkeypatch, tmp_path, body, argv, needles):
    cfg = tmp_path / "c.toml"
    cfg.write_text(body)
    os.chmod(cfg, 0o644)
    monkeypatch.setenv("SLACKMQ_CONFIG", str(cfg))
    code, out, err = run(capsys, "config", "show", *argv)
    assert code == 2 and out == ""
    assert_one_error_line(err, str(cfg), *needles)
    assert BOT not in err


def test_unreadable_config_exits_2(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SLACKMQ_CONFIG", str(tmp_path))
    code, _, err = run(capsys, "locks", "jobs")
    assert code == 2
    assert_one_error_line(err, f"cannot read config {tmp_path}")


def test_unknown_profile_from_env_exits_2(capsys, monkeypatch):
    monkeypatch.setenv("SLACKMQ_PROFILE", "staging")
    code, _, err = run(capsys, "whoami")
    assert code == 2
    assert_one_error_line(err, "unknown profile 'staging'", "slackmq config init")


def test_no_token_says_how_to_set_one(capsys):
    code, _, err = run(capsys, "locks", "jobs")
    assert code == 2
    assert_one_error_line(err, "no Slack token", "SLACK_BOT_TOKEN")


def test_wrong_token_type_in_env_exits_2_without_echo(capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-emu-dana")
    code, _, err = run(capsys, "whoami")
    assert code == 2
    assert_one_error_line(err, "SLACK_BOT_TOKEN holds a user token")
    assert "xoxp-emu-dana" not in err


@pytest.mark.parametrize("argv, needles", [
    (["ack", "jobs", "yesterday"], ["malformed ts 'yesterday'", "1712345678.000100"]),
    (["ack", "jobs", "1712345678.000100", "--strategy", "glue"],
     ["unknown lock strategy 'glue'", "pin+reaction"]),
    (["reap", "jobs", "--older-than", "soon"], ["invalid --older-than 'soon'", "15m"]),
    (["locks", "jobs", "--api-url", "ftp://x"], ["bad API URL 'ftp://x'"]),
])
def test_bad_values_exit_2_before_any_slack_call(capsys, monkeypatch, argv, needles):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    monkeypatch.setenv("SLACKMQ_API_URL", "http://127.0.0.1:9/api/")  # nothing listens there
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert_one_error_line(err, *needles)


def test_read_only_refuses_mutations(capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    monkeypatch.setenv("SLACKMQ_API_URL", "http://127.0.0.1:9/api/")
    code, _, err = run(capsys, "ack", "jobs", "1712345678.000100", "--read-only")
    assert code == 2
    assert_one_error_line(err, "ack refused", "read-only")


def test_force_unack_without_a_terminal_needs_yes(capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    code, out, err = run(capsys, "force-unack", "jobs", "1712345678.000100")
    assert code == 2 and out == ""
    assert_one_error_line(err, "re-run with --yes", "--dry-run")


def test_the_installed_entry_point_runs(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path)}
    env.pop("SLACKMQ_CONFIG", None)
    exe = os.path.join(os.path.dirname(sys.executable), "slackmq")
    done = subprocess.run([exe, "config", "path"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == str(tmp_path / "slackmq" / "config.toml")
    done = subprocess.run([sys.executable, "-m", "slackmq_tui", "ack", "jobs", "x"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("slackmq: error: ")


def test_parser_never_imports_textual_and_our_command_modules_stay_light():
    code = ("import sys; from slackmq_tui.cli import build_parser; build_parser(); "
            "bad = [m for m in sys.modules if m.split('.')[0] == 'textual']; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    mods = ", ".join(f"slackmq_tui.commands.{m}" for m in ("locks", "lockops", "reap", "whoami", "config"))
    code = (f"import sys, {mods}; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'slack_sdk')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
