"""Socket Mode through the real clients: slack_sdk's built-in and aiohttp SocketModeClient, and a
slack_bolt App under SocketModeHandler. Delivery, acks, pings, refresh and abrupt drops."""

from __future__ import annotations

import asyncio
import queue
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.aiohttp import SocketModeClient as AsyncSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from test_socketmode_harness import (  # noqa: F401  (fixtures)
    ALPHA,
    DANA,
    Sockets,
    async_wait_until,
    check_envelope,
    only_apps,
    sockets,
    wait_until,
)

pytestmark = pytest.mark.emulator(workspace=only_apps(ALPHA), rate_limits=False)


def _envelope(req: SocketModeRequest) -> dict[str, Any]:
    return {"envelope_id": req.envelope_id, "payload": req.payload, "type": req.type,
            "accepts_response_payload": req.accepts_response_payload, "retry_attempt": req.retry_attempt,
            "retry_reason": req.retry_reason}


class BuiltinApp:
    """slack_sdk's built-in (threaded, sync) SocketModeClient that acks and records every request."""

    def __init__(self, server: Sockets, token: str = "xapp-emu-alpha") -> None:
        self.got: queue.Queue[SocketModeRequest] = queue.Queue()
        self.client = SocketModeClient(app_token=token, web_client=WebClient(base_url=server.base_url),
                                       ping_interval=0.2)

        def on_request(client: SocketModeClient, req: SocketModeRequest) -> None:
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            self.got.put(req)

        self.client.socket_mode_request_listeners.append(on_request)

    def next_text(self) -> str:
        req = self.got.get(timeout=10)
        return check_envelope(_envelope(req), ALPHA, attempt=req.retry_attempt or 0)["text"]


def test_builtin_client_receives_acks_and_gets_its_pings_echoed(sockets: Sockets) -> None:
    server = sockets
    app = BuiltinApp(server)
    app.client.connect()
    try:
        wait_until(lambda: server.connections(ALPHA) == 1, what="connection")
        first = server.post("hello builtin")
        server.post("and again", thread_ts=first)
        assert [app.next_text(), app.next_text()] == ["hello builtin", "and again"]
        wait_until(lambda: server.in_flight() == 0, what="acks")
        assert server.stats()["retries"] == 0
        # the pong must echo "<session id>:<time>" or the client marks the link stale
        wait_until(lambda: app.client.current_session.last_ping_pong_time is not None, what="pong")
    finally:
        app.client.close()


def test_builtin_client_reconnects_on_refresh_and_on_abrupt_drop(sockets: Sockets) -> None:
    server = sockets
    app = BuiltinApp(server)
    app.client.connect()
    try:
        wait_until(lambda: server.connections(ALPHA) == 1, what="connection")
        for mode in ("refresh", "close"):
            before = app.client.session_id()
            assert server.drop(ALPHA, mode) == 1
            wait_until(lambda: app.client.session_id() != before and app.client.is_connected(), what="reconnect")
            wait_until(lambda: server.connections(ALPHA) == 1, what="old socket closed")
            server.post(f"after {mode}")
            assert app.next_text() == f"after {mode}"
    finally:
        app.client.close()


async def test_aiohttp_client_receives_reconnects_and_gets_pongs(sockets: Sockets) -> None:
    server = sockets
    got: asyncio.Queue[SocketModeRequest] = asyncio.Queue()
    client = AsyncSocketModeClient(app_token="xapp-emu-alpha", web_client=AsyncWebClient(base_url=server.base_url),
                                   ping_interval=0.2)

    async def on_request(c: AsyncSocketModeClient, req: SocketModeRequest) -> None:
        await c.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
        await got.put(req)

    async def next_text() -> str:
        req = await asyncio.wait_for(got.get(), 10)
        return check_envelope(_envelope(req), ALPHA, attempt=req.retry_attempt or 0)["text"]

    client.socket_mode_request_listeners.append(on_request)
    await client.connect()
    try:
        await async_wait_until(lambda: server.connections(ALPHA) == 1, what="connection")
        await asyncio.to_thread(server.post, "hello aiohttp")
        assert await next_text() == "hello aiohttp"
        await async_wait_until(lambda: client.last_ping_pong_time is not None, what="pong")
        for mode in ("refresh", "close"):
            before = await client.session_id()
            assert await asyncio.to_thread(server.drop, ALPHA, mode) == 1

            async def reconnected() -> bool:
                return await client.session_id() != before and await client.is_connected()

            deadline = asyncio.get_running_loop().time() + 20
            while not await reconnected():
                assert asyncio.get_running_loop().time() < deadline, f"no reconnect after {mode}"
                await asyncio.sleep(0.02)
            await async_wait_until(lambda: server.connections(ALPHA) == 1, what="old closed")
            await asyncio.to_thread(server.post, f"after {mode}")
            assert await next_text() == f"after {mode}"
        await async_wait_until(lambda: server.in_flight() == 0, what="acks")
    finally:
        await client.close()


def test_bolt_app_in_socket_mode_receives_a_message_posted_by_another_user(sockets: Sockets) -> None:
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    app = App(client=WebClient(token="xoxb-emu-alpha", base_url=sockets.base_url))

    @app.event("message")
    def on_message(event: dict[str, Any]) -> None:
        received.put(event)

    handler = SocketModeHandler(app, app_token="xapp-emu-alpha", web_client=WebClient(base_url=sockets.base_url))
    handler.connect()
    try:
        wait_until(lambda: sockets.connections(ALPHA) == 1, what="bolt connection")
        sockets.post("job for bolt", user=DANA)  # a human, through the control surface
        publisher = WebClient(token="xoxb-emu-publisher", base_url=sockets.base_url)
        publisher.chat_postMessage(channel="C0JOBS0001", text="job from the publisher bot")
        own = WebClient(token="xoxb-emu-alpha", base_url=sockets.base_url)
        own.chat_postMessage(channel="C0JOBS0001", text="alpha's own message")  # Bolt ignores self events
        sockets.post("last one", user=DANA)
        events = [received.get(timeout=10) for _ in range(3)]
        assert [(e["user"], e["text"]) for e in events] == [
            (DANA, "job for bolt"), ("U0PUBLSH01", "job from the publisher bot"), (DANA, "last one")]
        assert all(e["channel"] == "C0JOBS0001" for e in events)
        wait_until(lambda: sockets.in_flight(ALPHA) == 0, what="bolt acked all four")
        assert sockets.stats()["acks"] == 4
    finally:
        handler.close()
