"""``SlackBackend``: all emulator state and every Slack rule, knowing nothing of HTTP.

State is per instance (never a module global): messages and threads per channel, pins, reactions,
stars and channel membership. Time comes from an injected ``clock`` (epoch seconds) and randomness
from an injected ``random.Random``. Rules raise :mod:`.exceptions` errors. After every change the
backend calls its listeners synchronously with the inner Events API event, ``fn(event, channel_id)``.

Choices where Slack is unconfirmed (facts file): ``pins.remove`` of an unpinned message answers
``not_pinned`` (never ``no_pin``); a race-won duplicate write (see ``race``) answers ok but changes
nothing and fires no event, so a pin keeps its first ``created_by``, a reaction keeps its first
position in ``users``; ``thread_ts`` naming no message answers ``thread_not_found``; pinning posts
no ``pinned_item`` message into the channel; deleting a parent that has replies leaves a
``tombstone``.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import exceptions as E
from ._items import ItemsMixin
from ._messages import format_ts, make_cursor, permalink, read_cursor, ts_micros
from .workspace import Channel, Workspace

__all__ = ["Caller", "SlackBackend"]

Listener = Callable[[dict, str], None]
MAX_TEXT = 40_000
MAX_UPDATE_TEXT = 4_000


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's user (bot user for xoxb), type and scopes. Never holds the token."""

    user: str
    kind: str  # "bot" | "user" | "app"
    scopes: frozenset[str] = frozenset()
    app_id: str | None = None
    bot_id: str | None = None

    @functools.cached_property
    def scope_header(self) -> str:
        """``X-OAuth-Scopes``: the token's scopes, comma-separated."""
        return ",".join(sorted(self.scopes))


@dataclass
class _Chan:
    msgs: dict[str, dict] = field(default_factory=dict)  # ts -> record (top-level and replies)
    top: list[str] = field(default_factory=list)  # sorted ts shown in history
    last_us: int = 0
    pins: dict[str, dict] = field(default_factory=dict)  # ts -> {created, created_by, at}
    reactions: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


