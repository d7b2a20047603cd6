"""The lock-relevant Slack contract, runnable against the emulator (always) or real Slack (opt-in).

These are the answers SlackMQ's lock protocol depends on. By default they run against a fresh
emulator. To hold the emulator to account, run the same file against a real workspace:

    SLACKMQ_CONTRACT_BOT_TOKEN=xoxb-...  SLACKMQ_CONTRACT_CHANNEL=C0123456789 \
        python -m pytest -q tests/emulator/test_contract.py

The bot needs chat:write, pins:read, pins:write, reactions:read, reactions:write and
channels:history, and must be a member of the channel. Each test posts its own message and deletes
it afterwards. Where real Slack's answer is unconfirmed (facts §3: ``no_pin`` vs ``not_pinned``),
the test accepts both and says so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from emu_schema import checked
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

TS = re.compile(r"^\d{10}\.\d{6}$")


@dataclass
class Target:
    web: WebClient
    channel: str
    real: bool


@pytest.fixture
def target(request) -> Iterator[Target]:
    token = os.environ.get("SLACKMQ_CONTRACT_BOT_TOKEN")
    channel = os.environ.get("SLACKMQ_CONTRACT_CHANNEL")
    if token and channel:
        base = os.environ.get("SLACKMQ_CONTRACT_API_URL", "https://slack.com/api/")
        yield Target(WebClient(token=token, base_url=base), channel, real=True)
        return
    emu = request.getfixturevalue("emulator")
    yield Target(WebClient(token="xoxb-emu-alpha", base_url=emu.base_url), "C0JOBS0001", real=False)


@pytest.fixture
def message(target: Target) -> Iterator[str]:
    posted = checked(target.web.chat_postMessage(channel=target.channel, text="slackmq contract test"))
    ts = posted["ts"]
    yield ts
    try:
        target.web.chat_delete(channel=target.channel, ts=ts)
    except SlackApiError:
        pass


def error_of(call, **kwargs) -> str:
    with pytest.raises(SlackApiError) as info:
        call(**kwargs)
    checked(info.value.response)
    assert info.value.response.status_code == 200  # ok:false is HTTP 200 (only 429 is not)
    return info.value.response["error"]


def test_auth_test_names_the_bot(target):
    me = checked(target.web.auth_test())
    assert me["user_id"].startswith(("U", "W")) and me["team_id"].startswith("T")
    assert me.get("bot_id", "").startswith("B")


def test_post_gives_a_string_ts_and_history_finds_it(target, message):
    assert TS.match(message)
    page = checked(target.web.conversations_history(channel=target.channel, latest=message,
                                                    inclusive=True, limit=1))
    assert [m["ts"] for m in page["messages"]] == [message]


def test_pin_is_a_channel_wide_test_and_set(target, message):
    me = target.web.auth_test()["user_id"]
    args = {"channel": target.channel, "timestamp": message}
    checked(target.web.pins_add(**args))
    assert error_of(target.web.pins_add, **args) == "already_pinned"
    items = checked(target.web.pins_list(channel=target.channel))["items"]
    [item] = [i for i in items if i.get("message", {}).get("ts") == message]
    assert item["created_by"] == me and isinstance(item["created"], int)
    assert target.channel in item["message"].get("pinned_to", [])
    checked(target.web.pins_remove(**args))
    # Slack documents both codes for unpinning an unpinned message; the emulator says not_pinned.
    gone = error_of(target.web.pins_remove, **args)
    assert gone in ({"no_pin", "not_pinned"} if target.real else {"not_pinned"})


def test_reaction_is_once_per_user_per_emoji(target, message):
    me = target.web.auth_test()["user_id"]
    args = {"channel": target.channel, "timestamp": message, "name": "lock"}
    checked(target.web.reactions_add(**args))
    assert error_of(target.web.reactions_add, **args) == "already_reacted"
    got = checked(target.web.reactions_get(channel=target.channel, timestamp=message, full=True))
    [lock] = [r for r in got["message"]["reactions"] if r["name"] == "lock"]
    assert lock["users"] == [me] and lock["count"] == 1
    checked(target.web.reactions_remove(**args))
    assert error_of(target.web.reactions_remove, **args) == "no_reaction"
    after = checked(target.web.reactions_get(channel=target.channel, timestamp=message, full=True))
    assert not [r for r in after["message"].get("reactions", []) if r["name"] == "lock"]


def test_unknown_emoji_and_unknown_message(target, message):
    bad_emoji = {"channel": target.channel, "timestamp": message, "name": "no-such-emoji-slackmq"}
    assert error_of(target.web.reactions_add, **bad_emoji) == "invalid_name"
    missing = "1000000000.000001"  # well-formed, long before any message of this channel
    assert error_of(target.web.pins_add, channel=target.channel, timestamp=missing) in (
        "message_not_found", "bad_timestamp")
