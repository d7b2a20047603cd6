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

import dataclasses
import json
import re
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
    "parse_workspace",
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
    token: str = field(repr=False)  # the emulator's tokens are fake, but keep them out of reprs
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


# -- TOML ----------------------------------------------------------------------------------------
_SECTIONS: dict[str, tuple[type, dict[str, tuple[type, ...]], tuple[str, ...]]] = {
    # name: (dataclass, {field: allowed types}, required fields)
    "users": (User, {"id": (str,), "name": (str,), "is_bot": (bool,), "real_name": (str,),
                     "bot_id": (str,), "app_id": (str,)}, ("id", "name")),
    "tokens": (Token, {"token": (str,), "user": (str,), "app": (str,), "scopes": (list,)},
               ("token", "scopes")),
    "channels": (Channel, {"id": (str,), "name": (str,), "members": (list,), "is_private": (bool,),
                           "created": (int,), "topic": (str,), "purpose": (str,)}, ("id", "name")),
    "apps": (App, {"id": (str,), "name": (str,), "bot_user": (str,), "events": (list,)},
             ("id", "name", "bot_user")),
}
_TOP_KEYS = ("team", "users", "tokens", "channels", "apps", "emoji")
_PATTERNS = {
    "users": re.compile(r"^[UW][A-Z0-9]{2,}$"),
    "channels": re.compile(r"^[CG][A-Z0-9]{8,}$"),
    "apps": re.compile(r"^A[A-Z0-9]{1,}$"),
}


def _line_of(text: str, section: str, index: int) -> int | None:
    """1-based line of the ``index``-th ``[[section]]`` header (or of ``section =``)."""
    header = re.compile(rf"^\s*\[\[\s*{re.escape(section)}\s*\]\]")
    seen = -1
    inline = None
    for n, line in enumerate(text.splitlines(), 1):
        if header.match(line):
            seen += 1
            if seen == index:
                return n
        elif inline is None and re.match(rf"^\s*{re.escape(section)}\s*=", line):
            inline = n
    return inline


def load_workspace(path: str | Path) -> Workspace:
    """Read a workspace TOML file; any problem raises WorkspaceError naming file, line and fix."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkspaceError(f"{p}: cannot read workspace file ({exc.strerror})") from None
    return parse_workspace(text, str(p))


def parse_workspace(text: str, name: str = "<workspace>") -> Workspace:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{name}: not valid TOML: {exc}") from None

    def fail(msg: str, section: str | None = None, index: int = 0) -> WorkspaceError:
        line = _line_of(text, section, index) if section else None
        where = f"{name}:{line}" if line else name
        return WorkspaceError(f"{where}: {msg}")

    for key in data:
        if key not in _TOP_KEYS:
            raise fail(f"unknown top-level key {key!r}; valid: {', '.join(_TOP_KEYS)}")
    team_data = data.get("team", {})
    if not isinstance(team_data, dict) or set(team_data) - {"id", "name", "domain"}:
        raise fail("[team] takes only id, name and domain (strings)")
    team = Team(**{k: str(v) for k, v in team_data.items()})
    parsed: dict[str, list[Any]] = {}
    for section, (cls, kinds, required) in _SECTIONS.items():
        entries = data.get(section, [])
        if not isinstance(entries, list):
            raise fail(f"{section!r} must be an array of tables ([[{section}]])", section)
        items = []
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            where = f"{section}[{i}]"
            if not isinstance(entry, dict):
                raise fail(f"{where}: must be a table", section, i)
            for key, value in entry.items():
                if key not in kinds:
                    raise fail(f"{where}: unknown key {key!r}; valid: {', '.join(kinds)}",
                               section, i)
                if not isinstance(value, kinds[key]):
                    raise fail(f"{where}: {key} must be {kinds[key][0].__name__}, "
                               f"not {value!r}", section, i)
            for key in required:
                if key not in entry:
                    raise fail(f"{where}: missing {key!r} (needs {', '.join(required)})",
                               section, i)
            ident = entry.get("id", entry.get("token"))
            pattern = _PATTERNS.get(section)
            if pattern and not pattern.match(ident):
                raise fail(f"{where}: id {ident!r} does not look like a Slack id "
                           f"({pattern.pattern})", section, i)
            if ident in seen:
                raise fail(f"{where}: duplicate {ident!r}", section, i)
            seen.add(ident)
            fields_ = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()}
            items.append((i, cls(**fields_)))
        parsed[section] = items
    user_ids = {u.id for _, u in parsed["users"]}
    app_ids = {a.id for _, a in parsed["apps"]}
    for i, tok in parsed["tokens"]:
        if not tok.token.startswith(("xoxb-", "xoxp-", "xapp-")):
            raise fail(f"tokens[{i}]: a token must start with xoxb-, xoxp- or xapp-", "tokens", i)
        owner = tok.app if tok.kind == "app" else tok.user
        other = tok.user if tok.kind == "app" else tok.app
        key = "app" if tok.kind == "app" else "user"
        if not owner or other:
            raise fail(f"tokens[{i}]: an {tok.token[:4]} token needs {key} = ... (only)",
                       "tokens", i)
        if owner not in (app_ids if key == "app" else user_ids):
            raise fail(f"tokens[{i}]: unknown {key} {owner!r}", "tokens", i)
        if not all(isinstance(s, str) for s in tok.scopes):
            raise fail(f"tokens[{i}]: scopes must be strings", "tokens", i)
    for i, ch in parsed["channels"]:
        for m in ch.members:
            if m not in user_ids:
                raise fail(f"channels[{i}]: member {m!r} is not a user", "channels", i)
    for i, app in parsed["apps"]:
        if app.bot_user not in user_ids:
            raise fail(f"apps[{i}]: bot_user {app.bot_user!r} is not a user", "apps", i)
        for ev in app.events:
            if ev not in ALL_EVENTS:
                raise fail(f"apps[{i}]: unknown event {ev!r}; valid: {', '.join(ALL_EVENTS)}",
                           "apps", i)
    emoji = data.get("emoji", [])
    if not isinstance(emoji, list) or not all(isinstance(e, str) for e in emoji):
        raise fail("emoji must be an array of strings", "emoji")
    return Workspace(team=team, users=tuple(u for _, u in parsed["users"]),
                     tokens=tuple(t for _, t in parsed["tokens"]),
                     channels=tuple(c for _, c in parsed["channels"]),
                     apps=tuple(a for _, a in parsed["apps"]), emoji=tuple(emoji))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def dump_workspace(ws: Workspace) -> str:
    """The workspace as TOML that :func:`load_workspace` reads back to an equal Workspace."""
    out = ["# SlackMQ emulator workspace (slackmq emulator --workspace FILE)", "",
           f"emoji = {_toml_value(ws.emoji)}", "", "[team]"]
    out += [f"{k} = {_toml_value(getattr(ws.team, k))}" for k in ("id", "name", "domain")]
    for section, (cls, _kinds, _req) in _SECTIONS.items():
        for item in getattr(ws, section):
            out += ["", f"[[{section}]]"]
            for f in dataclasses.fields(cls):
                value = getattr(item, f.name)
                if value is None or (value == f.default and f.name not in _req):
                    continue
                out.append(f"{f.name} = {_toml_value(value)}")
    return "\n".join(out) + "\n"