class SlackBackend(ItemsMixin):
    def __init__(
        self,
        workspace: Workspace,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        race: Callable[[float], bool] | None = None,
    ) -> None:
        self.workspace = workspace
        self.clock = clock
        self.rng = rng or random.Random(0)
        #: race(age_seconds) -> True lets a conflicting duplicate write also succeed (faults.py)
        self.race = race
        self._listeners: list[Listener] = []
        #: False while the control surface holds events back (history being seeded): nothing fires
        self.events_enabled = True
        self._users = {u.id: u for u in workspace.users}
        self._ws_channels = {c.id: c for c in workspace.channels}
        self._by_name = {c.name: c.id for c in workspace.channels}
        self._profiles: dict[str, dict] = {}  # bot_id -> bot_profile (never mutated)
        self.reset()

    # -- lifecycle ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the workspace as loaded: no messages, pins, reactions or stars; joins undone."""
        self.members: dict[str, dict[str, None]] = {
            c.id: dict.fromkeys(c.members) for c in self.workspace.channels
        }
        self.chans: dict[str, _Chan] = {c.id: _Chan() for c in self.workspace.channels}
        self.stars: dict[str, dict[tuple[str, str | None], float]] = {}
        self._last_event_us = 0

    def add_listener(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def remove_listener(self, fn: Listener) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def _emit(self, event: dict, channel_id: str) -> None:
        if not self.events_enabled:
            return
        for fn in list(self._listeners):
            fn(event, channel_id)

    # -- identities and channels --------------------------------------------------------------
    def caller_for_user(self, user_id: str) -> Caller:
        user = self._users.get(user_id)
        if user is None:
            raise E.UserNotFound()
        kind = "bot" if user.is_bot else "user"
        return Caller(user.id, kind, frozenset(), user.app_id, user.bot_id)

    def is_member(self, user_id: str, channel_id: str) -> bool:
        return user_id in self.members.get(channel_id, {})

    def is_private(self, channel_id: str) -> bool:
        ch = self._ws_channels.get(channel_id)
        return bool(ch and ch.is_private)

    def channel_id(self, ref: Any, *, allow_name: bool = False) -> str:
        """The channel id for ``ref`` (an id; or, with allow_name, ``name``/``#name``)."""
        if not ref:
            raise E.ChannelNotFound()
        ref = str(ref)
        if ref in self._ws_channels:
            return ref
        if allow_name:
            cid = self._by_name.get(ref.lstrip("#"))
            if cid:
                return cid
        raise E.ChannelNotFound()

    def access(self, caller: Caller, ref: Any, *, write: bool, allow_name: bool = False) -> str:
        """Resolve ``ref`` and check the caller may read (or write) there; returns the channel id."""
        cid = self.channel_id(ref, allow_name=allow_name)
        member = caller.user in self.members[cid]
        if not member:
            if self._ws_channels[cid].is_private:
                raise E.ChannelNotFound()
            if write or caller.kind == "bot":
                raise E.NotInChannel()
        return cid

    def _now_ts(self, chan: _Chan) -> str:
        us = int(round(self.clock() * 1_000_000))
        if us <= chan.last_us:
            us = chan.last_us + 1
        chan.last_us = us
        return format_ts(us)

    def event_ts(self) -> str:
        us = max(int(round(self.clock() * 1_000_000)), self._last_event_us + 1)
        self._last_event_us = us
        return format_ts(us)

    # -- message views ------------------------------------------------------------------------
    def view(self, cid: str, rec: dict, *, metadata: bool = True, link: bool = False) -> dict:
        """The wire shape of a stored message record."""
        m = {k: v for k, v in rec.items() if not k.startswith("_") and k != "metadata"}
        if metadata and "metadata" in rec:
            m["metadata"] = rec["metadata"]
        if rec.get("bot_id"):
            m["bot_profile"] = self._bot_profile(rec)
        replies = rec.get("_replies")
        if replies:
            users = list(dict.fromkeys(self.chans[cid].msgs[r]["user"] for r in replies))
            m.update(thread_ts=rec["ts"], reply_count=len(replies), reply_users=users,
                     reply_users_count=len(users), latest_reply=replies[-1])
        chan = self.chans[cid]
        if rec["ts"] in chan.pins:
            m["pinned_to"] = [cid]
        reacts = chan.reactions.get(rec["ts"])
        if reacts:
            m["reactions"] = [
                {"name": n, "users": list(us), "count": len(us)} for n, us in reacts.items()
            ]
        if link:
            m["permalink"] = permalink(self.workspace.team.domain, cid, rec["ts"])
        return m

    def _bot_profile(self, rec: dict) -> dict:
        cached = self._profiles.get(rec["bot_id"])
        if cached is None:
            cached = self._profiles[rec["bot_id"]] = self._make_bot_profile(rec)
        return cached

    def _make_bot_profile(self, rec: dict) -> dict:
        user = self._users.get(rec.get("user", ""))
        icon = "https://a.slack-edge.com/80588/img/plugins/app/bot_{}.png"
        return {
            "id": rec["bot_id"], "app_id": rec.get("app_id") or "A0UNKNOWN", "deleted": False,
            "name": user.name if user else "bot", "updated": 1_700_000_000,
            "team_id": self.workspace.team.id,
            "icons": {f"image_{n}": icon.format(n) for n in (36, 48, 72)},
        }

    def message(self, cid: str, ts: str) -> dict:
        rec = self.chans[cid].msgs.get(ts)
        if rec is None or rec.get("subtype") == "tombstone":
            raise E.MessageNotFound()
        return rec

    def _channel_type(self, cid: str) -> str:
        return "group" if self.is_private(cid) else "channel"

    # -- chat ---------------------------------------------------------------------------------
    def post_message(
        self, caller: Caller, cid: str, text: str, *, thread_ts: str | None = None,
        reply_broadcast: bool = False, blocks: Any = None, attachments: Any = None,
        metadata: dict | None = None,
    ) -> dict:
        if not text and not blocks and not attachments:
            raise E.NoText()
        if len(text) > MAX_TEXT:
            raise E.MsgTooLong()
        chan = self.chans[cid]
        parent = None
        if thread_ts is not None:
            parent = chan.msgs.get(thread_ts)
            if parent is None:
                raise E.SlackError("thread_not_found")
            if parent.get("thread_ts") and parent["thread_ts"] != parent["ts"]:
                parent = chan.msgs[parent["thread_ts"]]  # a reply's ts: answer in its thread
        ts = self._now_ts(chan)
        rec: dict[str, Any] = {"type": "message", "ts": ts, "user": caller.user, "text": text,
                               "team": self.workspace.team.id}
        if caller.bot_id:
            rec["bot_id"] = caller.bot_id
            rec["app_id"] = caller.app_id
        if blocks:
            rec["blocks"] = blocks
        if attachments:
            rec["attachments"] = attachments
        if metadata:
            rec["metadata"] = metadata
        if parent is not None:
            rec["thread_ts"] = parent["ts"]
            rec["parent_user_id"] = parent["user"]
            if reply_broadcast:
                rec["subtype"] = "thread_broadcast"
            parent.setdefault("_replies", []).append(ts)
            parent["thread_ts"] = parent["ts"]
        chan.msgs[ts] = rec
        if parent is None or reply_broadcast:
            chan.top.append(ts)  # ts only grows, so the list stays sorted
        event = dict(self.view(cid, rec), channel=cid, event_ts=ts,
                     channel_type=self._channel_type(cid))
        self._emit(event, cid)
        return self.view(cid, rec)

    def update_message(self, caller: Caller, cid: str, ts: str, text: str | None, *,
                       blocks: Any = None, attachments: Any = None,
                       metadata: dict | None = None) -> dict:
        rec = self.message(cid, ts)
        if rec["user"] != caller.user:
            raise E.CantUpdateMessage()
        if text is None and blocks is None and attachments is None:
            raise E.NoText()
        if text is not None and len(text) > MAX_UPDATE_TEXT:
            raise E.MsgTooLong()
        before = self.view(cid, rec)
        if text is not None:
            rec["text"] = text
        if blocks is not None:
            rec["blocks"] = blocks
        if attachments is not None:
            rec["attachments"] = attachments
        if metadata:
            rec["metadata"] = metadata
        ets = self.event_ts()
        rec["edited"] = {"user": caller.user, "ts": ets}
        after = self.view(cid, rec)
        self._emit({"type": "message", "subtype": "message_changed", "hidden": True,
                    "channel": cid, "ts": ets, "event_ts": ets, "message": after,
                    "previous_message": before, "channel_type": self._channel_type(cid)}, cid)
        return after

    def delete_message(self, caller: Caller, cid: str, ts: str, *, force: bool = False) -> None:
        chan = self.chans[cid]
        rec = self.message(cid, ts)
        if rec["user"] != caller.user and not force:
            raise E.CantDeleteMessage()
        before = self.view(cid, rec)
        chan.pins.pop(ts, None)
        chan.reactions.pop(ts, None)
        parent_ts = rec.get("thread_ts")
        if parent_ts and parent_ts != ts and parent_ts in chan.msgs:
            chan.msgs[parent_ts]["_replies"].remove(ts)
        if rec.get("_replies"):
            chan.msgs[ts] = {"type": "message", "subtype": "tombstone", "ts": ts, "hidden": True,
                             "user": "USLACKBOT", "text": "This message was deleted.",
                             "thread_ts": ts, "_replies": rec["_replies"]}
        else:
            del chan.msgs[ts]
            if ts in chan.top:
                chan.top.remove(ts)
        for stars in self.stars.values():
            stars.pop((cid, ts), None)
        ets = self.event_ts()
        self._emit({"type": "message", "subtype": "message_deleted", "hidden": True,
                    "channel": cid, "ts": ets, "deleted_ts": ts, "event_ts": ets,
                    "previous_message": before, "channel_type": self._channel_type(cid)}, cid)

    # -- reading ------------------------------------------------------------------------------
    def history(self, caller: Caller, cid: str, *, latest: str | None, oldest: str | None,
                inclusive: bool, limit: int, cursor: Any, all_metadata: bool) -> dict:
        chan = self.chans[cid]
        upper = read_cursor(cursor, "ts")
        selected: list[str] = []
        has_more = False
        for ts in reversed(chan.top):  # newest first
            if upper is not None and ts > upper:
                continue
            if latest is not None and (ts > latest or (ts == latest and not inclusive)):
                continue
            if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
                break
            if len(selected) == limit:
                has_more = True
                break
            selected.append(ts)
        msgs = [self._read_view(caller, cid, chan.msgs[t], all_metadata) for t in selected]
        next_cursor = make_cursor("ts", format_ts(ts_micros(selected[-1]) - 1)) if has_more else ""
        return {"messages": msgs, "has_more": has_more, "pin_count": len(chan.pins),
                "channel_actions_ts": None, "channel_actions_count": 0,
                "response_metadata": {"next_cursor": next_cursor}}

    def _read_view(self, caller: Caller, cid: str, rec: dict, all_metadata: bool) -> dict:
        own = caller.app_id is not None and rec.get("app_id") == caller.app_id
        return self.view(cid, rec, metadata=all_metadata or own)

    def replies(self, caller: Caller, cid: str, ts: str, *, latest: str | None,
                oldest: str | None, inclusive: bool, limit: int, cursor: Any,
                all_metadata: bool) -> dict:
        chan = self.chans[cid]
        rec = chan.msgs.get(ts)
        if rec is None:
            raise E.ThreadNotFound()
        if rec.get("thread_ts") and rec["thread_ts"] != ts:
            thread = [ts]  # a reply's own ts: just that reply
        else:
            thread = [ts] + [
                r for r in rec.get("_replies", [])
                if not (latest is not None and (r > latest or (r == latest and not inclusive)))
                and not (oldest is not None and (r < oldest or (r == oldest and not inclusive)))
            ]
        start = read_cursor(cursor, "ts")
        if start is not None:
            thread = [t for t in thread if t >= start]
        page, rest = thread[:limit], thread[limit:]
        msgs = [self._read_view(caller, cid, chan.msgs[t], all_metadata) for t in page]
        return {"messages": msgs, "has_more": bool(rest),
                "response_metadata": {"next_cursor": make_cursor("ts", rest[0]) if rest else ""}}

    # -- conversations ------------------------------------------------------------------------
    def join(self, caller: Caller, cid: str) -> dict:
        if self.is_private(cid) and caller.user not in self.members[cid]:
            raise E.ChannelNotFound()
        already = caller.user in self.members[cid]
        self.members[cid][caller.user] = None
        out = {"channel": self.channel_object(caller, cid)}
        if already:
            out["warning"] = "already_in_channel"
            out["response_metadata"] = {"warnings": ["already_in_channel"]}
        return out

    def visible_channels(self, caller: Caller) -> list[Channel]:
        return [c for c in self.workspace.channels
                if not c.is_private or caller.user in self.members[c.id]]

    def channel_object(self, caller: Caller, cid: str) -> dict:
        c = self._ws_channels[cid]
        creator = c.members[0] if c.members else ""
        return {
            "id": c.id, "name": c.name, "is_channel": not c.is_private, "is_group": c.is_private,
            "is_im": False, "is_mpim": False, "is_private": c.is_private, "created": c.created,
            "is_archived": False, "is_general": c.name == "general", "unlinked": 0,
            "name_normalized": c.name, "is_shared": False, "is_org_shared": False,
            "is_pending_ext_shared": False, "pending_shared": [], "context_team_id":
            self.workspace.team.id, "parent_conversation": None, "creator": creator,
            "is_ext_shared": False, "shared_team_ids": [self.workspace.team.id],
            "pending_connected_team_ids": [], "is_member": caller.user in self.members[cid],
            "topic": {"value": c.topic, "creator": creator if c.topic else "", "last_set": 0},
            "purpose": {"value": c.purpose, "creator": creator if c.purpose else "",
                        "last_set": 0},
            "previous_names": [], "num_members": len(self.members[cid]),
        }

    def find_user(self, user_id: Any) -> Any:
        user = self._users.get(str(user_id or ""))
        if user is None:
            raise E.UserNotFound()
        return user
