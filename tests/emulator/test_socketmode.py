"""Socket Mode protocol over a raw aiohttp WebSocket against the real emulator: hello, tickets,
pings, envelopes for every event kind, routing, redelivery, drops and the connection cap.
The slack_sdk clients and Bolt are in test_socketmode_sdk.py."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import aiohttp
import pytest
from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient
from test_socketmode_harness import (  # noqa: F401  (fixtures)
    ALPHA,
    APP_TOKENS,
    BRAVO,
    CONSOLE,
    JOBS,
    Sockets,
    async_wait_until,
    check_envelope,
    only_apps,
    sockets,
)

from slackmq_core.emulator.exceptions import SlackError
from slackmq_core.emulator.socketmode import SocketModeHub
from slackmq_core.emulator.workspace import App, default_workspace

NO_LIMITS = {"rate_limits": False}


class Link:
    """A raw client WebSocket: nothing is acked unless the test says so."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session: aiohttp.ClientSession) -> None:
        self.ws, self.session = ws, session

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        msg = await asyncio.wait_for(self.ws.receive(), timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg.type!r}"
        return json.loads(msg.data)

    async def ack(self, envelope: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps({"envelope_id": envelope["envelope_id"]}))

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()


async def url_for(sockets: Sockets, app_id: str = ALPHA) -> str:
    resp = await AsyncWebClient(base_url=sockets.base_url).apps_connections_open(app_token=APP_TOKENS[app_id])
    return resp["url"]


async def connect(sockets: Sockets, app_id: str = ALPHA) -> tuple[Link, dict]:
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(await url_for(sockets, app_id), autoping=False)
    link = Link(ws, session)
    return link, await link.recv()


def post(sockets: Sockets, text: str, **kw: Any) -> asyncio.Future:
    """Post through the control surface without blocking the test's loop."""
    return asyncio.to_thread(sockets.post, text, **kw)


def stats(sockets: Sockets) -> asyncio.Future:
    return asyncio.to_thread(sockets.stats)


@pytest.mark.emulator(**NO_LIMITS)
async def test_hello_names_the_app_and_counts_connections(sockets: Sockets) -> None:
    one, hello1 = await connect(sockets)
    two, hello2 = await connect(sockets)
    try:
        assert hello1["type"] == "hello" and hello1["num_connections"] == 1
        assert hello2["num_connections"] == 2
        assert hello1["connection_info"] == {"app_id": ALPHA}
        assert set(hello1["debug_info"]) == {"host", "started", "build_number", "approximate_connection_time"}
        assert (await stats(sockets))["connections"] == {ALPHA: 2}
    finally:
        await one.close()
        await two.close()
    await async_wait_until(lambda: sockets.connections(ALPHA) == 0, what="both links gone")


@pytest.mark.emulator(**NO_LIMITS)
async def test_ticket_is_single_use_and_must_exist(sockets: Sockets) -> None:
    url = await url_for(sockets)
    assert url.startswith(f"ws://127.0.0.1:{sockets.port}/link/?ticket=") and url.endswith(f"&app_id={ALPHA}")
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(url + "?")  # tolerated, as slack_sdk's built-in client may add one
        assert json.loads((await ws.receive()).data)["type"] == "hello"
        await ws.close()
        for bad in (url, url.replace("ticket=", "ticket=x"), url.replace(ALPHA, BRAVO)):
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(bad)
            assert info.value.status == 401


def test_unknown_app_gets_invalid_auth() -> None:
    hub = SocketModeHub(default_workspace(), is_member=lambda u, c: True, is_private=lambda c: False,
                        clock=lambda: 0.0, rng=random.Random(1))
    with pytest.raises(SlackError) as info:
        hub.open_connection_url("A0NOSUCH01", "ws://127.0.0.1:1")
    assert info.value.code == "invalid_auth"
    with pytest.raises(ValueError, match="time_scale must be a number > 0, got 0"):
        SocketModeHub(default_workspace(), is_member=lambda u, c: True, is_private=lambda c: False,
                      clock=lambda: 0.0, rng=random.Random(1), time_scale=0)


