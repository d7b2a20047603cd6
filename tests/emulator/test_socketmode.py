"""Socket Mode protocol over a raw aiohttp WebSocket: hello, tickets, pings, envelopes, routing,
redelivery, drops and the connection cap. The slack_sdk clients are in test_socketmode_sdk.py."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from test_socketmode_harness import (  # noqa: F401  (fixtures)
    ALPHA,
    BRAVO,
    CONSOLE,
    DANA,
    JOBS,
    PRIVATE,
    HubServer,
    async_wait_until,
    check_envelope,
    hub_server,
    make_hub,
    only_apps,
)

from slackmq_core.emulator.exceptions import SlackError
from slackmq_core.emulator.socketmode import SocketModeHub
from slackmq_core.emulator.workspace import App, default_workspace

APP_TOKENS = {ALPHA: "xapp-emu-alpha", BRAVO: "xapp-emu-bravo", CONSOLE: "xapp-emu-console"}


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


async def url_for(server: HubServer, app_id: str = ALPHA) -> str:
    resp = await AsyncWebClient(base_url=server.base_url).apps_connections_open(app_token=APP_TOKENS[app_id])
    return resp["url"]


async def connect(server: HubServer, app_id: str = ALPHA, *, hello: bool = True) -> tuple[Link, dict]:
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(await url_for(server, app_id), autoping=False)
    link = Link(ws, session)
    first = await link.recv() if hello else {}
    return link, first


async def test_hello_names_the_app_and_counts_connections(hub_server: HubServer) -> None:
    one, hello1 = await connect(hub_server)
    two, hello2 = await connect(hub_server)
    try:
        assert hello1["type"] == "hello" and hello1["num_connections"] == 1
        assert hello2["num_connections"] == 2
        assert hello1["connection_info"] == {"app_id": ALPHA}
        assert set(hello1["debug_info"]) == {"host", "started", "build_number", "approximate_connection_time"}
        assert hub_server.call(hub_server.hub.connections, ALPHA) == 2
    finally:
        await one.close()
        await two.close()
    await async_wait_until(lambda: hub_server.call(hub_server.hub.connections) == 0, what="both links gone")


async def test_ticket_is_single_use_and_must_exist(hub_server: HubServer) -> None:
    url = await url_for(hub_server)
    assert url.startswith(f"ws://127.0.0.1:{hub_server.port}/link/?ticket=") and url.endswith(f"&app_id={ALPHA}")
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(url + "?")  # slack_sdk's built-in client may add a '?'
        assert json.loads((await ws.receive()).data)["type"] == "hello"
        await ws.close()
        for bad in (url, url.replace("ticket=", "ticket=x"), url.replace(ALPHA, BRAVO)):
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(bad)
            assert info.value.status == 401


def test_unknown_app_gets_invalid_auth() -> None:
    hub = SocketModeHub(default_workspace(), is_member=lambda u, c: True, is_private=lambda c: False,
                        clock=lambda: 0.0, rng=__import__("random").Random(1))
    with pytest.raises(SlackError) as info:
        hub.open_connection_url("A0NOSUCH01", "ws://127.0.0.1:1")
    assert info.value.code == "invalid_auth"


async def test_ping_is_answered_with_a_pong_echoing_its_payload(hub_server: HubServer) -> None:
    link, _ = await connect(hub_server)
    try:
        await link.ws.ping(b"session-1:1700000000.5")
        msg = await asyncio.wait_for(link.ws.receive(), 5)
        assert msg.type == aiohttp.WSMsgType.PONG and msg.data == b"session-1:1700000000.5"
    finally:
        await link.close()


def _events(server: HubServer) -> list[dict[str, Any]]:
    """One inner event of every kind the backend emits, in #jobs."""
    msg = server.post("job 1")
    reply_ts = server.next_ts()
    return [
        msg,
        server.emit({"type": "message", "user": DANA, "text": "reply", "ts": reply_ts, "event_ts": reply_ts,
                     "channel": JOBS, "thread_ts": msg["ts"], "parent_user_id": DANA}),
        server.emit({"type": "message", "subtype": "message_changed", "hidden": True, "channel": JOBS,
                     "ts": server.next_ts(), "event_ts": server.next_ts(),
                     "message": {"type": "message", "user": DANA, "text": "job 1!", "ts": msg["ts"]},
                     "previous_message": {"type": "message", "user": DANA, "text": "job 1", "ts": msg["ts"]}}),
        server.emit({"type": "message", "subtype": "message_deleted", "hidden": True, "channel": JOBS,
                     "ts": server.next_ts(), "event_ts": server.next_ts(), "deleted_ts": msg["ts"],
                     "previous_message": {"type": "message", "user": DANA, "text": "job 1!", "ts": msg["ts"]}}),
        server.emit({"type": "pin_added", "user": "U0ALPHA001", "channel_id": JOBS, "event_ts": server.next_ts(),
                     "item": {"type": "message", "channel": JOBS, "created": 1700000001, "created_by": "U0ALPHA001",
                              "message": {"type": "message", "ts": msg["ts"], "pinned_to": [JOBS]}}}),
        server.emit({"type": "pin_removed", "user": "U0ALPHA001", "channel_id": JOBS, "event_ts": server.next_ts(),
                     "has_pins": False, "item": {"type": "message", "channel": JOBS}}),
        server.emit({"type": "reaction_added", "user": "U0BRAVO001", "reaction": "lock", "item_user": DANA,
                     "item": {"type": "message", "channel": JOBS, "ts": msg["ts"]}, "event_ts": server.next_ts()}),
        server.emit({"type": "reaction_removed", "user": "U0BRAVO001", "reaction": "lock", "item_user": DANA,
                     "item": {"type": "message", "channel": JOBS, "ts": msg["ts"]}, "event_ts": server.next_ts()}),
    ]


