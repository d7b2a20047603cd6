"""The Watcher without an app token: tier-paced polling of conversations.history and pins.list.

The emulator runs with ``time_scale`` (Slack minutes pass in a fraction of a second) and the watcher
gets the matching ``window``, so these tests cover many rate-limit windows in a few seconds while the
emulator enforces Slack's real tiers.
"""

from __future__ import annotations

import pytest
from watch_helpers import (
    BRAVO,
    BUILDS,
    JOBS,
    PUBLISHER,
    collect_until,
    control,
    wait_for,
)

from slackmq_core import SlackAPIError, Watcher, make_async_client
from slackmq_core._pacing import TIERS, plan

SCALE = 60.0          # one Slack minute per real second


def watcher(emu, channels=(JOBS,), token="xoxb-emu-alpha", base_url=None, **kwargs) -> Watcher:
    client = make_async_client(token, base_url=base_url or emu.base_url)
    kwargs.setdefault("window", 60.0 / SCALE)
    return Watcher(client, list(channels), **kwargs)


def until_all(*wanted):
    """A stop predicate: true once every (kind, ts, reaction) in ``wanted`` has been seen."""
    left = set(wanted)

    def stop(event) -> bool:
        left.discard((event.kind, event.ts, event.reaction))
        return not left
    return stop


@pytest.mark.emulator(time_scale=SCALE)
async def test_new_messages_pins_reactions_and_done_marks_are_reported(emulator):
    bravo = make_async_client("xoxb-emu-bravo", base_url=emulator.base_url)
    async with watcher(emulator) as w:
        first = await w.next_event(10)
        assert (first.kind, first.reason, w.status.mode, w.mode) == ("resync", "start", "polling", "polling")
        ts = await control(emulator, "post", JOBS, PUBLISHER, "job 1")
        events = await collect_until(w, until_all(("message", ts, None)))
        assert events[-1].message["text"] == "job 1" and events[-1].user == PUBLISHER
        await bravo.pins_add(channel=JOBS, timestamp=ts)
        await bravo.reactions_add(channel=JOBS, timestamp=ts, name="lock")
        events = await collect_until(w, until_all(("pin_added", ts, None), ("reaction_added", ts, "lock")))
        assert [e.user for e in events if e.kind == "reaction_added"] == [BRAVO]
        # complete: done mark, then the lock marks go
        await bravo.reactions_add(channel=JOBS, timestamp=ts, name="white_check_mark")
        await bravo.reactions_remove(channel=JOBS, timestamp=ts, name="lock")
        await bravo.pins_remove(channel=JOBS, timestamp=ts)
        await collect_until(w, until_all(("reaction_added", ts, "white_check_mark"),
                                         ("reaction_removed", ts, "lock"), ("pin_removed", ts, None)))
    stats = await control(emulator, "stats")
    assert stats["ratelimited"] == 0 and w.status.rate_limit_waits == 0


@pytest.mark.emulator(time_scale=SCALE)
async def test_edits_and_deletions_in_the_recent_window_are_reported(emulator):
    alpha = make_async_client("xoxb-emu-alpha", base_url=emulator.base_url)
    ts = (await alpha.chat_postMessage(channel=JOBS, text="draft"))["ts"]
    async with watcher(emulator) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        await alpha.chat_update(channel=JOBS, ts=ts, text="final")
        events = await collect_until(w, until_all(("message_changed", ts, None)))
        assert events[-1].message["text"] == "final"
        await alpha.chat_delete(channel=JOBS, ts=ts)
        await collect_until(w, until_all(("message_deleted", ts, None)))


@pytest.mark.emulator(time_scale=SCALE)
async def test_polling_two_channels_never_exceeds_the_tiers(emulator):
    async with watcher(emulator, channels=(JOBS, BUILDS)) as w:
        await wait_for(lambda: w.status.polls >= 150, timeout=60, what="150 polls")
        ts = await control(emulator, "post", BUILDS, PUBLISHER, "still watching")
        await collect_until(w, until_all(("message", ts, None)), timeout=30)
    stats = await control(emulator, "stats")
    calls = stats["calls_by_user"]["U0ALPHA001"]
    assert calls["conversations.history"] > 0 and calls["pins.list"] > 0
    assert stats["ratelimited"] == 0 and w.status.rate_limit_waits == 0


