"""The ``/_emulator/`` control surface (loopback callers only) and ``EmulatorControl``, its client.

Routes (JSON in, JSON out; never rate-limited, never faulted):

====================================  ==========================================================
``POST /_emulator/post``              ``{channel, user, text, thread_ts?, metadata?}`` -> ``{ok, channel, ts}``
``POST /_emulator/reset``             back to the workspace: no messages, pins, reactions, stars
``POST /_emulator/seed``              ``{channel, count, user?, text_prefix?, events?}`` and/or
                                      ``{pins: [{channel, ts, user, created?}],
                                      reactions: [{channel, ts, user, name}]}`` -> ``{ok, ts: [..]}``
``GET  /_emulator/snapshot``          the whole state (what ``--state`` writes)
``POST /_emulator/restore``           load a snapshot
``POST /_emulator/faults``            any of latency_ms, error_rate, ambiguous_rate,
                                      race_probability, race_window_ms, socket_drop_rate,
                                      rate_limits, tier1_history -> the settings now in force
``POST /_emulator/sockets/drop``      ``{app_id?, mode: "close"|"refresh"}`` -> ``{ok, dropped}``
``GET  /_emulator/stats``             ``{calls, calls_by_user, ratelimited, faults}``
``POST /_emulator/stats/reset``       zero the counters
``POST /_emulator/events``            ``{enabled: false}`` holds every event back (state still
                                      changes: history written before anyone listened),
                                      ``{enabled: true}`` fires them again -> ``{ok, enabled}``
====================================  ==========================================================

Errors answer HTTP 400 ``{"ok": false, "error": "<one line naming the bad value>"}``.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .exceptions import SlackError

if TYPE_CHECKING:
    from .server import Emulator

__all__ = ["ControlError", "EmulatorControl", "add_control_routes"]


class ControlError(RuntimeError):
    """A control call was refused; the message is the server's one-line reason."""


def _loopback(request: web.Request) -> bool:
    remote = request.remote or ""
    try:
        return ipaddress.ip_address(remote.split("%")[0]).is_loopback
    except ValueError:
        return remote in ("", "localhost")


def add_control_routes(app: web.Application, emu: Emulator) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        if not _loopback(request):
            return web.json_response({"ok": False, "error": "control surface is loopback-only"},
                                     status=403)
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return _bad("body is not valid JSON")
            if not isinstance(body, dict):
                return _bad("body must be a JSON object")
        name = request.match_info["name"]
        try:
            result = await _dispatch(emu, request.method, name, body)
        except SlackError as exc:
            return _bad(f"{name}: {exc.code}")
        except (ValueError, TypeError, KeyError) as exc:
            return _bad(f"{name}: {exc}")
        if result is None:
            return web.json_response({"ok": False, "error": f"no control route {name!r}"},
                                     status=404)
        return web.json_response(result)

    app.router.add_route("*", "/_emulator/{name:.+}", handle)


def _bad(message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=400)


async def _dispatch(emu: Emulator, verb: str, name: str, body: dict) -> dict | None:
    if verb == "GET" and name == "snapshot":
        return emu.snapshot()
    if verb == "GET" and name == "stats":
        return emu.stats()
    if verb != "POST":
        return None
    if name == "post":
        ts = emu.post(body["channel"], body["user"], body.get("text", ""),
                      thread_ts=body.get("thread_ts"), metadata=body.get("metadata"))
        return {"ok": True, "channel": emu.backend.channel_id(body["channel"], allow_name=True),
                "ts": ts}
    if name == "reset":
        emu.reset()
        return {"ok": True}
    if name == "seed":
        return {"ok": True, "ts": emu.seed(**body)}
    if name == "restore":
        emu.restore(body)
        return {"ok": True}
    if name == "faults":
        return {"ok": True, **emu.set_faults(**body)}
    if name == "sockets/drop":
        n = await emu.drop_sockets(body.get("app_id"), body.get("mode", "close"))
        return {"ok": True, "dropped": n}
    if name == "events":
        return {"ok": True, "enabled": emu.set_events(body.get("enabled"))}
    if name == "stats/reset":
        emu.reset_stats()
        return {"ok": True}
    return None


class EmulatorControl:
    """A tiny synchronous urllib client for ``/_emulator/`` (from sync code or another thread).

    Do not call it from the event loop that runs the emulator: it would block that loop. In async
    code use the same methods on the :class:`~.server.Emulator` object itself.
    """

    def __init__(self, root_url: str, *, timeout: float = 10.0) -> None:
        self.root_url = root_url.rstrip("/") + "/"
        self.timeout = timeout

    def _call(self, verb: str, name: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.root_url}_emulator/{name}", data=data, method=verb,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            try:
                reason = json.loads(exc.read()).get("error", exc.reason)
            except ValueError:
                reason = exc.reason
            raise ControlError(f"/_emulator/{name}: {reason}") from None

    def post(self, channel: str, user: str, text: str, *, thread_ts: str | None = None,
             metadata: dict | None = None) -> str:
        """Post as any user (no rate limit; fires events). Returns the new message's ts."""
        body: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            body["thread_ts"] = thread_ts
        if metadata:
            body["metadata"] = metadata
        return self._call("POST", "post", body)["ts"]

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def seed(self, **body: Any) -> list[str]:
        return self._call("POST", "seed", body)["ts"]

    def snapshot(self) -> dict:
        return self._call("GET", "snapshot")

    def restore(self, snapshot: dict) -> None:
        self._call("POST", "restore", snapshot)

    def faults(self, **settings: Any) -> dict:
        return self._call("POST", "faults", settings)

    def drop_sockets(self, app_id: str | None = None, mode: str = "close") -> int:
        body: dict[str, Any] = {"mode": mode}
        if app_id:
            body["app_id"] = app_id
        return self._call("POST", "sockets/drop", body)["dropped"]

    def stats(self) -> dict:
        return self._call("GET", "stats")

    def events(self, enabled: bool) -> bool:
        """Hold events back (False) or fire them again (True); see ``POST /_emulator/events``."""
        return bool(self._call("POST", "events", {"enabled": enabled})["enabled"])

    def reset_stats(self) -> None:
        self._call("POST", "stats/reset", {})