async def test_every_event_kind_arrives_in_order_in_a_valid_envelope(hub_server: HubServer) -> None:
    link, _ = await connect(hub_server)
    try:
        sent = await asyncio.to_thread(_events, hub_server)
        got = []
        for _ in sent:
            envelope = await link.recv()
            got.append(check_envelope(envelope, ALPHA))
            assert envelope["payload"]["team_id"] == "T0SLACKMQ1"
            await link.ack(envelope)
        assert [dict(e, channel_type=None) for e in got] == [dict(e, channel_type=None) for e in sent]
        assert got[0]["channel_type"] == "channel"
        await async_wait_until(lambda: hub_server.call(hub_server.hub.in_flight, ALPHA) == 0, what="all acked")
    finally:
        await link.close()


async def test_subscriptions_and_membership_decide_who_gets_what(make_hub) -> None:
    ws = default_workspace()
    apps = tuple(dataclasses.replace(a, events=("message.channels",)) if a.id == BRAVO else a for a in ws.apps)
    server = make_hub(dataclasses.replace(ws, apps=apps))
    alpha, _ = await connect(server, ALPHA)
    bravo, _ = await connect(server, BRAVO)
    console, _ = await connect(server, CONSOLE)
    try:
        await asyncio.to_thread(server.post, "secret", channel=PRIVATE)  # only console is a member
        server.emit({"type": "reaction_added", "user": DANA, "reaction": "eyes",
                     "item": {"type": "message", "channel": JOBS, "ts": "1700000000.000001"},
                     "event_ts": server.next_ts()})  # bravo is not subscribed to reaction_added
        await asyncio.to_thread(server.post, "public")  # everyone
        event = check_envelope(await console.recv(), CONSOLE)
        assert event["text"] == "secret" and event["channel_type"] == "group"
        assert check_envelope(await console.recv(), CONSOLE)["type"] == "reaction_added"
        assert check_envelope(await console.recv(), CONSOLE)["text"] == "public"
        assert check_envelope(await alpha.recv(), ALPHA)["type"] == "reaction_added"
        assert check_envelope(await alpha.recv(), ALPHA)["text"] == "public"
        assert check_envelope(await bravo.recv(), BRAVO)["text"] == "public"
    finally:
        for link in (alpha, bravo, console):
            await link.close()


async def test_each_envelope_reaches_one_connection_of_each_app(make_hub) -> None:
    hub_server = make_hub(only_apps(ALPHA, BRAVO))
    a1, _ = await connect(hub_server, ALPHA)
    a2, _ = await connect(hub_server, ALPHA)
    b1, _ = await connect(hub_server, BRAVO)
    try:
        for i in range(6):
            hub_server.post(f"job {i}")
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
        await async_wait_until(lambda: hub_server.call(hub_server.hub.in_flight) == 0, what="all acked")
        stats = hub_server.call(hub_server.hub.stats)
        assert stats["envelopes_sent"] == 12 and stats["acks"] == 12 and stats["retries"] == 0
    finally:
        for link in (a1, a2, b1):
            await link.close()


async def test_unacked_envelope_is_redelivered_three_times_then_dropped(make_hub) -> None:
    server = make_hub(only_apps(ALPHA), time_scale=600.0)  # ack 5 ms, retries at once, +0.1 s, +0.5 s
    link, _ = await connect(server)
    try:
        server.post("never acked")
        envelopes = [await link.recv() for _ in range(4)]
        for attempt, envelope in enumerate(envelopes):
            assert check_envelope(envelope, ALPHA, attempt=attempt)["text"] == "never acked"
        assert len({e["payload"]["event_id"] for e in envelopes}) == 1
        assert len({e["envelope_id"] for e in envelopes}) == 4
        await async_wait_until(lambda: server.call(server.hub.in_flight) == 0, what="event dropped")
        stats = server.call(server.hub.stats)
        assert stats["events_dropped"] == 1 and stats["retries"] == 3 and stats["envelopes_sent"] == 4
    finally:
        await link.close()


