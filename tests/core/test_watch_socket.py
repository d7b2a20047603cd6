"""The Watcher in Socket Mode: real slack_sdk aiohttp SocketModeClient against the emulator's hub."""

from __future__ import annotations

import pytest
from watch_helpers import (
    ALPHA,
    BRAVO,
    BUILDS,
    JOBS,
    PUBLISHER,
    about,
    collect_until,
    control,
    wait_for,
)

from slackmq_core import AuthError, InputError, Watcher, make_async_client

pytestmark = pytest.mark.emulator(rate_limits=False)


def watcher(emu, channels=(JOBS,), **kwargs) -> Watcher:
    client = make_async_client("xoxb-emu-alpha", base_url=emu.base_url)
    kwargs.setdefault("ping_interval", 0.2)
    return Watcher(client, list(channels), app_token=kwargs.pop("app_token", "xapp-emu-alpha"), **kwargs)


async def test_first_event_is_a_start_resync_and_status_is_live(emulator):
    async with watcher(emulator) as w:
        first = await w.next_event(10)
        assert (first.kind, first.channel, first.ts, first.reason) == ("resync", JOBS, None, "start")
        status = w.status
        assert status.mode == "live" and not status.stale and status.since is not None
        assert w.mode == "socket"
    assert w.status.mode == "offline"


async def test_messages_pins_and_reactions_arrive_filtered_to_watched_channels(emulator):
    bravo = make_async_client("xoxb-emu-bravo", base_url=emulator.base_url)
    async with watcher(emulator) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        await control(emulator, "post", BUILDS, PUBLISHER, "not watched")
        ts = await control(emulator, "post", JOBS, PUBLISHER, "job 1")
        await bravo.pins_add(channel=JOBS, timestamp=ts)
        await bravo.reactions_add(channel=JOBS, timestamp=ts, name="lock")
        await bravo.reactions_remove(channel=JOBS, timestamp=ts, name="lock")
        await bravo.pins_remove(channel=JOBS, timestamp=ts)
        events = await collect_until(w, lambda e: e.kind == "pin_removed")
    assert {e.channel for e in events} == {JOBS}
    assert about(events, ts) == [("message", PUBLISHER, None), ("pin_added", BRAVO, None),
                                 ("reaction_added", BRAVO, "lock"), ("reaction_removed", BRAVO, "lock"),
                                 ("pin_removed", BRAVO, None)]
    message = events[0]
    assert message.message["text"] == "job 1" and message.is_top_level and message.event_ts == ts


async def test_edits_replies_and_deletions_are_translated(emulator):
    alpha = make_async_client("xoxb-emu-alpha", base_url=emulator.base_url)
    async with watcher(emulator) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        ts = (await alpha.chat_postMessage(channel=JOBS, text="draft"))["ts"]
        await alpha.chat_update(channel=JOBS, ts=ts, text="final")
        reply = await control(emulator, "post", JOBS, PUBLISHER, "in thread", thread_ts=ts)
        await alpha.chat_delete(channel=JOBS, ts=ts)
        events = await collect_until(w, lambda e: e.kind == "message_deleted")
    kinds = [(e.kind, e.ts) for e in events]
    assert ("message", ts) in kinds and ("message_changed", ts) in kinds and ("message_deleted", ts) in kinds
    changed = next(e for e in events if e.kind == "message_changed")
    assert changed.message["text"] == "final" and changed.user == ALPHA
    threaded = next(e for e in events if e.ts == reply)
    assert threaded.kind == "message" and threaded.thread_ts == ts and not threaded.is_top_level


@pytest.mark.emulator(rate_limits=False, ack_timeout=1e-6)
async def test_redelivered_events_are_delivered_once(emulator):
    # The hub re-sends an envelope whose ack it has not seen in 1 µs: every event arrives twice or more.
    async with watcher(emulator) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        first = await control(emulator, "post", JOBS, PUBLISHER, "once")
        await wait_for(lambda: w.duplicates >= 1, what="a redelivered envelope")
        second = await control(emulator, "post", JOBS, PUBLISHER, "twice")
        events = await collect_until(w, lambda e: e.ts == second)
    stats = await control(emulator, "stats")
    assert stats["socket_mode"]["retries"] >= 1
    assert [e.ts for e in events if e.kind == "message"] == [first, second]


@pytest.mark.parametrize("mode", ["close", "refresh"])
async def test_dropped_socket_reconnects_resyncs_and_keeps_delivering(emulator, mode):
    async with watcher(emulator) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        assert await control(emulator, "drop_sockets", "A0ALPHA001", mode) == 1
        resync = (await collect_until(w, lambda e: e.kind == "resync"))[-1]
        assert resync.reason == "reconnect" and resync.channel == JOBS
        await wait_for(lambda: w.status.mode == "live", what="live again")
        ts = await control(emulator, "post", JOBS, PUBLISHER, "after the drop")
        events = await collect_until(w, lambda e: e.ts == ts)
        assert events[-1].kind == "message"
        assert w.status.reconnects == 1 and not w.status.stale


async def test_a_closed_socket_shows_offline_until_it_is_back(emulator):
    async with watcher(emulator, ping_interval=2.0) as w:
        await collect_until(w, lambda e: e.kind == "resync")
        live_since = w.status.since
        await control(emulator, "drop_sockets", "A0ALPHA001", "close")
        await wait_for(lambda: w.status.mode == "offline", what="offline status")
        assert w.status.stale and w.status.since >= live_since
        await collect_until(w, lambda e: e.kind == "resync")
        assert w.status.mode == "live"


async def test_a_bad_app_token_ends_the_iteration_with_an_auth_error(emulator):
    w = watcher(emulator, app_token="xapp-emu-unknown")
    with pytest.raises(AuthError) as info:
        async for _ in w:
            pass
    assert "xapp-emu-unknown" not in str(info.value) and "xapp-emu-unknown" not in repr(w)
    assert w.status.mode == "offline"
    await w.close()


async def test_server_errors_on_the_first_connect_are_retried_not_fatal(emulator):
    """A 500 from apps.connections.open is transient: the watcher says so and keeps trying."""
    await control(emulator, "faults", error_rate=1.0)
    async with watcher(emulator) as w:
        await wait_for(lambda: "retrying" in (w.status.detail or ""), what="a retry")
        assert w.status.mode == "offline"
        await control(emulator, "faults", error_rate=0.0)
        first = await w.next_event(20)
        assert (first.kind, first.reason) == ("resync", "start") and w.status.mode == "live"


def test_bad_input_names_the_value(emulator):
    client = make_async_client("xoxb-emu-alpha", base_url=emulator.base_url)
    with pytest.raises(InputError, match="'jobs' is not a channel id"):
        Watcher(client, ["jobs"])
    with pytest.raises(InputError, match="at least one channel"):
        Watcher(client, [])
    with pytest.raises(InputError, match="share 2"):
        Watcher(client, [JOBS], share=2)
