"""The emulated workspace: users, tokens, channels, apps and emoji.

A workspace is plain data. ``default_workspace()`` builds the one every test, the demo and the
benchmarks start from; ``load_workspace(path)`` reads the same shape from TOML and
``dump_workspace(ws)`` writes it back, so ``slackmq emulator --dump-workspace > ws.toml`` gives a file
to edit and pass back with ``--workspace ws.toml``.

TOML shape (top-level arrays of tables)::

    [team]            id, name, domain
    [[users]]         id, name, is_bot, real_name?, bot_id?, app_id?
    [[tokens]]        token, user? | app?, scopes = [..]   (type from the prefix: xoxb / xoxp / xapp)
    [[channels]]      id, name, members = [user ids], is_private?, created?
    [[apps]]          id, name, bot_user, events = [..]
    emoji = [..]      custom emoji names, on top of the standard set

This module imports nothing from the rest of ``slackmq_core``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "App",
    "Channel",
    "Team",
    "Token",
    "User",
    "Workspace",
    "WorkspaceError",
    "default_workspace",
    "dump_workspace",
    "load_workspace",
    "ALL_BOT_SCOPES",
    "USER_STAR_SCOPES",
    "STANDARD_EMOJI",
]

#: Every scope a lock-holding bot needs (the granular bot scopes Slack offers for these methods).
ALL_BOT_SCOPES: tuple[str, ...] = (
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "channels:join",
    "chat:write",
    "pins:read",
    "pins:write",
    "reactions:read",
    "reactions:write",
    "users:read",
    "metadata.message:read",
)

#: A human's user token: the bot scopes plus stars, which only user tokens can hold.
USER_STAR_SCOPES: tuple[str, ...] = ALL_BOT_SCOPES + ("stars:read", "stars:write")

#: Events an app can subscribe to in the emulator.
ALL_EVENTS: tuple[str, ...] = (
    "message.channels",
    "message.groups",
    "pin_added",
    "pin_removed",
    "reaction_added",
    "reaction_removed",
)

#: Standard emoji the emulator accepts in reactions (anything else is ``invalid_name`` unless it is a
#: custom emoji of the workspace). Skin tones are written ``name::skin-tone-N``.
STANDARD_EMOJI: frozenset[str] = frozenset(
    """
    lock unlock key closed_lock_with_key white_check_mark heavy_check_mark x heavy_multiplication_x
    hourglass hourglass_flowing_sand eyes thumbsup +1 thumbsdown -1 tada rocket fire warning
    no_entry no_entry_sign stop_sign construction wrench hammer gear robot_face zap boom star
    star2 sparkles heart ok ok_hand raised_hands clap wave pray bulb memo pushpin round_pushpin
    calendar bell alarm_clock stopwatch timer_clock skull ghost bug rotating_light red_circle
    large_green_circle large_yellow_circle large_blue_circle white_circle black_circle
    arrows_counterclockwise repeat recycle inbox_tray outbox_tray package mailbox email
    smile slightly_smiling_face grinning joy thinking_face sweat_smile sob cry
    one two three four five six seven eight nine keycap_ten hash
    """.split()
)


class WorkspaceError(ValueError):
    """A workspace file is malformed; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Team:
    id: str = "T0SLACKMQ1"
    name: str = "SlackMQ Demo"
    domain: str = "slackmq-demo"


@dataclass(frozen=True)
class User:
    id: str
    name: str
    is_bot: bool = False
    real_name: str = ""
    bot_id: str | None = None
    app_id: str | None = None


@dataclass(frozen=True)
class Token:
    token: str
    scopes: tuple[str, ...]
    user: str | None = None
    app: str | None = None

    @property
    def kind(self) -> str:
        """``bot``, ``user`` or ``app``, from the prefix as Slack issues them."""
        if self.token.startswith("xoxb-"):
            return "bot"
        if self.token.startswith("xapp-"):
            return "app"
        return "user"


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    members: tuple[str, ...] = ()
    is_private: bool = False
    created: int = 1_700_000_000
    topic: str = ""
    purpose: str = ""


@dataclass(frozen=True)
class App:
    id: str
    name: str
    bot_user: str
    events: tuple[str, ...] = ALL_EVENTS


@dataclass(frozen=True)
class Workspace:
    team: Team = field(default_factory=Team)
    users: tuple[User, ...] = ()
    tokens: tuple[Token, ...] = ()
    channels: tuple[Channel, ...] = ()
    apps: tuple[App, ...] = ()
    emoji: tuple[str, ...] = ()

    def user(self, user_id: str) -> User | None:
        return next((u for u in self.users if u.id == user_id), None)

    def token(self, token: str) -> Token | None:
        return next((t for t in self.tokens if t.token == token), None)

    def app(self, app_id: str) -> App | None:
        return next((a for a in self.apps if a.id == app_id), None)

    def tokens_for(self, *, user: str | None = None, app: str | None = None) -> list[Token]:
        return [t for t in self.tokens if (user and t.user == user) or (app and t.app == app)]


def _bot(uid: str, name: str, real: str, bot_id: str, app_id: str) -> User:
    return User(id=uid, name=name, is_bot=True, real_name=real, bot_id=bot_id, app_id=app_id)


