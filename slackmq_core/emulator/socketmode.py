"""Socket Mode: tickets, the ``/link/`` WebSocket, envelopes, acks and redelivery.

:class:`SocketModeHub` serves ``apps.connections.open`` (``open_connection_url``) and ``GET /link/``
(``handle_websocket``) the way slack_sdk and Bolt see Slack: ``hello`` on connect, at most 10 sockets
per app (the 11th gets ``disconnect`` / ``too_many_websockets``), pongs echoing ping payloads, one
``events_api`` envelope per subscribed app sent on ONE of its sockets (round-robin), redelivered with
the same ``event_id`` and ``retry_attempt`` 1-3 / ``retry_reason:"timeout"`` at once, +1 min and +5 min
(Slack seconds / ``time_scale``) until acked, then dropped. The full behaviour table, with the reasons,
is in docs/ARCHITECTURE.md, "Socket Mode".

This module imports nothing from the rest of ``slackmq_core``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import logging
import random
import string
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .exceptions import SlackError
from .workspace import Workspace

__all__ = ["SocketModeHub"]

log = logging.getLogger(__name__)

_EVENT_ID_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(eq=False)
class _Conn:
    """One open ``/link/`` WebSocket of one app."""

    number: int
    app_id: str
    ws: web.WebSocketResponse
    request: web.Request
    outbox: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    writer: asyncio.Task[None] | None = None
    draining: bool = False  # told to refresh: used only when the app has no other connection

    def send(self, message: dict[str, Any]) -> None:
        self.outbox.put_nowait(json.dumps(message, separators=(",", ":")))

    def abort(self) -> None:
        """Cut the TCP connection without a close frame (what a network drop looks like)."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()
        self.outbox.put_nowait(None)


@dataclass(eq=False)
class _Event:
    """One inner event on its way to one app, across all its delivery attempts."""

    app_id: str
    event_id: str
    body: dict[str, Any]
    attempt: int = 0
    envelopes: set[str] = field(default_factory=set)
    timer: asyncio.TimerHandle | None = None


