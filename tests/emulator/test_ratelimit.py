"""Rate limits: HTTP 429, integer Retry-After, ratelimited body, tiers, the 2025 rule, time scale.

Windows are pinned to the test's start by a monotonic clock that reads 0 when the test begins,
so "the second call in the window" is deterministic; time_scale=60 makes a window last 1 s.
"""

from __future__ import annotations

import time

import pytest
from emu_schema import checked
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from slackmq_core.emulator import Emulator, EmulatorConfig, run_in_thread

JOBS = "C0JOBS0001"


def _config(**kw) -> EmulatorConfig:
    t0 = time.monotonic()
    return EmulatorConfig(seed=1, monotonic=lambda: time.monotonic() - t0, **kw)


def test_429_shape_and_other_methods_unaffected():
    with run_in_thread(_config(time_scale=60, tier1_history=True)) as emu:
        c = WebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
        checked(c.conversations_history(channel=JOBS))
        with pytest.raises(SlackApiError) as info:
            c.conversations_history(channel=JOBS)
        resp = info.value.response
        assert resp.status_code == 429
        assert resp.data == {"ok": False, "error": "ratelimited"}
        assert resp.headers["Retry-After"] == ["1"] or resp.headers["Retry-After"] == "1"
        checked(c.conversations_replies(channel=JOBS, ts=emu.control.post(JOBS, "U0PUBLSH01", "x")))
        checked(c.pins_list(channel=JOBS))  # another method: its own window
        other = WebClient(token="xoxb-emu-bravo", base_url=emu.base_url)  # another app
        checked(other.conversations_history(channel=JOBS))
        assert emu.control.stats()["ratelimited"] == 1


def test_retry_handler_honours_retry_after():
    with run_in_thread(_config(time_scale=60, tier1_history=True)) as emu:
        c = WebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
        c.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
        assert c.conversations_history(channel=JOBS)["ok"]
        assert c.conversations_history(channel=JOBS)["ok"]  # 429, slept Retry-After, retried
        stats = emu.control.stats()
        assert stats["ratelimited"] == 1 and stats["calls"]["conversations.history"] == 3


async def test_async_retry_handler_honours_retry_after():
    async with Emulator(_config(time_scale=60, tier1_history=True)) as emu:
        c = AsyncWebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
        c.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
        assert (await c.conversations_history(channel=JOBS))["ok"]
        assert (await c.conversations_history(channel=JOBS))["ok"]
        assert emu.stats()["ratelimited"] == 1


def test_tier2_window_counts_per_app():
    with run_in_thread(_config(time_scale=1)) as emu:
        c = WebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
        for _ in range(20):  # Tier 2: 20 per minute
            checked(c.pins_list(channel=JOBS))
        with pytest.raises(SlackApiError) as info:
            c.pins_list(channel=JOBS)
        assert info.value.response.status_code == 429
        assert 1 <= int(info.value.response.headers["Retry-After"]) <= 60


def test_post_message_per_channel_burst():
    with run_in_thread(_config(time_scale=1)) as emu:
        c = WebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
        codes = []
        for i in range(12):
            try:
                c.chat_postMessage(channel=JOBS, text=f"m{i}")
                codes.append(200)
            except SlackApiError as exc:
                codes.append(exc.response.status_code)
        assert codes[:10] == [200] * 10 and 429 in codes[10:]
        assert c.chat_postMessage(channel="C0BUILDS01", text="other channel")["ok"]


def test_2025_rule_limits_history_to_15():
    with run_in_thread(_config(rate_limits=False, tier1_history=True)) as emu:
        emu.control.seed(channel=JOBS, count=20, user="U0PUBLSH01")
        c = WebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
        assert len(c.conversations_history(channel=JOBS)["messages"]) == 15
        page = c.conversations_history(channel=JOBS, limit=100)
        assert len(page["messages"]) == 15 and page["has_more"] is True


def test_rate_limits_off_and_switchable():
    with run_in_thread(_config(rate_limits=False, tier1_history=True)) as emu:
        c = WebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
        for _ in range(30):
            c.conversations_history(channel=JOBS)
        emu.control.faults(rate_limits=True)
        c.conversations_history(channel=JOBS)
        with pytest.raises(SlackApiError):
            c.conversations_history(channel=JOBS)
        assert emu.control.stats()["ratelimited"] == 1