def default_workspace() -> Workspace:
    """The workspace every test, the demo and the benchmarks start from.

    Users (ids fit Slack's patterns):

    ========== ============== ===== ====================================================
    id         name           bot   tokens
    ========== ============== ===== ====================================================
    U0ALPHA001 alpha-worker   yes   xoxb-emu-alpha (all lock scopes), xapp-emu-alpha
    U0BRAVO001 bravo-worker   yes   xoxb-emu-bravo,  xapp-emu-bravo
    U0CHARL001 charlie-worker yes   xoxb-emu-charlie
    U0DELTA001 delta-worker   yes   xoxb-emu-delta
    U0CONSOL01 slackmq-console yes  xoxb-emu-console, xapp-emu-console
    U0NOPIN001 nopin-bot      yes   xoxb-emu-nopin (every lock scope but pins:write)
    U0PUBLSH01 publisher      yes   xoxb-emu-publisher (chat:write only, posts jobs)
    U0OPSDANA1 dana (human)   no    xoxp-emu-dana (bot scopes + stars:read/stars:write)
    U0OUTSID01 olga (human)   no    xoxp-emu-olga (not a member of #jobs)
    ========== ============== ===== ====================================================

    Channels: ``#jobs`` C0JOBS0001 (every user above but olga), ``#builds`` C0BUILDS01 (alpha,
    bravo, console, dana), ``#general`` C0GENERAL1 (everyone), ``#random`` C0RANDOM01 (only
    humans: bots get ``not_in_channel`` until they ``conversations.join``), ``#ops-private``
    G0PRIVATE1 (private; dana and console).
    """
    bots = [
        _bot("U0ALPHA001", "alpha-worker", "Alpha Worker", "B0ALPHA0001", "A0ALPHA001"),
        _bot("U0BRAVO001", "bravo-worker", "Bravo Worker", "B0BRAVO0001", "A0BRAVO001"),
        _bot("U0CHARL001", "charlie-worker", "Charlie Worker", "B0CHARL0001", "A0CHARL001"),
        _bot("U0DELTA001", "delta-worker", "Delta Worker", "B0DELTA0001", "A0DELTA001"),
        _bot("U0CONSOL01", "slackmq-console", "SlackMQ Console", "B0CONSOL001", "A0CONSOL01"),
        _bot("U0NOPIN001", "nopin-bot", "No-Pin Bot", "B0NOPIN0001", "A0NOPIN001"),
        _bot("U0PUBLSH01", "publisher", "Job Publisher", "B0PUBLSH001", "A0PUBLSH01"),
    ]
    humans = [
        User(id="U0OPSDANA1", name="dana", real_name="Dana Operator"),
        User(id="U0OUTSID01", name="olga", real_name="Olga Outsider"),
    ]
    users = tuple(bots + humans)
    no_pin_write = tuple(s for s in ALL_BOT_SCOPES if s != "pins:write")
    tokens = (
        Token("xoxb-emu-alpha", ALL_BOT_SCOPES, user="U0ALPHA001"),
        Token("xoxb-emu-bravo", ALL_BOT_SCOPES, user="U0BRAVO001"),
        Token("xoxb-emu-charlie", ALL_BOT_SCOPES, user="U0CHARL001"),
        Token("xoxb-emu-delta", ALL_BOT_SCOPES, user="U0DELTA001"),
        Token("xoxb-emu-console", ALL_BOT_SCOPES, user="U0CONSOL01"),
        Token("xoxb-emu-nopin", no_pin_write, user="U0NOPIN001"),
        Token("xoxb-emu-publisher", ("chat:write", "channels:read", "channels:history"), user="U0PUBLSH01"),
        Token("xoxp-emu-dana", USER_STAR_SCOPES, user="U0OPSDANA1"),
        Token("xoxp-emu-olga", USER_STAR_SCOPES, user="U0OUTSID01"),
        Token("xapp-emu-alpha", ("connections:write",), app="A0ALPHA001"),
        Token("xapp-emu-bravo", ("connections:write",), app="A0BRAVO001"),
        Token("xapp-emu-console", ("connections:write",), app="A0CONSOL01"),
    )
    everyone = tuple(u.id for u in users)
    jobs_members = tuple(u for u in everyone if u != "U0OUTSID01")
    channels = (
        Channel("C0JOBS0001", "jobs", jobs_members, purpose="SlackMQ work queue"),
        Channel("C0BUILDS01", "builds", ("U0ALPHA001", "U0BRAVO001", "U0CONSOL01", "U0OPSDANA1")),
        Channel("C0GENERAL1", "general", everyone),
        Channel("C0RANDOM01", "random", ("U0OPSDANA1", "U0OUTSID01")),
        Channel("G0PRIVATE1", "ops-private", ("U0OPSDANA1", "U0CONSOL01"), is_private=True),
    )
    apps = tuple(App(id=b.app_id or "", name=b.name, bot_user=b.id) for b in bots)
    return Workspace(team=Team(), users=users, tokens=tokens, channels=channels, apps=apps, emoji=("slackmq",))
