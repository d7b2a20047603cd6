"""ack / unack / done / force-unack / locks / reap / whoami against the emulator, checked through
the Slack API, the audit log, and for token leaks (at debug log level)."""

from __future__ import annotations

import io

import pytest

from cli_helpers import JOBS, audit_entries, pins, reactions

CONSOLE, ALPHA, BRAVO = "U0CONSOL01", "U0ALPHA001", "U0BRAVO001"


def one_error_line(run, *needles):
    lines = run.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("slackmq: error: "), run.err
    assert "Traceback" not in run.err
    for n in needles:
        assert n in lines[0], lines[0]


# --- ack / unack / done ---------------------------------------------------------------------------

def test_ack_pins_and_reacts_and_is_audited(cli, post, web, state_dir):
    ts = post("job 1")
    r = cli("ack", "#jobs", ts)
    assert r.code == 0, r.err
    assert r.out.startswith(f"acquired {ts} in #jobs")
    assert pins(web) == {ts: CONSOLE}
    assert CONSOLE in reactions(web, ts)["lock"]
    [entry] = audit_entries(state_dir)
    assert (entry["action"], entry["channel"], entry["ts"], entry["result"]) == (
        "acquire", JOBS, ts, "acquired")
    assert "slackmq cli" in entry["actor"]


def test_ack_of_a_held_message_fails_with_the_holder_and_changes_nothing(cli, post, web):
    ts = post()
    assert cli("ack", "jobs", ts, token="xoxb-emu-alpha").code == 0
    r = cli("ack", "jobs", ts)
    assert r.code == 1 and "held by alpha" in r.out
    assert pins(web) == {ts: ALPHA}
    assert CONSOLE not in reactions(web, ts).get("lock", [])


def test_ack_with_strategy_pin_places_only_the_pin(cli, post, web):
    ts = post()
    r = cli("ack", "jobs", ts, "--strategy", "pin", "--json")
    assert r.code == 0 and r.json["outcome"] == "acquired"
    assert pins(web) == {ts: CONSOLE} and reactions(web, ts) == {}


def test_unack_releases_own_marks(cli, post, web, state_dir):
    ts = post()
    cli("ack", JOBS, ts)
    r = cli("unack", JOBS, ts)
    assert r.code == 0 and r.out.startswith(f"released {ts}")
    assert pins(web) == {} and reactions(web, ts) == {}
    assert [e["action"] for e in audit_entries(state_dir)] == ["acquire", "release"]


def test_unack_of_someone_elses_lock_changes_nothing(cli, post, web):
    ts = post()
    cli("ack", "jobs", ts, token="xoxb-emu-alpha")
    r = cli("unack", "jobs", ts)
    assert r.code == 1 and "holds no lock mark" in r.out
    assert pins(web) == {ts: ALPHA}


def test_done_marks_done_and_releases(cli, post, web):
    ts = post()
    cli("ack", "jobs", ts)
    r = cli("done", "jobs", ts)
    assert r.code == 0 and r.out.startswith(f"completed {ts}")
    assert pins(web) == {}
    assert CONSOLE in reactions(web, ts)["white_check_mark"]
    again = cli("ack", "jobs", ts)
    assert again.code == 1 and "done already" in again.out


# --- force-unack ----------------------------------------------------------------------------------

def test_force_unack_dry_run_lists_what_will_and_will_not_be_removed(cli, post, web):
    ts = post()
    cli("ack", "jobs", ts, token="xoxb-emu-alpha")
    r = cli("force-unack", "jobs", ts, "--dry-run")
    assert r.code == 0, r.err
    will, cannot = r.out.split("cannot remove:")
    assert "pin by alpha" in will and "reaction :lock: by alpha" in cannot
    assert pins(web) == {ts: ALPHA}  # nothing changed
    plan = cli("force-unack", "jobs", ts, "--dry-run", "--json").json
    assert [m["primitive"] for m in plan["removable"]] == ["pin"]
    assert [f["mark"]["primitive"] for f in plan["not_removable"]] == ["reaction"]


