"""The console's App, the services it is given, and ``make_app`` that builds them from a Profile.

The App holds no Slack logic: it receives a :class:`ConsoleServices` (the core's lock client, a
watcher factory, the audit log, settings) and hands it to the main screen, whose workers call one
core function each. ``make_app`` is the only place the console builds core objects.
"""

from __future__ import annotations

import getpass
import logging
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen

from slackmq_core import SlackMQError

if TYPE_CHECKING:
    from slackmq_core import AsyncLockClient
    from slackmq_core.audit import AuditLog
    from slackmq_core.config import Profile
    from slackmq_core.watch import Watcher

log = logging.getLogger("slackmq.tui")

#: Strategies offered by the ack dialog, in this order.
STRATEGIES = ("pin", "pin+reaction", "pin+star", "pin+star+reaction", "claim")


@dataclass
class ConsoleServices:
    """Everything the console needs from the outside world, built by :func:`make_app` or a test."""

    client: AsyncLockClient
    """The core's lock client, acting as the console's identity (the profile's bot token)."""
    channels: Sequence[str]
    """Channels to watch, by name ("jobs", "#jobs") or id."""
    workspace: str = ""
    """Label shown in the status bar (the team name from auth.test when empty)."""
    read_only: bool = False
    """Hide every mutating action (the client refuses them too)."""
    audit: AuditLog | None = None
    """Where operator actions are recorded (None: not recorded)."""
    watcher_factory: Callable[[Sequence[str]], Watcher] | None = None
    """Builds a Watcher for channel ids; None: no live updates (refresh by hand)."""
    client_for: Callable[[str], AsyncLockClient] | None = None
    """A lock client using another strategy, for ack; None: always ``client``."""
    default_strategy: str = "pin+reaction"
    stale_after: float = 900.0
    """Seconds after which a lock without a live lease counts as stale (clear-stale's threshold)."""
    page_size: int = 100
    """Messages per history page."""
    clock: Callable[[], float] = field(default=time.time)
    """Epoch seconds; tests inject a fixed clock so ages and times are deterministic."""
    close: Callable[[], Any] | None = None
    """Called (and awaited when it returns an awaitable) when the app exits."""
    actor: list[str] = field(default_factory=lambda: [f"{_local_user()} via slackmq console"])
    """Who acts, for the audit log (one mutable cell shared with the lock clients' factory)."""


class SlackMQApp(App[None]):
    """The SlackMQ lock console."""

    CSS_PATH = "slackmq.tcss"
    TITLE = "SlackMQ console"

    def __init__(self, services: ConsoleServices) -> None:
        super().__init__()
        self.services = services
        self.last_input = 0.0
        """time.monotonic() of the operator's last key or click (live repaints yield to it)."""

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.last_input = time.monotonic()
        await super().on_event(event)

    def get_default_screen(self) -> Screen:
        from slackmq_tui.screens.main import MainScreen

        return MainScreen(self.services)

    def report_error(self, error: SlackMQError, doing: str) -> str:
        """The one place errors are shown: a toast with the error's advice, the activity log and
        the Python log (with the traceback). Returns the advice shown."""
        advice = error.advice or str(error)
        log.error("%s failed: %s", doing, error, exc_info=error)
        self.notify(advice, title=f"{doing} failed", severity="error", timeout=10)
        screen = self._main_screen()
        if screen is not None:
            screen.activity(f"{doing} failed: {advice}", "error")
        return advice

    @property
    def actor(self) -> str:
        return self.services.actor[0]

    def set_actor(self, identity_label: str) -> None:
        """Name the Slack identity in audit records from now on (after auth.test)."""
        actor = f"{_local_user()} as {identity_label} via slackmq console"
        self.services.actor[0] = actor
        if hasattr(self.services.client, "actor"):
            self.services.client.actor = actor

    async def audit(self, *, action: str, channel: str, ts: str | None, result: str,
                    detail: Any = None) -> None:
        """Record an operator decision the core did not record itself (a cancelled confirmation,
        an error raised before any result). In a thread: the file write never blocks the UI."""
        audit = self.services.audit
        if audit is None:
            return
        import asyncio

        try:
            await asyncio.to_thread(audit.record, actor=self.actor, action=action,
                                    channel=channel, ts=ts, result=result, detail=detail)
        except OSError as exc:
            log.error("audit log %s: %s", getattr(audit, "path", "?"), exc)
            self.notify(f"could not write the audit log: {exc}", severity="error")

    def _main_screen(self):
        from slackmq_tui.screens.main import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        main = self._main_screen()
        if main is not None:
            yield from main.commands()
        yield from super().get_system_commands(screen)

    async def on_unmount(self) -> None:
        if self.services.close is not None:
            result = self.services.close()
            if hasattr(result, "__await__"):
                await result


def _local_user() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def make_app(profile: Profile, *, read_only: bool = False, clock: Callable[[], float] = time.time,
             audit_path: Path | None = None) -> SlackMQApp:
    """Build the console for a profile: its bot token acts, its app token (if any) makes it live.

    The lock clients write every mutating call to the audit log themselves; the console adds what
    the core never sees (cancelled confirmations, errors raised before a result).
    """
    from slackmq_core import (
        AsyncLockClient,
        AuditLog,
        ConfigError,
        Watcher,
        make_async_client,
    )

    if profile.bot_token is None:
        raise ConfigError(f"profile {profile.name!r} has no bot token: set SLACK_BOT_TOKEN or "
                          "bot_token in the config file")
    ro = read_only or profile.read_only
    web = make_async_client(profile.bot_token.reveal(), base_url=profile.api_url)
    options = profile.lock_options().with_(read_only=ro)
    app_token = profile.app_token.reveal() if profile.app_token is not None else None
    audit = AuditLog(audit_path)
    actor = [f"{_local_user()} via slackmq console"]

    def client_for(strategy: str) -> AsyncLockClient:
        return AsyncLockClient(web, options.with_(strategy=strategy), clock=clock, audit=audit,
                               actor=actor[0])

    def watcher_factory(channel_ids: Sequence[str]) -> Watcher:
        return Watcher(web, channel_ids, app_token=app_token, base_url=profile.api_url,
                       clock=clock)

    async def close() -> None:
        session = getattr(web, "session", None)
        if session is not None and not session.closed:
            await session.close()

    services = ConsoleServices(
        client=client_for(str(options.strategy)),
        channels=tuple(profile.channels),
        workspace=profile.workspace,
        read_only=ro,
        audit=audit,
        watcher_factory=watcher_factory,
        client_for=client_for,
        default_strategy=str(options.strategy),
        stale_after=options.stale_after,
        clock=clock,
        close=close,
        actor=actor,
    )
    return SlackMQApp(services)
