"""CLI test helpers: run `main([...])` in-process against the emulator, read the audit log."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_helpers import JOBS, PUBLISHER, assert_no_tokens, files_text

@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


@pytest.fixture(autouse=True)
def _drop_cli_log_handler():
    """main() installs a file handler on the root logger; remove it after each test."""
    root = logging.getLogger()
    level = root.level
    yield
    from slackmq_core import _logging

    if _logging._installed is not None:
        root.removeHandler(_logging._installed)
        _logging._installed.close()
        _logging._installed = None
    root.setLevel(level)


@pytest.fixture
def state_dir(tmp_path) -> Path:
    return tmp_path / "xdg-state" / "slackmq"


@pytest.fixture
def cli(emulator, monkeypatch, capsys, state_dir):
    """``cli("ack", "jobs", ts, token="xoxb-emu-alpha") -> Run``; the console's bot by default.

    Every run is checked: no token of the workspace in stdout, stderr, the log or the audit log.
    """
    monkeypatch.setenv("SLACKMQ_API_URL", emulator.base_url)
    monkeypatch.setenv("SLACKMQ_LOG_LEVEL", "debug")

    def run(*argv: str, token: str | None = "xoxb-emu-console", user_token: str | None = None) -> Run:
        from slackmq_tui.cli import main

        for var, value in (("SLACK_BOT_TOKEN", token), ("SLACK_USER_TOKEN", user_token)):
            if value:
                monkeypatch.setenv(var, value)
            else:
                monkeypatch.delenv(var, raising=False)
        code = main(list(argv))
        out, err = capsys.readouterr()
        assert_no_tokens(out, err, *files_text(state_dir))
        return Run(code, out, err)

    return run


@pytest.fixture
def post(emulator):
    def post(text: str = "job", channel: str = JOBS) -> str:
        return emulator.control.post(channel, PUBLISHER, text)

    return post


@pytest.fixture
def web(emulator):
    """A slack_sdk WebClient as dana (a human in #jobs) to check effects through the Slack API."""
    from slack_sdk import WebClient

    return WebClient(token="xoxp-emu-dana", base_url=emulator.base_url)