def test_force_unack_yes_removes_the_pin_and_says_what_it_kept(cli, post, web, state_dir):
    ts = post()
    cli("ack", "jobs", ts, token="xoxb-emu-alpha")
    r = cli("force-unack", "jobs", ts, "--yes")
    assert r.code == 0, r.err
    assert "removed pin by alpha" in r.out and "kept reaction :lock: by alpha" in r.out
    assert pins(web) == {}
    assert ALPHA in reactions(web, ts)["lock"]  # only alpha can remove its own reaction
    last = audit_entries(state_dir)[-1]
    assert (last["action"], last["ts"]) == ("force_release", ts)


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_force_unack_asks_on_a_terminal_and_a_no_changes_nothing(cli, post, web, monkeypatch):
    ts = post()
    cli("ack", "jobs", ts, token="xoxb-emu-alpha")
    monkeypatch.setattr("sys.stdin", FakeTTY("no\n"))
    r = cli("force-unack", "jobs", ts)
    assert r.code == 1 and "not stale" in r.out and "cancelled" in r.err
    assert pins(web) == {ts: ALPHA}
    monkeypatch.setattr("sys.stdin", FakeTTY(ts + "\n"))  # a live lock: type its ts
    r = cli("force-unack", "jobs", ts)
    assert r.code == 0 and pins(web) == {}


def test_ctrl_c_at_the_prompt_exits_130_and_changes_nothing(cli, post, web, monkeypatch):
    ts = post()
    cli("ack", "jobs", ts, token="xoxb-emu-alpha")
    monkeypatch.setattr("sys.stdin", FakeTTY(""))

    def interrupt(prompt=""):
        raise KeyboardInterrupt

    monkeypatch.setattr("builtins.input", interrupt)
    r = cli("force-unack", "jobs", ts)
    assert r.code == 130 and pins(web) == {ts: ALPHA}


# --- locks and reap -------------------------------------------------------------------------------

@pytest.fixture
def old_lock(emulator, post):
    """A message pinned by bravo two hours ago (stale), next to a fresh lock by alpha."""
    import time

    stale = post("stale job")
    emulator.control.seed(pins=[{"channel": JOBS, "ts": stale, "user": BRAVO,
                                 "created": int(time.time()) - 7200}])
    return stale


def test_locks_lists_holders_states_and_ages(cli, post, old_lock):
    fresh = post("fresh job with a long text " + "x" * 300)
    cli("ack", "jobs", fresh, token="xoxb-emu-alpha")
    r = cli("locks", "jobs")
    assert r.code == 0, r.err
    header, *rows, footer = r.out.splitlines()
    assert header.split()[:5] == ["TS", "STATE", "HOLDER(S)", "AGE", "LEASE"]
    by_ts = {row.split()[0]: row for row in rows}
    assert "stale" in by_ts[old_lock] and "bravo" in by_ts[old_lock] and "2h00m" in by_ts[old_lock]
    assert "locked" in by_ts[fresh] and "alpha" in by_ts[fresh]
    assert footer == "2 locks in #jobs (C0JOBS0001)"
    stale_only = cli("locks", "jobs", "--stale", "--json").json
    assert [m["ts"] for m in stale_only["locks"]] == [old_lock]
    assert stale_only["locks"][0]["holders"][0]["user_id"] == BRAVO
    assert stale_only["locks"][0]["age"] >= 7200


