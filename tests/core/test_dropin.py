"""The 0.1.2 drop-in: same calls and bools, every fix, and SLACKMQ_API_URL honoured."""

from __future__ import annotations

import logging

import pytest
from core_helpers import ALPHA, BRAVO, JOBS, marks_on, post_jobs

from slackmq_core import slackmq

pytestmark = pytest.mark.emulator(rate_limits=False)


@pytest.fixture
def api_url(emulator, monkeypatch):
    monkeypatch.setenv("SLACKMQ_API_URL", emulator.base_url)
    return emulator.base_url


def test_ack_and_unack_like_0_1_2(emulator, api_url):
    (ts,) = post_jobs(emulator, 1)
    mine = slackmq("xoxb-emu-alpha", JOBS, ts)
    assert mine.ack() is True
    assert marks_on(emulator.control.snapshot(), ts) == {"pin": ALPHA, "reactions": {}, "notes": []}
    assert slackmq("xoxb-emu-bravo", JOBS, ts).ack() is False
    assert mine.unack() is True
    assert slackmq("xoxb-emu-bravo", JOBS, ts).ack() is True
    assert marks_on(emulator.control.snapshot(), ts)["pin"] == BRAVO


def test_emoji_and_a_fresh_object_can_unack(emulator, api_url):
    (ts,) = post_jobs(emulator, 1)
    assert slackmq("xoxb-emu-alpha", JOBS, ts).ack(emoji="eyes") is True
    assert marks_on(emulator.control.snapshot(), ts)["reactions"] == {"eyes": [ALPHA]}
    assert slackmq("xoxb-emu-bravo", JOBS, ts).unack(emoji="eyes") is False   # not bravo's
    emulator.control.reset_stats()
    assert slackmq("xoxb-emu-alpha", JOBS, ts).unack(emoji="eyes") is True    # another process
    assert marks_on(emulator.control.snapshot(), ts) == {"pin": None, "reactions": {}, "notes": []}


def test_a_failing_reaction_no_longer_leaks_the_pin(emulator, api_url, caplog):
    (ts,) = post_jobs(emulator, 1)
    with caplog.at_level(logging.ERROR, logger="slackmq"):
        assert slackmq("xoxb-emu-alpha", JOBS, ts).ack(emoji="not_a_real_emoji") is False
    assert marks_on(emulator.control.snapshot(), ts) == {"pin": None, "reactions": {}, "notes": []}
    assert "invalid_name" in caplog.text                      # logged, not swallowed
    assert "xoxb-emu-alpha" not in caplog.text


def test_stars_need_a_user_token(emulator, api_url, caplog):
    (ts,) = post_jobs(emulator, 1)
    with caplog.at_level(logging.ERROR, logger="slackmq"):
        assert slackmq("xoxb-emu-alpha", JOBS, ts).ack(stars=True) is False
    assert "user token" in caplog.text
    dana = slackmq("xoxp-emu-dana", JOBS, ts)
    assert dana.ack(emoji="lock", stars=True) is True
    assert dana.unack(emoji="lock", stars=True) is True
    snap = emulator.control.snapshot()
    assert marks_on(snap, ts) == {"pin": None, "reactions": {}, "notes": []}
    assert not any(snap["stars"].values())


@pytest.mark.emulator(rate_limits=True, time_scale=60)
def test_unack_does_not_sleep(emulator, api_url, monkeypatch):
    import time as time_module

    (ts,) = post_jobs(emulator, 1)
    mine = slackmq("xoxb-emu-alpha", JOBS, ts)
    assert mine.ack(emoji="lock")
    slept: list[float] = []
    monkeypatch.setattr(time_module, "sleep", slept.append)
    assert mine.unack(emoji="lock") is True
    assert slept == []