class SocketModeHub:
    """Socket Mode for every app of one emulated workspace (see the module docstring)."""

    MAX_CONNECTIONS = 10
    TICKET_TTL = 30.0  # real seconds
    REFRESH_GRACE = 10.0  # real seconds a refreshed connection stays open if the client keeps it
    RETRY_DELAYS = (0.0, 60.0, 300.0)  # Slack seconds before retry 1, 2, 3
    DROP_MODES = ("close", "refresh")

    def __init__(
        self,
        workspace: Workspace,
        *,
        is_member: Callable[[str, str], bool],
        is_private: Callable[[str], bool],
        clock: Callable[[], float],
        rng: random.Random,
        time_scale: float = 1.0,
        ack_timeout: float = 3.0,
        drop_rate: float = 0.0,
    ) -> None:
        """``is_member(user_id, channel_id)`` and ``is_private(channel_id)`` ask the backend."""
        if not time_scale > 0:
            raise ValueError(f"time_scale must be a number > 0, got {time_scale!r}")
        if not ack_timeout > 0:
            raise ValueError(f"ack_timeout must be a number of seconds > 0, got {ack_timeout!r}")
        self.workspace = workspace
        self._is_member = is_member
        self._is_private = is_private
        self._clock = clock
        self._rng = rng
        self.time_scale = float(time_scale)
        self.ack_timeout = float(ack_timeout)
        self._drop_rate = 0.0
        self.set_drop_rate(drop_rate)
        self._tickets: dict[str, tuple[str, float]] = {}  # ticket -> (app id, monotonic expiry)
        self._conns: dict[str, list[_Conn]] = {}
        self._round_robin: dict[str, int] = {}
        self._envelopes: dict[str, _Event] = {}  # envelope id -> event still awaiting an ack
        self._events: set[_Event] = set()
        self._handles: set[asyncio.TimerHandle] = set()
        self._numbers = 0
        self._closed = False
        self.counters: dict[str, int] = dict.fromkeys(
            ("envelopes_sent", "acks", "retries", "events_dropped", "connections_dropped"), 0
        )

    # -- tickets and connections -------------------------------------------------------------

    def open_connection_url(self, app_id: str, ws_base: str) -> str:
        """A single-use ``{ws_base}/link/?ticket=…&app_id=…`` for one new connection of ``app_id``."""
        if self.workspace.app(app_id) is None:
            raise SlackError("invalid_auth")
        now = time.monotonic()
        self._tickets = {t: v for t, v in self._tickets.items() if v[1] > now}
        ticket = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        self._tickets[ticket] = (app_id, now + self.TICKET_TTL)
        return f"{ws_base.rstrip('/')}/link/?ticket={ticket}&app_id={app_id}"

    def connections(self, app_id: str | None = None) -> int:
        """How many WebSockets are open (for one app, or for all)."""
        if app_id is not None:
            return len(self._conns.get(app_id, ()))
        return sum(len(c) for c in self._conns.values())

    def in_flight(self, app_id: str | None = None) -> int:
        """Events not yet acked and not yet dropped (awaiting an ack or a retry)."""
        return sum(1 for e in self._events if app_id is None or e.app_id == app_id)

    def stats(self) -> dict[str, Any]:
        return {
            **self.counters,
            "in_flight": self.in_flight(),
            "in_flight_by_app": {app: self.in_flight(app) for app in sorted({e.app_id for e in self._events})},
            "connections": {app: len(c) for app, c in self._conns.items() if c},
        }

    def _redeem(self, ticket: str, app_id: str | None) -> str | None:
        entry = self._tickets.pop(ticket, None)
        if entry is None or entry[1] <= time.monotonic():
            return None
        if app_id is not None and app_id != entry[0]:
            return None
        return entry[0]

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        """``GET /link/?ticket=…&app_id=…`` (a trailing ``?`` is harmless): one app connection."""
        query = {k: v.rstrip("?") for k, v in request.query.items()}
        app_id = self._redeem(query.get("ticket", ""), query.get("app_id"))
        if app_id is None or self._closed:
            return web.Response(status=401, text="invalid_ticket: ask apps.connections.open for a new URL\n")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conns = self._conns.setdefault(app_id, [])
        if len(conns) >= self.MAX_CONNECTIONS:
            await ws.send_str(json.dumps(self._disconnect("too_many_websockets")))
            await ws.close()
            return ws
        self._numbers += 1
        conn = _Conn(self._numbers, app_id, ws, request)
        conns.append(conn)
        conn.writer = asyncio.create_task(self._write(conn), name=f"socketmode-writer-{conn.number}")
        conn.send(self._hello(conn, len(conns)))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_client_message(conn, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            if conn in conns:
                conns.remove(conn)
            conn.outbox.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await conn.writer
        return ws

    async def _write(self, conn: _Conn) -> None:
        """Send one connection's messages in order; stops at ``None`` or when the socket fails."""
        while (text := await conn.outbox.get()) is not None:
            try:
                await conn.ws.send_str(text)
            except (ConnectionError, RuntimeError) as exc:  # closing / closed underneath us
                log.debug("socket mode connection %s: send failed: %s", conn.number, exc)
                return

    def _on_client_message(self, conn: _Conn, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.debug("socket mode connection %s sent a non-JSON frame; ignored", conn.number)
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not isinstance(envelope_id, str):
            return
        event = self._envelopes.get(envelope_id)
        if event is None or event.app_id != conn.app_id:
            return  # unknown, already settled, or another app's envelope: Slack ignores it too
        self.counters["acks"] += 1
        self._settle(event)

    def _hello(self, conn: _Conn, count: int) -> dict[str, Any]:
        started = dt.datetime.fromtimestamp(self._clock(), dt.timezone.utc)
        return {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": f"applink-emulator-{conn.number}",
                "started": started.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": conn.app_id},
        }

    @staticmethod
    def _disconnect(reason: str, number: int = 0) -> dict[str, Any]:
        return {"type": "disconnect", "reason": reason, "debug_info": {"host": f"applink-emulator-{number}"}}

    # -- events ------------------------------------------------------------------------------

    def on_event(self, event: dict[str, Any], channel_id: str) -> None:
        """Fan one inner event out to every subscribed app whose bot user is in ``channel_id``.

        Call it on the event loop that serves the WebSockets. The event is copied at once, so
        the caller may keep mutating its own objects.
        """
        if self._closed:
            return
        event = json.loads(json.dumps(event))
        private = self._is_private(channel_id)
        if event.get("type") == "message":
            subscription = "message.groups" if private else "message.channels"
            event.setdefault("channel_type", "group" if private else "channel")
        else:
            subscription = str(event.get("type"))
        event_id = "Ev" + "".join(self._rng.choice(_EVENT_ID_ALPHABET) for _ in range(10))
        event_time = int(self._clock())
        team_id = self.workspace.team.id
        for app in self.workspace.apps:
            if subscription not in app.events or not self._is_member(app.bot_user, channel_id):
                continue
            context = {"et": event.get("type"), "tid": team_id, "aid": app.id, "cid": channel_id}
            body = {
                "token": f"emu-verification-{app.id.lower()}",
                "team_id": team_id,
                "context_team_id": team_id,
                "context_enterprise_id": None,
                "api_app_id": app.id,
                "event": event,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": event_time,
                "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": app.bot_user,
                                    "is_bot": True, "is_enterprise_install": False}],
                "is_ext_shared_channel": False,
                "event_context": "4-" + _b64(context),
            }
            record = _Event(app.id, event_id, body)
            self._events.add(record)
            self._deliver(record)

    def _pick(self, app_id: str) -> _Conn | None:
        conns = [c for c in self._conns.get(app_id, ()) if not c.ws.closed]
        fresh = [c for c in conns if not c.draining] or conns
        if not fresh:
            return None
        turn = self._round_robin.get(app_id, 0)
        self._round_robin[app_id] = turn + 1
        return fresh[turn % len(fresh)]

    def _deliver(self, event: _Event) -> None:
        """One delivery attempt; arms the ack timer (or fails at once with no connection)."""
        event.timer = None
        conn = self._pick(event.app_id)
        if conn is None:
            self._failed(event)
            return
        envelope_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        event.envelopes.add(envelope_id)
        self._envelopes[envelope_id] = event
        if self._drop_rate and self._rng.random() < self._drop_rate:
            self.counters["connections_dropped"] += 1
            conn.abort()  # the socket dies while serving: this envelope is lost on the wire
        else:
            conn.send({"envelope_id": envelope_id, "payload": event.body, "type": "events_api",
                       "accepts_response_payload": False, "retry_attempt": event.attempt,
                       "retry_reason": "timeout" if event.attempt else ""})
            self.counters["envelopes_sent"] += 1
        event.timer = self._later(self.ack_timeout, self._failed, event)

    def _failed(self, event: _Event) -> None:
        """An attempt was not acked in time (or found no connection): schedule the next or drop."""
        event.timer = None
        if event.attempt >= len(self.RETRY_DELAYS):
            log.info("socket mode: event %s for app %s dropped after %d retries",
                     event.event_id, event.app_id, event.attempt)
            self.counters["events_dropped"] += 1
            self._settle(event)
            return
        event.attempt += 1
        self.counters["retries"] += 1
        event.timer = self._later(self.RETRY_DELAYS[event.attempt - 1], self._deliver, event)

    def _settle(self, event: _Event) -> None:
        """The event is done (acked or dropped): forget its envelopes and timers."""
        if event.timer is not None:
            event.timer.cancel()
            self._handles.discard(event.timer)
            event.timer = None
        for envelope_id in event.envelopes:
            self._envelopes.pop(envelope_id, None)
        self._events.discard(event)

    def _later(self, slack_seconds: float, callback: Callable[..., None], *args: Any) -> asyncio.TimerHandle:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._handles.discard(handle)
            if not self._closed:
                callback(*args)

        handle = loop.call_later(slack_seconds / self.time_scale, fire)
        self._handles.add(handle)
        return handle

    # -- faults and shutdown -----------------------------------------------------------------

    async def drop(self, app_id: str | None = None, mode: str = "close") -> int:
        """Drop every connection (of one app, or all): ``close`` cuts TCP, ``refresh`` asks nicely.

        ``refresh`` sends ``{"type":"disconnect","reason":"refresh_requested"}``; the connection is
        then used only as a last resort and closed after :attr:`REFRESH_GRACE` real seconds unless
        the client closes it first (slack_sdk opens its new socket, then closes the old one).
        Returns how many connections were dropped.
        """
        if mode not in self.DROP_MODES:
            raise ValueError(f"drop mode must be 'close' or 'refresh', got {mode!r}")
        if app_id is not None and self.workspace.app(app_id) is None:
            known = ", ".join(a.id for a in self.workspace.apps)
            raise ValueError(f"unknown app id {app_id!r}; apps in this workspace: {known}")
        targets = [c for app, conns in self._conns.items() if app_id in (None, app) for c in conns]
        for conn in targets:
            if mode == "close":
                conn.abort()
            elif not conn.draining:
                conn.draining = True
                conn.send(self._disconnect("refresh_requested", conn.number))
                loop = asyncio.get_running_loop()
                handle = loop.call_later(self.REFRESH_GRACE, lambda c=conn: self._close_soon(c))
                self._handles.add(handle)
        self.counters["connections_dropped"] += len(targets)
        return len(targets)

    def _close_soon(self, conn: _Conn) -> None:
        if not conn.ws.closed:
            asyncio.get_running_loop().create_task(self._close_conn(conn))

    async def _close_conn(self, conn: _Conn, code: int = 1000) -> None:
        conn.outbox.put_nowait(None)
        try:
            await asyncio.wait_for(conn.ws.close(code=code), timeout=2.0)
        except (TimeoutError, ConnectionError, RuntimeError):
            conn.abort()

    def set_drop_rate(self, p: float) -> None:
        """Each delivery kills its connection with probability ``p`` (seeded RNG): 0 ≤ p ≤ 1."""
        if not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
            raise ValueError(f"socket drop rate must be a probability between 0 and 1, got {p!r}")
        self._drop_rate = float(p)

    async def close(self) -> None:
        """Stop all timers and close every connection (code 1001, going away)."""
        self._closed = True
        for handle in list(self._handles):
            handle.cancel()
        self._handles.clear()
        self._envelopes.clear()
        self._events.clear()
        self._tickets.clear()
        conns = [c for cs in self._conns.values() for c in cs]
        await asyncio.gather(*(self._close_conn(c, 1001) for c in conns), return_exceptions=True)


def _b64(value: dict[str, Any]) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