def test_locks_read_only_profile_still_lists(cli, old_lock, monkeypatch, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[profiles.watch]\nread_only = true\n")
    monkeypatch.setenv("SLACKMQ_CONFIG", str(cfg))
    r = cli("locks", "jobs", "--profile", "watch")
    assert r.code == 0 and old_lock in r.out
    refused = cli("reap", "jobs", "--profile", "watch")
    assert refused.code == 2
    one_error_line(refused, "reap refused", "read-only")


def test_reap_dry_run_then_reap(cli, post, web, old_lock, state_dir):
    fresh = post()
    cli("ack", "jobs", fresh, token="xoxb-emu-alpha")
    dry = cli("reap", "jobs", "--older-than", "15m", "--dry-run")
    assert dry.code == 0 and f"would reap {old_lock}" in dry.out and fresh not in dry.out
    assert pins(web) == {old_lock: BRAVO, fresh: ALPHA}
    r = cli("reap", "jobs", "--older-than", "1h30m", "--json")
    assert r.code == 0, r.err
    assert [x["ts"] for x in r.json["reaped"]] == [old_lock]
    assert pins(web) == {fresh: ALPHA}
    reaped = [e for e in audit_entries(state_dir) if e["action"] == "reap"]
    assert [e["ts"] for e in reaped] == [old_lock]


def test_reap_says_which_marks_only_their_holder_can_remove(cli, emulator, post, web):
    import time

    ts = post()
    emulator.control.seed(pins=[{"channel": JOBS, "ts": ts, "user": ALPHA,
                                 "created": int(time.time()) - 3600}],
                          reactions=[{"channel": JOBS, "ts": ts, "user": ALPHA, "name": "lock"}])
    r = cli("reap", "jobs", "--older-than", "30m")
    assert r.code == 0, r.err
    assert f"reaped {ts}: removed pin by alpha" in r.out
    assert "kept reaction :lock: by alpha-worker" in r.out
    assert pins(web) == {} and ALPHA in reactions(web, ts)["lock"]


def test_bad_log_level_is_one_line_exit_2(cli, monkeypatch):
    monkeypatch.setenv("SLACKMQ_LOG_LEVEL", "loud")
    r = cli("locks", "jobs")
    assert r.code == 2
    one_error_line(r, "invalid SLACKMQ_LOG_LEVEL 'loud'", "debug")


def test_reap_with_nothing_stale(cli, post):
    cli("ack", "jobs", post(), token="xoxb-emu-alpha")
    r = cli("reap", "jobs")
    assert r.code == 0 and "0 reaped" in r.out


# --- whoami ---------------------------------------------------------------------------------------

def test_whoami_bot(cli):
    r = cli("whoami")
    assert r.code == 0, r.err
    assert "slackmq-console (U0CONSOL01), bot" in r.out and "SlackMQ Demo (T0SLACKMQ1)" in r.out
    assert "bot token (from env SLACK_BOT_TOKEN)" in r.out
    assert "app token  not set" in r.out
    data = cli("whoami", "--json").json
    assert data["user_id"] == CONSOLE and data["token_type"] == "bot" and data["is_bot"]
    assert data["token_source"] == "env SLACK_BOT_TOKEN"
    assert "user token" in data["strategies"]["pin+star"]  # bots cannot star


def test_whoami_lists_scopes_and_what_each_strategy_can_do(cli):
    data = cli("whoami", "--json").json
    assert "pins:write" in data["scopes"] and data["strategies"]["pin+reaction"] == "ok"
    nopin = cli("whoami", "--json", token="xoxb-emu-nopin").json
    assert "pins:write" in nopin["strategies"]["pin"]


def test_whoami_user_token(cli):
    r = cli("whoami", "--json", token=None, user_token="xoxp-emu-dana")
    assert r.code == 0, r.err
    assert r.json["user_id"] == "U0OPSDANA1" and r.json["token_type"] == "user"
    assert not r.json["is_bot"] and r.json["token_source"] == "env SLACK_USER_TOKEN"


# --- bad input: one line on stderr, exit 2, nothing changed --------------------------------------

def test_unknown_channel(cli, post, web):
    ts = post()
    r = cli("ack", "nosuchchannel", ts)
    assert r.code == 2 and r.out == ""
    one_error_line(r, "nosuchchannel")
    assert pins(web) == {}


@pytest.mark.parametrize("argv", [["ack"], ["unack"], ["done"], ["force-unack", "--yes"],
                                  ["force-unack", "--dry-run"]])
def test_message_that_does_not_exist(cli, post, web, argv):
    post()
    r = cli(argv[0], "jobs", "1500000000.000001", *argv[1:])
    assert r.code == 2 and r.out == ""
    one_error_line(r, f"{argv[0]} 1500000000.000001 in #jobs", "message_not_found")
    assert pins(web) == {}


def test_missing_scope_names_the_scope(cli, post, web):
    ts = post()
    r = cli("ack", "jobs", ts, token="xoxb-emu-nopin")
    assert r.code == 2
    one_error_line(r, "pins:write")
    assert pins(web) == {} and reactions(web, ts) == {}


def test_star_strategy_with_a_bot_token(cli, post, web):
    ts = post()
    r = cli("ack", "jobs", ts, "--strategy", "pin+star")
    assert r.code == 2
    one_error_line(r, "not_allowed_token_type")
    assert pins(web) == {}


def test_invalid_token(cli, post):
    post()
    r = cli("locks", "jobs", token="xoxb-not-a-real-one")
    assert r.code == 2
    one_error_line(r, "invalid_auth")
    assert "xoxb-not-a-real-one" not in r.err


def test_unreachable_api_url(cli, post, monkeypatch):
    ts = post()
    r = cli("ack", "jobs", ts, "--api-url", "http://127.0.0.1:9/api/")
    assert r.code == 2 and r.out == ""
    one_error_line(r, "cannot reach the Slack API http://127.0.0.1:9/api/", "--api-url")