async def test_redelivery_stops_once_acked(make_hub) -> None:
    server = make_hub(only_apps(ALPHA), time_scale=600.0)
    link, _ = await connect(server)
    try:
        server.post("acked on the third try")
        first, second, third = [await link.recv() for _ in range(3)]
        assert [e["retry_attempt"] for e in (first, second, third)] == [0, 1, 2]
        await link.ack(third)
        await async_wait_until(lambda: server.call(server.hub.in_flight) == 0, what="event settled")
        stats = server.call(server.hub.stats)
        assert stats["acks"] == 1 and stats["events_dropped"] == 0 and stats["retries"] == 2
        server.post("next")
        envelope = await link.recv()  # the next frame is the new event, not a retry
        assert check_envelope(envelope, ALPHA)["text"] == "next"
    finally:
        await link.close()


async def test_event_for_an_app_without_connection_waits_for_the_retry_schedule(make_hub) -> None:
    server = make_hub(only_apps(ALPHA), time_scale=120.0)  # retries at once, +0.5 s, +2.5 s
    server.post("while offline")
    await async_wait_until(lambda: server.call(server.hub.stats)["retries"] >= 2, what="first retries failed")
    link, _ = await connect(server)
    try:
        envelope = await link.recv()
        assert check_envelope(envelope, ALPHA, attempt=envelope["retry_attempt"])["text"] == "while offline"
        assert envelope["retry_attempt"] in (2, 3) and envelope["retry_reason"] == "timeout"
        await link.ack(envelope)
        await async_wait_until(lambda: server.call(server.hub.in_flight) == 0, what="event settled")
    finally:
        await link.close()


async def test_event_without_any_connection_is_dropped_after_the_retries(make_hub) -> None:
    server = make_hub(time_scale=3000.0)
    server.post("nobody listens")
    await async_wait_until(lambda: server.call(server.hub.stats)["events_dropped"] == 7, what="drops")
    assert server.call(server.hub.in_flight) == 0  # one per app with a bot in #jobs


async def test_drop_close_cuts_the_socket_without_a_close_frame(hub_server: HubServer) -> None:
    link, _ = await connect(hub_server)
    other, _ = await connect(hub_server, BRAVO)
    try:
        assert hub_server.call(hub_server.hub.drop, ALPHA, "close") == 1
        msg = await asyncio.wait_for(link.ws.receive(), 5)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        assert link.ws.close_code != 1000
        await async_wait_until(lambda: hub_server.call(hub_server.hub.connections, ALPHA) == 0, what="drop")
        assert hub_server.call(hub_server.hub.connections, BRAVO) == 1
    finally:
        await link.close()
        await other.close()


async def test_drop_refresh_sends_disconnect_and_prefers_fresh_connections(hub_server: HubServer) -> None:
    old, _ = await connect(hub_server)
    try:
        assert hub_server.call(hub_server.hub.drop, None, "refresh") == 1
        disconnect = await old.recv()
        assert disconnect["type"] == "disconnect" and disconnect["reason"] == "refresh_requested"
        assert "host" in disconnect["debug_info"]
        new, _ = await connect(hub_server)
        for i in range(2):
            hub_server.post(f"after refresh {i}")
        for _ in range(2):
            assert check_envelope(await new.recv(), ALPHA)["text"].startswith("after refresh")
        await new.close()
    finally:
        await old.close()


async def test_bad_drop_arguments_are_named(hub_server: HubServer) -> None:
    with pytest.raises(ValueError, match="'close' or 'refresh', got 'gently'"):
        hub_server.call(hub_server.hub.drop, None, "gently")
    with pytest.raises(ValueError, match="unknown app id 'A0NOSUCH01'"):
        hub_server.call(hub_server.hub.drop, "A0NOSUCH01")
    with pytest.raises(ValueError, match="between 0 and 1, got 1.5"):
        hub_server.hub.set_drop_rate(1.5)


async def test_eleventh_connection_is_told_too_many_websockets(hub_server: HubServer) -> None:
    links = []
    try:
        for n in range(1, 11):
            link, hello = await connect(hub_server)
            assert hello["num_connections"] == n
            links.append(link)
        extra, first = await connect(hub_server)
        assert first["type"] == "disconnect" and first["reason"] == "too_many_websockets"
        msg = await asyncio.wait_for(extra.ws.receive(), 5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await extra.close()
        assert hub_server.call(hub_server.hub.connections, ALPHA) == 10
        await links.pop().close()
        await async_wait_until(lambda: hub_server.call(hub_server.hub.connections, ALPHA) == 9, what="close")
        link, hello = await connect(hub_server)
        links.append(link)
        assert hello["type"] == "hello" and hello["num_connections"] == 10
    finally:
        for link in links:
            await link.close()


async def test_random_drops_lose_the_envelope_and_redelivery_recovers_it(make_hub) -> None:
    server = make_hub(only_apps(ALPHA), time_scale=60.0, drop_rate=1.0)
    link, _ = await connect(server)
    try:
        server.post("dropped while serving")
        msg = await asyncio.wait_for(link.ws.receive(), 5)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        server.call(server.hub.set_drop_rate, 0.0)
        again, _ = await connect(server)
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