@pytest.mark.emulator(**NO_LIMITS)
async def test_ping_is_answered_with_a_pong_echoing_its_payload(sockets: Sockets) -> None:
    link, _ = await connect(sockets)
    try:
        await link.ws.ping(b"session-1:1700000000.5")
        msg = await asyncio.wait_for(link.ws.receive(), 5)
        assert msg.type == aiohttp.WSMsgType.PONG and msg.data == b"session-1:1700000000.5"
    finally:
        await link.close()


def _every_kind(sockets: Sockets) -> list[tuple[str, str | None]]:
    """Cause one event of every kind in #jobs through the Web API; return (type, subtype) in order."""
    dana = WebClient(token="xoxp-emu-dana", base_url=sockets.base_url)
    bravo = WebClient(token="xoxb-emu-bravo", base_url=sockets.base_url)
    ts = sockets.post("job 1")
    sockets.post("a reply", thread_ts=ts)
    dana.chat_update(channel=JOBS, ts=ts, text="job 1 (edited)")
    bravo.pins_add(channel=JOBS, timestamp=ts)
    bravo.pins_remove(channel=JOBS, timestamp=ts)
    bravo.reactions_add(channel=JOBS, timestamp=ts, name="lock")
    bravo.reactions_remove(channel=JOBS, timestamp=ts, name="lock")
    dana.chat_delete(channel=JOBS, ts=ts)
    return [("message", None), ("message", None), ("message", "message_changed"), ("pin_added", None),
            ("pin_removed", None), ("reaction_added", None), ("reaction_removed", None),
            ("message", "message_deleted")]


@pytest.mark.emulator(workspace=only_apps(ALPHA), **NO_LIMITS)
async def test_every_event_kind_arrives_in_order_in_a_valid_envelope(sockets: Sockets) -> None:
    link, _ = await connect(sockets)
    try:
        expected = await asyncio.to_thread(_every_kind, sockets)
        got = []
        for _ in expected:
            envelope = await link.recv()
            got.append(check_envelope(envelope, ALPHA))
            assert envelope["payload"]["team_id"] == "T0SLACKMQ1"
            await link.ack(envelope)
        assert [(e["type"], e.get("subtype")) for e in got] == expected
        assert got[1]["thread_ts"] == got[0]["ts"] and got[0]["channel_type"] == "channel"
        assert got[3]["user"] == got[5]["user"] == "U0BRAVO001"
        await async_wait_until(lambda: sockets.in_flight(ALPHA) == 0, what="all acked")
    finally:
        await link.close()


@pytest.mark.emulator(workspace=only_apps(ALPHA, BRAVO, CONSOLE, A0BRAVO001=("message.channels",)), **NO_LIMITS)
async def test_subscriptions_and_membership_decide_who_gets_what(sockets: Sockets) -> None:
    alpha, _ = await connect(sockets, ALPHA)
    bravo, _ = await connect(sockets, BRAVO)
    console, _ = await connect(sockets, CONSOLE)
    try:
        await post(sockets, "secret", channel="ops-private")  # only console's bot is a member
        ts = await post(sockets, "public")  # every bot is in #jobs
        dana = WebClient(token="xoxp-emu-dana", base_url=sockets.base_url)
        await asyncio.to_thread(dana.reactions_add, channel=JOBS, timestamp=ts, name="eyes")  # not for bravo
        event = check_envelope(await console.recv(), CONSOLE)
        assert event["text"] == "secret" and event["channel_type"] == "group"
        assert check_envelope(await console.recv(), CONSOLE)["text"] == "public"
        assert check_envelope(await console.recv(), CONSOLE)["type"] == "reaction_added"
        assert check_envelope(await alpha.recv(), ALPHA)["text"] == "public"
        assert check_envelope(await alpha.recv(), ALPHA)["type"] == "reaction_added"
        assert check_envelope(await bravo.recv(), BRAVO)["text"] == "public"
        await async_wait_until(lambda: sockets.stats()["envelopes_sent"] == 6, what="all sent")
    finally:
        for link in (alpha, bravo, console):
            await link.close()


