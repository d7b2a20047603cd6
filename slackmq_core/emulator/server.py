"""``Emulator`` (async context manager), ``run_in_thread()`` and the aiohttp app.

Routes: ``/api/{method}`` (GET and POST: the Web API), ``GET /link/`` (Socket Mode WebSocket,
served by ``SocketModeHub``), ``/_emulator/...`` (control surface, see control.py).

One ``Emulator`` owns one backend, one rate limiter, one fault injector and one Socket Mode hub:
no module-level state, so any number can run side by side.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from . import exceptions as E
from .control import EmulatorControl, add_control_routes
from .faults import Faults, FaultSettings
from .models import Caller, SlackBackend
from .ratelimit import RateLimiter
from .responses import authenticate, authorize
from .state import load_state, save_state
from .urls import ROUTES
from .workspace import Workspace, default_workspace, load_workspace

__all__ = ["Emulator", "EmulatorConfig", "run_in_thread"]

MUTATING = frozenset({
    "chat.postMessage", "chat.update", "chat.delete", "pins.add", "pins.remove", "stars.add",
    "stars.remove", "reactions.add", "reactions.remove", "conversations.join",
})
_JSON = "application/json"
_CONTENT_TYPE = "application/json; charset=utf-8"
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@dataclass
class EmulatorConfig:
    """Everything ``slackmq emulator`` takes as flags, for in-process use."""

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 0
    workspace: Workspace | None = None  # wins over workspace_file
    workspace_file: str | Path | None = None
    state_file: str | Path | None = None
    time_scale: float = 1.0
    rate_limits: bool = True
    tier1_history: bool = False  # the 2025 rule: history/replies at Tier 1, limit 15
    latency_ms: float = 0.0
    error_rate: float = 0.0
    ambiguous_rate: float = 0.0
    race_probability: float = 0.0
    race_window_ms: float = 0.0
    socket_drop_rate: float = 0.0
    ack_timeout: float = 3.0
    clock: Callable[[], float] | None = field(default=None, repr=False)  # epoch seconds
    monotonic: Callable[[], float] | None = field(default=None, repr=False)  # rate-limit windows

    def fault_settings(self) -> FaultSettings:
        return FaultSettings(self.latency_ms, self.error_rate, self.ambiguous_rate,
                             self.race_probability, self.race_window_ms, self.socket_drop_rate)


class Emulator:
    """A running emulator. ``async with Emulator(EmulatorConfig()) as emu: emu.base_url``."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config = config or EmulatorConfig()
        if config.time_scale <= 0:
            raise ValueError(f"time_scale must be > 0, not {config.time_scale}")
        self.rng = random.Random(config.seed)
        ws = config.workspace
        if ws is None:
            ws = load_workspace(config.workspace_file) if config.workspace_file else default_workspace()
        self.workspace = ws
        self.faults = Faults(config.fault_settings(), rng=random.Random(config.seed + 1))
        self.backend = SlackBackend(ws, clock=config.clock or time.time, rng=self.rng,
                                    race=self.faults.race)
        self.limiter = RateLimiter(time_scale=config.time_scale, enabled=config.rate_limits,
                                   tier1_history=config.tier1_history,
                                   clock=config.monotonic or time.monotonic)
        self.hub: Any = None
        self.ws_base = ""
        self.base_url = ""
        self.root_url = ""
        self.control: EmulatorControl | None = None
        self._runner: web.AppRunner | None = None
        self._tokens: dict[str, Caller] = {}
        self.reset_stats()
        if config.state_file:
            snap = load_state(config.state_file)
            if snap is not None:
                self.backend.restore(snap)

    # what responses.ApiContext reads
    @property
    def tier1_history(self) -> bool:
        return self.limiter.tier1_history

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> Emulator:
        from .socketmode import SocketModeHub

        cfg = self.config
        self.hub = SocketModeHub(
            self.workspace, is_member=self.backend.is_member, is_private=self.backend.is_private,
            clock=self.backend.clock, rng=random.Random(cfg.seed + 2), time_scale=cfg.time_scale,
            ack_timeout=cfg.ack_timeout, drop_rate=cfg.socket_drop_rate,
        )
        self.backend.add_listener(self.hub.on_event)
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link/", self.hub.handle_websocket)
        app.router.add_get("/link", self.hub.handle_websocket)
        add_control_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, cfg.host, cfg.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        self.host, self.port = host, port
        self.root_url = f"http://{shown}:{port}/"
        self.base_url = f"{self.root_url}api/"
        self.ws_base = f"ws://{shown}:{port}"
        self.control = EmulatorControl(self.root_url)
        return self

    async def stop(self) -> None:
        if self.hub is not None:
            self.backend.remove_listener(self.hub.on_event)
            await self.hub.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.save()

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def save(self) -> None:
        if self.config.state_file:
            save_state(self.config.state_file, self.backend.snapshot())

    # -- the Web API ----------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        calls = self._calls
        calls[method] = calls.get(method, 0) + 1
        faults = self.faults
        if faults.active:
            if faults.settings.latency_ms:
                await asyncio.sleep(faults.latency())
            status = faults.fail_before()
            if status:
                return _server_error(status)
        headers = {"Content-Type": _CONTENT_TYPE}
        try:
            args = await _read_args(request)
            route = ROUTES.get(method)
            if route is None:
                raise E.UnknownMethod(req_method=method)
            header = request.headers.get("Authorization", "")
            token = header[7:].strip() if header[:7].lower() == "bearer " else None
            if route.post_only:
                if request.method != "POST":
                    raise E.InsecureRequest()
            elif not token:
                token = args.get("token")
            caller = authenticate(self.backend, token, self._tokens)
            who = caller.user or caller.app_id or ""
            mine = self._by_user.get(who)
            if mine is None:
                mine = self._by_user[who] = {}
            mine[method] = mine.get(method, 0) + 1
            headers["X-OAuth-Scopes"] = caller.scope_header
            headers["X-Accepted-OAuth-Scopes"] = route.scope or ""
            authorize(route, caller)
            if self.limiter.enabled:
                channel = args.get("channel") if route.tier == "post" else None
                self.limiter.check(method, route.tier, caller.app_id or caller.user,
                                   self.workspace.team.id, str(channel or ""))
            ctx = _ForHost(self, f"ws://{request.host}") if route.post_only else self
            body = route.handler(ctx, caller, args)
        except E.SlackError as exc:
            if exc.status == 429:
                self._ratelimited += 1
            return web.Response(body=exc.body_bytes(), status=exc.status,
                                headers={**headers, **exc.headers})
        if method in MUTATING and self.config.state_file:
            self.save()
        if faults.active:
            after = faults.fail_after()
            if after == "drop":
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)
            if after == "5xx":
                return _server_error(500)
        body["ok"] = True
        return web.Response(body=_encode(body).encode(), headers=headers)

    # -- in-process control (the /_emulator/ routes call these) -----------------------------------
    def post(self, channel: str, user: str, text: str, *, thread_ts: str | None = None,
             metadata: dict | None = None) -> str:
        cid = self.backend.channel_id(channel, allow_name=True)
        caller = self.backend.caller_for_user(user)
        msg = self.backend.post_message(caller, cid, text, thread_ts=thread_ts, metadata=metadata)
        self.save()
        return msg["ts"]

    def reset(self) -> None:
        self.backend.reset()
        self.limiter.reset()
        self.save()

    def seed(self, channel: str | None = None, count: int = 0, user: str | None = None,
             text_prefix: str = "job", pins: list | None = None,
             reactions: list | None = None, events: bool = True) -> list[str]:
        """Bulk messages (``count``), pins and reactions. ``events=False``: the seeded messages
        fire no events (old history: nothing for Socket Mode to deliver or redeliver)."""
        b = self.backend
        out: list[str] = []
        if count:
            cid = b.channel_id(channel, allow_name=True)
            caller = b.caller_for_user(user or self.workspace.users[0].id)
            enabled = b.events_enabled
            b.events_enabled = enabled and bool(events)
            try:
                for i in range(int(count)):
                    out.append(b.post_message(caller, cid, f"{text_prefix} {i + 1}")["ts"])
            finally:
                b.events_enabled = enabled
        for p in pins or []:
            b.seed_pin(b.channel_id(p["channel"], allow_name=True), p["ts"], p["user"],
                       p.get("created"))
        for r in reactions or []:
            b.seed_reaction(b.channel_id(r["channel"], allow_name=True), r["ts"], r["user"],
                            r["name"], r.get("at"))
        self.save()
        return out

    def snapshot(self) -> dict:
        return self.backend.snapshot()

    def restore(self, snapshot: dict) -> None:
        self.backend.restore(snapshot)
        self.save()

    def set_events(self, enabled: bool) -> bool:
        """Hold every event back (``False``: calls change state but fire nothing, as for history
        written before anyone listened) or fire them again (``True``). Returns the setting."""
        if not isinstance(enabled, bool):
            raise ValueError(f"events enabled must be true or false, not {enabled!r}")
        self.backend.events_enabled = enabled
        return enabled

    def set_faults(self, **changes: Any) -> dict:
        if "rate_limits" in changes:
            value = changes.pop("rate_limits")
            self.limiter.enabled = value not in (False, "off", 0, "0", "false")
        if "tier1_history" in changes:
            self.limiter.tier1_history = bool(changes.pop("tier1_history"))
        self.faults.update(**changes)
        if self.hub is not None:
            self.hub.set_drop_rate(self.faults.settings.socket_drop_rate)
        return {**vars(self.faults.settings), "rate_limits": self.limiter.enabled,
                "tier1_history": self.limiter.tier1_history}

    async def drop_sockets(self, app_id: str | None = None, mode: str = "close") -> int:
        if mode not in ("close", "refresh"):
            raise ValueError(f"mode must be 'close' or 'refresh', not {mode!r}")
        return await self.hub.drop(app_id, mode) if self.hub is not None else 0

    def stats(self) -> dict:
        out = {"calls": dict(self._calls),
               "calls_by_user": {u: dict(m) for u, m in self._by_user.items()},
               "ratelimited": self._ratelimited, "faults": self.faults.injected}
        if self.hub is not None and hasattr(self.hub, "stats"):
            out["socket_mode"] = self.hub.stats()
        return out

    def reset_stats(self) -> None:
        self._calls: dict[str, int] = {}
        self._by_user: dict[str, dict[str, int]] = {}
        self._ratelimited = 0
        self.faults.injected = 0


