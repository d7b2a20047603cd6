"""`slackmq tui` / `slackmq-tui`: options reach the app; bad input is one line, exit 2."""

from __future__ import annotations

import pytest

from slackmq_tui import cli
from slackmq_tui.app import SlackMQApp, make_app


@pytest.fixture
def ran(monkeypatch):
    """Replace App.run: record the app the command built instead of opening a terminal."""
    apps: list[SlackMQApp] = []

    def fake_run(self, *args, **kwargs):
        apps.append(self)

    monkeypatch.setattr(SlackMQApp, "run", fake_run)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-emu-console")
    monkeypatch.setenv("SLACKMQ_API_URL", "http://127.0.0.1:9/api/")
    return apps


def test_options_reach_the_app(ran):
    assert cli.tui_main(["--read-only", "-c", "jobs", "-c", "#builds",
                         "--theme", "textual-light"]) == 0
    (app,) = ran
    assert app.services.read_only and app.services.client.options.read_only
    assert tuple(app.services.channels) == ("jobs", "#builds")
    assert app.theme == "textual-light"


def test_an_unknown_theme_is_one_line_and_exit_2(ran, capsys):
    assert cli.main(["tui", "--theme", "neon-pink"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'neon-pink'" in err[0] and "textual-dark" in err[0]
    assert not ran


def test_make_app_needs_a_bot_token():
    from slackmq_core import ConfigError, Profile

    with pytest.raises(ConfigError, match="no bot token"):
        make_app(Profile(name="empty"))


def test_no_token_says_so_and_hands_over_to_the_demo(monkeypatch, capsys):
    from slackmq_tui.commands import demo

    called = []
    monkeypatch.setattr(demo, "run", lambda args: called.append(args) or 0)
    assert cli.main(["tui"]) == 0
    assert called
    assert "no Slack bot token" in capsys.readouterr().err