@pytest.mark.emulator(workspace=only_apps(ALPHA, BRAVO), **NO_LIMITS)
async def test_each_envelope_reaches_one_connection_of_each_app(sockets: Sockets) -> None:
    a1, _ = await connect(sockets, ALPHA)
    a2, _ = await connect(sockets, ALPHA)
    b1, _ = await connect(sockets, BRAVO)
    try:
        for i in range(6):
            await post(sockets, f"job {i}")
        seen: dict[str, list[str]] = {"a1": [], "a2": []}
        for name, link in (("a1", a1), ("a2", a2)):
            for _ in range(3):  # round-robin: 3 each
                envelope = await link.recv()
                seen[name].append(check_envelope(envelope, ALPHA)["text"])
                await link.ack(envelope)
        assert sorted(seen["a1"] + seen["a2"]) == [f"job {i}" for i in range(6)]
        bravo_texts = []
        for _ in range(6):
            envelope = await b1.recv()
            bravo_texts.append(check_envelope(envelope, BRAVO)["text"])
            await b1.ack(envelope)
        assert bravo_texts == [f"job {i}" for i in range(6)]
        await async_wait_until(lambda: sockets.in_flight() == 0, what="all acked")
        counters = await stats(sockets)
        assert counters["envelopes_sent"] == 12 and counters["acks"] == 12 and counters["retries"] == 0
    finally:
        for link in (a1, a2, b1):
            await link.close()


@pytest.mark.emulator(workspace=only_apps(ALPHA), time_scale=600.0, **NO_LIMITS)
async def test_unacked_envelope_is_redelivered_three_times_then_dropped(sockets: Sockets) -> None:
    link, _ = await connect(sockets)  # ack due in 5 ms; retries at once, +0.1 s, +0.5 s
    try:
        await post(sockets, "never acked")
        envelopes = [await link.recv() for _ in range(4)]
        for attempt, envelope in enumerate(envelopes):
            assert check_envelope(envelope, ALPHA, attempt=attempt)["text"] == "never acked"
        assert len({e["payload"]["event_id"] for e in envelopes}) == 1
        assert len({e["envelope_id"] for e in envelopes}) == 4
        await async_wait_until(lambda: sockets.in_flight() == 0, what="event dropped")
        counters = await stats(sockets)
        assert counters["events_dropped"] == 1 and counters["retries"] == 3 and counters["envelopes_sent"] == 4
    finally:
        await link.close()


@pytest.mark.emulator(workspace=only_apps(ALPHA), time_scale=600.0, **NO_LIMITS)
async def test_redelivery_stops_once_acked(sockets: Sockets) -> None:
    link, _ = await connect(sockets)
    try:
        await post(sockets, "acked on the third try")
        first, second, third = [await link.recv() for _ in range(3)]
        assert [e["retry_attempt"] for e in (first, second, third)] == [0, 1, 2]
        await link.ack(third)
        await async_wait_until(lambda: sockets.in_flight() == 0, what="event settled")
        counters = await stats(sockets)
        assert counters["acks"] == 1 and counters["events_dropped"] == 0 and counters["retries"] == 2
        await post(sockets, "next")
        envelope = await link.recv()  # the next frame is the new event, not a fourth delivery
        assert check_envelope(envelope, ALPHA)["text"] == "next"
    finally:
        await link.close()


@pytest.mark.emulator(workspace=only_apps(ALPHA), time_scale=120.0, **NO_LIMITS)
async def test_event_for_an_app_without_connection_waits_for_the_retry_schedule(sockets: Sockets) -> None:
    await post(sockets, "while offline")  # attempt 0 and retry 1 find no socket; retry 2 in 0.5 s
    await async_wait_until(lambda: sockets.stats()["retries"] >= 2, what="first retries failed")
    link, _ = await connect(sockets)
    try:
        envelope = await link.recv()
        assert envelope["retry_attempt"] in (2, 3) and envelope["retry_reason"] == "timeout"
        assert check_envelope(envelope, ALPHA, attempt=envelope["retry_attempt"])["text"] == "while offline"
        await link.ack(envelope)
        await async_wait_until(lambda: sockets.in_flight() == 0, what="event settled")
    finally:
        await link.close()


