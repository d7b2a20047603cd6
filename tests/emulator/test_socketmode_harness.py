"""A small host for SocketModeHub and the checks every Socket Mode test file shares.

``HubServer`` runs a ``SocketModeHub`` on its own event loop in a thread (127.0.0.1, port 0) behind
the three routes a Socket Mode client touches: ``apps.connections.open``, ``auth.test`` (Bolt asks
it) and ``GET /link/``. Events are fed to the hub exactly as the backend feeds them: ``on_event``
called on the hub's loop. The sync slack_sdk client, the aiohttp one and a raw aiohttp WebSocket
all talk to it over real sockets.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiohttp import web

from slackmq_core.emulator.socketmode import SocketModeHub
from slackmq_core.emulator.workspace import Workspace, default_workspace

SPECS = Path("/work/shared/slack-api-specs")
JOBS = "C0JOBS0001"
PRIVATE = "G0PRIVATE1"
ALPHA, BRAVO, CONSOLE = "A0ALPHA001", "A0BRAVO001", "A0CONSOL01"
DANA = "U0OPSDANA1"


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``predicate`` (bounded); return its first truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


async def async_wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


def only_apps(*app_ids: str) -> Workspace:
    """The default workspace with only these apps (so counters and retries concern them alone)."""
    ws = default_workspace()
    return dataclasses.replace(ws, apps=tuple(a for a in ws.apps if a.id in app_ids))


class HubServer:
    """SocketModeHub on a private loop in a thread; see the module docstring."""

    def __init__(self, workspace: Workspace | None = None, **hub_kwargs: Any) -> None:
        self.workspace = workspace or default_workspace()
        self.hub_kwargs = hub_kwargs
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="hub-server", daemon=True)
        self._ts = 1_700_000_000.000000
        self.port = 0

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> HubServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("hub server did not start")
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())
        self.loop.close()

    async def _serve(self) -> None:
        ws = self.workspace
        members = {c.id: set(c.members) for c in ws.channels}
        self.hub = SocketModeHub(
            ws,
            is_member=lambda user, channel: user in members.get(channel, ()),
            is_private=lambda channel: any(c.id == channel and c.is_private for c in ws.channels),
            clock=time.time,
            rng=random.Random(7),
            **self.hub_kwargs,
        )
        app = web.Application()
        app.router.add_route("*", "/api/apps.connections.open", self._connections_open)
        app.router.add_route("*", "/api/auth.test", self._auth_test)
        app.router.add_get("/link/", self.hub.handle_websocket)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await self.hub.close()
        await runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def _bearer(self, request: web.Request) -> Any:
        header = request.headers.get("Authorization", "")
        return self.workspace.token(header.removeprefix("Bearer ").strip())

    async def _connections_open(self, request: web.Request) -> web.Response:
        tok = self._bearer(request)
        if tok is None or tok.kind != "app":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        url = self.hub.open_connection_url(tok.app, f"ws://127.0.0.1:{self.port}")
        return web.json_response({"ok": True, "url": url})

    async def _auth_test(self, request: web.Request) -> web.Response:
        tok = self._bearer(request)
        if tok is None or tok.user is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        user = self.workspace.user(tok.user)
        body = {"ok": True, "url": "https://slackmq-demo.slack.com/", "team": self.workspace.team.name,
                "user": user.name, "team_id": self.workspace.team.id, "user_id": user.id,
                "is_enterprise_install": False}
        if user.bot_id:
            body.update(bot_id=user.bot_id, app_id=user.app_id)
        return web.json_response(body)

    # -- driving the hub from any thread ------------------------------------------------------
    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the hub's loop and return its result (awaited if it is a coroutine)."""

        async def run() -> Any:
            result = fn(*args, **kwargs)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def next_ts(self) -> str:
        self._ts += 0.000001
        return f"{self._ts:.6f}"

    def emit(self, event: dict[str, Any], channel: str = JOBS) -> dict[str, Any]:
        self.call(self.hub.on_event, event, channel)
        return event

    def post(self, text: str, *, channel: str = JOBS, user: str = DANA, **extra: Any) -> dict[str, Any]:
        ts = self.next_ts()
        event = {"type": "message", "user": user, "text": text, "ts": ts, "team": self.workspace.team.id,
                 "channel": channel, "event_ts": ts, **extra}
        return self.emit(event, channel)


@pytest.fixture
def make_hub() -> Iterator[Callable[..., HubServer]]:
    """Start HubServers with hub keyword arguments (time_scale, ack_timeout, ...); all stopped after."""
    servers: list[HubServer] = []

    def make(workspace: Workspace | None = None, **hub_kwargs: Any) -> HubServer:
        servers.append(HubServer(workspace, **hub_kwargs).start())
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def hub_server(make_hub: Callable[..., HubServer]) -> HubServer:
    return make_hub()


def envelope_schema() -> dict[str, Any]:
    """Slack's GenericEventWrapper, minus ``authed_users`` in ``required``.

    Real Slack follows the 2021 change over the 2020 spec: payloads carry ``authorizations`` (one
    entry) instead of ``authed_users`` (changelog 2020-09-15-events-api-truncate-authed-users), and
    Socket Mode payloads seen from real workspaces have no ``authed_users`` at all.
    """
    spec = json.loads((SPECS / "slack_events_api_async_v1.json").read_text())
    schema = copy.deepcopy(spec["components"]["schemas"]["GenericEventWrapper"])
    schema["required"] = [r for r in schema["required"] if r != "authed_users"]
    common = json.loads((SPECS / "slack_common_event_wrapper_schema.json").read_text())
    assert set(common["required"]) == set(schema["required"]) | {"authed_users"}
    return schema


def check_envelope(envelope: dict[str, Any], app_id: str, *, attempt: int = 0) -> dict[str, Any]:
    """Assert the Socket Mode envelope and its Events API body are what Slack sends; return the event."""
    assert set(envelope) == {"envelope_id", "payload", "type", "accepts_response_payload",
                             "retry_attempt", "retry_reason"}
    assert envelope["type"] == "events_api"
    assert envelope["accepts_response_payload"] is False
    assert envelope["retry_attempt"] == attempt
    assert envelope["retry_reason"] == ("timeout" if attempt else "")
    body = envelope["payload"]
    jsonschema.validate(body, envelope_schema())
    assert body["type"] == "event_callback"
    assert body["api_app_id"] == app_id
    assert body["event_id"].startswith("Ev")
    assert body["event_context"].startswith("4-")
    assert body["is_ext_shared_channel"] is False
    [auth] = body["authorizations"]
    bot = next(a.bot_user for a in default_workspace().apps if a.id == app_id)
    assert auth == {"enterprise_id": None, "team_id": body["team_id"], "user_id": bot, "is_bot": True,
                    "is_enterprise_install": False}
    return body["event"]


def test_envelope_schema_is_slacks_wrapper_without_authed_users() -> None:
    schema = envelope_schema()
    assert "authed_users" not in schema["required"]
    assert {"token", "team_id", "api_app_id", "event", "type", "event_id", "event_time"} <= set(schema["required"])
