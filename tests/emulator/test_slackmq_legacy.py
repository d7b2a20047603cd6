"""Done-when: the original slackmq 0.1.2 (on slacker) acks and unacks against the emulator with only
the URL changed. slacker builds every URL with ``slacker.get_api_url(method)``; that function is the
one thing patched. slacker sends the token as a ``token`` query parameter and the arguments as a
form body, which the emulator accepts like Slack."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

slacker = pytest.importorskip("slacker")
legacy = pytest.importorskip("slackmq")

JOBS = "C0JOBS0001"


@pytest.fixture
def slacker_url(emulator, monkeypatch):
    monkeypatch.setattr(slacker, "get_api_url", lambda method: f"{emulator.base_url}{method}")
    return emulator.base_url


@pytest.mark.emulator(rate_limits=False)
def test_slackmq_0_1_2_ack_and_unack(emulator, slacker_url):
    job = emulator.control.post(JOBS, "U0PUBLSH01", "job 1")
    watcher = WebClient(token="xoxb-emu-console", base_url=emulator.base_url)
    first = legacy.slackmq("xoxb-emu-alpha", JOBS, job)
    second = legacy.slackmq("xoxb-emu-bravo", JOBS, job)
    assert first.ack(emoji="lock") is True
    assert second.ack(emoji="lock") is False  # already_pinned: the lock is held
    msg = watcher.reactions_get(channel=JOBS, timestamp=job)["message"]
    assert msg["pinned_to"] == [JOBS]
    assert msg["reactions"] == [{"name": "lock", "users": ["U0ALPHA001"], "count": 1}]
    # 0.1.2's unack returns None on success and False on failure (it sleeps 3 s before each call)
    assert first.unack(emoji="lock") is None
    msg = watcher.reactions_get(channel=JOBS, timestamp=job)["message"]
    assert "pinned_to" not in msg and "reactions" not in msg
    assert second.ack() is True  # free again
    stats = emulator.control.stats()["calls_by_user"]
    assert stats["U0ALPHA001"] == {"pins.add": 1, "reactions.add": 1, "pins.remove": 1,
                                   "reactions.remove": 1}