@pytest.mark.emulator(time_scale=3000.0, **NO_LIMITS)
async def test_event_without_any_connection_is_dropped_after_the_retries(sockets: Sockets) -> None:
    await post(sockets, "nobody listens")
    await async_wait_until(lambda: sockets.stats()["events_dropped"] == 7, what="drops")  # 7 bots in #jobs
    counters = await stats(sockets)
    assert counters["in_flight"] == 0 and counters["envelopes_sent"] == 0


@pytest.mark.emulator(**NO_LIMITS)
async def test_drop_close_cuts_the_socket_without_a_close_frame(sockets: Sockets) -> None:
    link, _ = await connect(sockets)
    other, _ = await connect(sockets, BRAVO)
    try:
        assert await asyncio.to_thread(sockets.drop, ALPHA, "close") == 1
        msg = await asyncio.wait_for(link.ws.receive(), 5)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        assert link.ws.close_code != 1000
        await async_wait_until(lambda: sockets.connections(ALPHA) == 0, what="drop")
        assert sockets.connections(BRAVO) == 1
    finally:
        await link.close()
        await other.close()


@pytest.mark.emulator(**NO_LIMITS)
async def test_drop_refresh_sends_disconnect_and_prefers_fresh_connections(sockets: Sockets) -> None:
    old, _ = await connect(sockets)
    try:
        assert await asyncio.to_thread(sockets.drop, None, "refresh") == 1
        disconnect = await old.recv()
        assert disconnect["type"] == "disconnect" and disconnect["reason"] == "refresh_requested"
        assert "host" in disconnect["debug_info"]
        new, _ = await connect(sockets)
        for i in range(2):
            await post(sockets, f"after refresh {i}")
        for _ in range(2):
            assert check_envelope(await new.recv(), ALPHA)["text"].startswith("after refresh")
        await new.close()
    finally:
        await old.close()


async def test_bad_drop_arguments_are_named(async_emulator: Any) -> None:
    hub = async_emulator.hub
    with pytest.raises(ValueError, match="'close' or 'refresh', got 'gently'"):
        await hub.drop(None, "gently")
    with pytest.raises(ValueError, match="unknown app id 'A0NOSUCH01'"):
        await hub.drop("A0NOSUCH01")
    with pytest.raises(ValueError, match="between 0 and 1, got 1.5"):
        hub.set_drop_rate(1.5)


@pytest.mark.emulator(**NO_LIMITS)
async def test_eleventh_connection_is_told_too_many_websockets(sockets: Sockets) -> None:
    links = []
    try:
        for n in range(1, 11):
            link, hello = await connect(sockets)
            assert hello["type"] == "hello" and hello["num_connections"] == n
            links.append(link)
        extra, first = await connect(sockets)
        assert first["type"] == "disconnect" and first["reason"] == "too_many_websockets"
        msg = await asyncio.wait_for(extra.ws.receive(), 5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await extra.close()
        assert sockets.connections(ALPHA) == 10
        await links.pop().close()
        await async_wait_until(lambda: sockets.connections(ALPHA) == 9, what="one closed")
        link, hello = await connect(sockets)
        links.append(link)
        assert hello["type"] == "hello" and hello["num_connections"] == 10
    finally:
        for link in links:
            await link.close()


@pytest.mark.emulator(workspace=only_apps(ALPHA), time_scale=60.0, socket_drop_rate=1.0, **NO_LIMITS)
async def test_random_drops_lose_the_envelope_and_redelivery_recovers_it(sockets: Sockets) -> None:
    link, _ = await connect(sockets)
    try:
        await post(sockets, "dropped while serving")
        msg = await asyncio.wait_for(link.ws.receive(), 5)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        await asyncio.to_thread(sockets.control.faults, socket_drop_rate=0.0)
        again, _ = await connect(sockets)
        envelope = await again.recv()
        assert envelope["retry_attempt"] >= 1
        assert check_envelope(envelope, ALPHA, attempt=envelope["retry_attempt"])["text"] == "dropped while serving"
        await again.ack(envelope)
        await again.close()
    finally:
        await link.close()


def test_app_subscriptions_default_to_every_emulated_event() -> None:
    assert set(App("A1", "x", "U1").events) >= {"message.channels", "message.groups", "pin_added",
                                                "pin_removed", "reaction_added", "reaction_removed"}