@pytest.mark.emulator(time_scale=10.0)
async def test_a_429_is_waited_out_and_counted(emulator):
    # The emulator's Slack minute lasts 6 real seconds but the watcher is told 0.6: it paces ten times
    # too fast, so Slack (the emulator) answers 429s with Retry-After, which the watcher must honour.
    async with watcher(emulator, window=0.6) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        await wait_for(lambda: w.status.rate_limit_waits >= 1, what="a 429")
        ts = await control(emulator, "post", JOBS, PUBLISHER, "after the limit")
        await collect_until(w, until_all(("message", ts, None)), timeout=30)
        status = w.status
    stats = await control(emulator, "stats")
    assert stats["ratelimited"] == status.rate_limit_waits      # every 429 was waited out, none raised
    assert status.mode == "polling" and status.rate_limit_waits * 2 <= status.polls  # no 429 hammering


@pytest.mark.emulator(time_scale=120.0, tier1_history=True)
async def test_tier1_history_pages_by_15_within_one_call_a_minute_and_leans_on_pins(emulator):
    bravo = make_async_client("xoxb-emu-bravo", base_url=emulator.base_url)
    async with watcher(emulator, window=0.5, tier1_history=True) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        assert "tier-1" in w.status.detail
        posted = await control(emulator, "seed", channel=JOBS, count=20, user=PUBLISHER)
        await bravo.pins_add(channel=JOBS, timestamp=posted[0])
        events = await collect_until(w, until_all(*[("message", ts, None) for ts in posted]), timeout=60)
        assert sorted(e.ts for e in events if e.kind == "message") == sorted(posted)
        pins = [e for e in events if e.kind == "pin_added"]
        assert pins and pins[0].ts == posted[0]
    stats = await control(emulator, "stats")
    assert stats["ratelimited"] == 0          # the emulator enforced Tier 1 (1/min) on history


@pytest.mark.emulator(time_scale=SCALE, rate_limits=False)
async def test_more_new_messages_than_the_pages_allow_sends_a_resync(emulator):
    async with watcher(emulator) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        await control(emulator, "seed", channel=JOBS, count=600, user=PUBLISHER)
        event = (await collect_until(w, lambda e: e.kind == "resync", limit=10))[-1]
        assert event.reason == "poll_gap"
        ts = await control(emulator, "post", JOBS, PUBLISHER, "after the gap")
        await collect_until(w, until_all(("message", ts, None)))


async def test_an_unreachable_api_shows_offline_and_stale(emulator):
    async with watcher(emulator, base_url="http://127.0.0.1:9/api/") as w:
        assert w.status.detail == "starting"
        await wait_for(lambda: w.status.mode == "offline" and "connection failed" in w.status.detail,
                       what="offline status")
        assert w.status.stale and "pins.list" in w.status.detail


async def test_a_channel_the_bot_cannot_read_ends_the_iteration(emulator):
    w = watcher(emulator, channels=("C0RANDOM01",))     # alpha is not a member of #random
    with pytest.raises(SlackAPIError, match="not_in_channel"):
        async for _ in w:
            pass
    await w.close()


@pytest.mark.parametrize("share", [0.25, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("tier1", [False, True])
def test_the_buckets_never_allow_more_than_the_tier_in_any_window(share, tier1):
    window = 60.0
    for method, bucket in plan(tier1_history=tier1, share=share, window=window).items():
        tier = 1 if (tier1 and method == "conversations.history") else TIERS[method]
        # the k-th call in a window needs k - burst tokens refilled in under a window: k < burst + r*W
        assert bucket.burst + bucket.rate * window <= tier + 0.5 + 1e-9
        assert bucket.burst >= 1 and bucket.rate * window >= min(tier * share, 0.5) - 1e-9
