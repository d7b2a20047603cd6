"""The Socket Mode source of the Watcher: slack_sdk's aiohttp SocketModeClient, acked and de-duplicated.

Cost: one ``apps.connections.open`` per connection (Tier 1 on older docs, Tier 3 now) and no Web API
calls at all while the socket is up; Slack pushes each event once to one of the app's connections.

What happens on the wire and what we do about it:

* every envelope is acknowledged (``{"envelope_id": ...}``) as soon as it arrives, whatever its type;
* Slack redelivers an envelope it thinks was not acked (same ``event_id``): we drop repeats by
  ``event_id``;
* each new WebSocket starts with a ``hello``. The first one makes the watcher ``live`` and sends the
  start ``resync``; any later one means the socket was replaced (a ``disconnect`` message, a dropped or
  stale link), events may have been lost in between, so we send ``resync`` with reason ``reconnect``;
* a small local check (no I/O) every ``ping_interval / 4`` seconds marks the watcher ``offline`` while
  slack_sdk has no open session, so the status bar says so within a second or two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import TYPE_CHECKING, Any

from slackmq_core import _slack
from slackmq_core._protocol import call
from slackmq_core._retry import Attempts, RetryPolicy
from slackmq_core.watch import ChannelEvent

if TYPE_CHECKING:
    from slack_sdk.socket_mode.aiohttp import SocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest
    from slack_sdk.web.async_client import AsyncWebClient

    from slackmq_core.watch import _Feed

__all__ = ["SocketSource", "translate_event"]

log = logging.getLogger("slackmq.watch")

_EDIT_SUBTYPES = frozenset({"message_changed", "message_replied"})


def translate_event(event: dict[str, Any]) -> ChannelEvent | None:
    """One Events API ``event`` as a ChannelEvent, or None for events the watcher does not report."""
    etype = event.get("type")
    event_ts = event.get("event_ts")
    if etype == "message":
        channel = event.get("channel") or ""
        subtype = event.get("subtype")
        if subtype in _EDIT_SUBTYPES:
            msg = event.get("message") or {}
            return ChannelEvent("message_changed", channel, msg.get("ts") or event.get("ts"),
                                user=msg.get("user"), event_ts=event_ts, message=msg, subtype=subtype,
                                thread_ts=msg.get("thread_ts"))
        if subtype == "message_deleted":
            prev = event.get("previous_message") or {}
            return ChannelEvent("message_deleted", channel, event.get("deleted_ts") or prev.get("ts"),
                                user=prev.get("user"), event_ts=event_ts, message=prev or None,
                                subtype=subtype, thread_ts=prev.get("thread_ts"))
        return ChannelEvent("message", channel, event.get("ts"), user=event.get("user"), event_ts=event_ts,
                            message=event, subtype=subtype, thread_ts=event.get("thread_ts"))
    if etype in ("pin_added", "pin_removed"):
        item = event.get("item") or {}
        msg = item.get("message") or {}
        channel = event.get("channel_id") or item.get("channel") or ""
        info = event.get("pinned_info") or {}
        created = item.get("created", info.get("pinned_ts")) if etype == "pin_added" else None
        try:
            pinned_at = float(created) if created is not None else None
        except (TypeError, ValueError):
            pinned_at = None
        by = (item.get("created_by") or info.get("pinned_by")) if etype == "pin_added" else None
        return ChannelEvent(etype, channel, msg.get("ts") or item.get("ts"), user=event.get("user"),
                            event_ts=event_ts, message=msg or None, pinned_by=by, pinned_at=pinned_at)
    if etype in ("reaction_added", "reaction_removed"):
        item = event.get("item") or {}
        if item.get("type", "message") != "message":
            return None
        return ChannelEvent(etype, item.get("channel") or "", item.get("ts"), user=event.get("user"),
                            reaction=event.get("reaction"), event_ts=event_ts)
    return None


class SocketSource:
    """Feeds the watcher from a Socket Mode connection (see the module docstring)."""

    def __init__(self, feed: _Feed, client: AsyncWebClient, app_token: str, *, base_url: str | None,
                 ping_interval: float) -> None:
        self.feed = feed
        self.ping_interval = ping_interval
        self._web = _slack.make_async_client(app_token, base_url=base_url or client.base_url)
        self._app_token = app_token
        self._sm: SocketModeClient | None = None
        self._session: object = None        # the WebSocket we last sent a resync for
        self._hellos = 0

    async def run(self) -> None:
        sm = _slack.make_socket_mode_client(self._app_token, web_client=self._web,
                                            ping_interval=self.ping_interval)
        self._sm = sm
        sm.socket_mode_request_listeners.append(self._on_request)
        sm.message_listeners.append(self._on_message)
        # Ask for the first URL ourselves: slack_sdk's connect() retries forever on any error, which
        # would hide a revoked or mistyped app token. Errors come back as our exceptions.
        sm.wss_uri = await self._open_url()
        await sm.connect()
        self._observe(sm.current_session)
        period = max(0.05, min(1.0, self.ping_interval / 4))
        while not sm.closed:
            await asyncio.sleep(period)
            self._check()

    async def _open_url(self) -> str:
        """The first socket URL. 5xx, timeouts and 429s are retried with the core's bounded policy;
        auth, scope and token-type errors end the watcher at once (they will not heal by waiting)."""
        attempts = Attempts(RetryPolicy(), call("apps.connections.open"), random.random)
        while True:
            try:
                opened = await self._web.apps_connections_open(app_token=self._app_token)
                return str(opened["url"])
            except Exception as exc:  # noqa: BLE001 - translated at the slack_sdk boundary
                decision = attempts.on_error(exc)
            if isinstance(decision, BaseException):
                raise decision from None
            log.info("apps.connections.open failed; retrying in %.1fs", decision)
            self.feed.set_mode("offline", detail="connecting: retrying apps.connections.open")
            await asyncio.sleep(decision)

    def _check(self) -> None:
        sm = self._sm
        if sm is None:
            return
        session = sm.current_session
        if session is None or session.closed:
            if self.feed.status.mode != "offline":
                self.feed.set_mode("offline", detail="socket closed: reconnecting")
            return
        self._observe(session)

    def _observe(self, session: object) -> None:
        """A session is open: go live, and resync if it is not the one we already resynced for."""
        if session is None or getattr(session, "closed", True):
            return
        if session is not self._session:
            first = self._session is None
            self._session = session
            if not first:
                self.feed.count("reconnects")
            self.feed.resync("start" if first else "reconnect")
        self.feed.set_mode("live")

    async def _on_message(self, client: Any, message: dict, raw: str | None) -> None:
        if message.get("type") == "hello":
            self._hellos += 1
            self._observe(client.current_session)

    async def _on_request(self, client: Any, req: SocketModeRequest) -> None:
        # Queue first (no await in between, so events keep their order), then ack.
        payload = req.payload or {}
        if req.type == "events_api" and self.feed.first_sight(payload.get("event_id")):
            event = translate_event(payload.get("event") or {})
            if event is not None:
                self._observe(client.current_session)
                self.feed.put(event)
        try:
            await client.send_socket_mode_response({"envelope_id": req.envelope_id})
        except Exception as exc:  # noqa: BLE001 - socket being replaced: Slack redelivers, we dedupe
            log.info("could not ack envelope %s (%s): it will be redelivered", req.envelope_id,
                     type(exc).__name__)

    async def close(self) -> None:
        sm, self._sm = self._sm, None
        if sm is not None:
            with contextlib.suppress(Exception):
                await sm.close()
        with contextlib.suppress(Exception):
            session = getattr(self._web, "session", None)
            if session is not None:
                await session.close()