class _ForHost:
    """The emulator as seen by one request: ``ws_base`` from the Host the client used."""

    def __init__(self, emu: Emulator, ws_base: str) -> None:
        self.backend, self.hub, self.tier1_history = emu.backend, emu.hub, emu.tier1_history
        self.ws_base = ws_base


def _server_error(status: int) -> web.Response:
    code = "service_unavailable" if status == 503 else "internal_error"
    return web.Response(body=E.dumps({"ok": False, "error": code}), status=status,
                        headers={"Content-Type": _CONTENT_TYPE})


async def _read_args(request: web.Request) -> dict[str, Any]:
    """Arguments merged from the query string, then a form or JSON body (the body wins)."""
    args: dict[str, Any] = dict(request.query) if request.query_string else {}
    if request.method != "POST" or not request.body_exists:
        return args
    ctype = request.content_type
    if ctype.startswith("multipart/"):
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
        return args
    raw = await request.read()
    if not raw:
        return args
    if ctype == _JSON:
        try:
            data = json.loads(raw)
        except ValueError:
            raise E.InvalidJson() from None
        if not isinstance(data, dict):
            raise E.InvalidJson()
        args.update(data)
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise E.SlackError("invalid_form_data") from None
        args.update(urllib.parse.parse_qsl(text, keep_blank_values=True))
    return args


class _ThreadedEmulator:
    """What ``run_in_thread`` yields: base_url, root_url, control, config, backend (read-only)."""

    def __init__(self, emu: Emulator) -> None:
        self.emulator = emu
        self.base_url = emu.base_url
        self.root_url = emu.root_url
        self.ws_base = emu.ws_base
        self.port = emu.port
        self.control: EmulatorControl = emu.control  # type: ignore[assignment]
        self.config = emu.config
        self.backend = emu.backend


@contextmanager
def run_in_thread(config: EmulatorConfig | None = None, *, timeout: float = 10.0
                  ) -> Iterator[_ThreadedEmulator]:
    """Run an emulator on its own event loop in a daemon thread; stops on exit."""
    emu = Emulator(config)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(emu.start())
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(emu.stop())
        loop.close()

    thread = threading.Thread(target=serve, name="slackmq-emulator", daemon=True)
    thread.start()
    if not ready.wait(timeout):
        raise RuntimeError("emulator did not start within the timeout")
    if failure:
        thread.join(timeout)
        raise failure[0]
    try:
        yield _ThreadedEmulator(emu)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
