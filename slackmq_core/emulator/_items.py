"""Pins, reactions, stars, users and snapshots: the second half of ``SlackBackend``.

Split from ``models.py`` only to keep modules short; ``SlackBackend`` is the one class to use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import exceptions as E
from ._messages import format_ts, parse_ts
from .workspace import STANDARD_EMOJI

if TYPE_CHECKING:
    from .models import Caller, _Chan

MAX_EMOJI_PER_ITEM = 50  # Slack's limit is unconfirmed; this many distinct emoji per message
MAX_REACTIONS_PER_USER = 23  # ... and this many reactions by one user on one message


class ItemsMixin:
    # these come from SlackBackend
    chans: dict[str, _Chan]
    stars: dict[str, dict[tuple[str, str | None], float]]
    members: dict[str, dict[str, None]]

    # -- item lookup ---------------------------------------------------------------------------
    def item(self, caller: Caller, channel: Any, timestamp: Any, *, write: bool) -> tuple[str, str]:
        """(channel id, ts) of an existing message, checked the way pins/reactions/stars check."""
        if not channel:
            if not timestamp:
                raise E.NoItemSpecified()
            raise E.ChannelNotFound()
        cid = self.access(caller, channel, write=write)  # type: ignore[attr-defined]
        if timestamp in (None, ""):
            raise E.NoItemSpecified()
        ts = parse_ts(timestamp)
        if ts is None:
            raise E.BadTimestamp()
        self.message(cid, ts)  # type: ignore[attr-defined]
        return cid, ts

    def _race_won(self, at: float) -> bool:
        race = self.race  # type: ignore[attr-defined]
        return race is not None and race(self.clock() - at)  # type: ignore[attr-defined]

    # -- pins ---------------------------------------------------------------------------------
    def pins_add(self, caller: Caller, channel: Any, timestamp: Any) -> None:
        cid, ts = self.item(caller, channel, timestamp, write=True)
        chan = self.chans[cid]
        existing = chan.pins.get(ts)
        if existing is not None:
            if self._race_won(existing["at"]):
                return
            raise E.AlreadyPinned()
        now = self.clock()  # type: ignore[attr-defined]
        chan.pins[ts] = {"created": int(now), "created_by": caller.user, "at": now}
        self._emit_pin("pin_added", caller, cid, ts)

    def pins_remove(self, caller: Caller, channel: Any, timestamp: Any) -> None:
        cid, ts = self.item(caller, channel, timestamp, write=True)
        chan = self.chans[cid]
        pin = chan.pins.pop(ts, None)
        if pin is None:
            raise E.NotPinned()
        self._emit_pin("pin_removed", caller, cid, ts, pin)

    def _emit_pin(self, kind: str, caller: Caller, cid: str, ts: str, pin: dict | None = None) -> None:
        chan = self.chans[cid]
        pin = pin or chan.pins[ts]
        rec = chan.msgs[ts]
        event: dict[str, Any] = {
            "type": kind, "user": caller.user, "channel_id": cid,
            "item": {"type": "message", "channel": cid, "created": pin["created"],
                     "created_by": pin["created_by"],
                     "message": self.view(cid, rec, link=True)},  # type: ignore[attr-defined]
            "item_user": rec["user"], "pin_count": len(chan.pins),
            "pinned_info": {"channel": cid, "pinned_by": pin["created_by"],
                            "pinned_ts": pin["created"]},
            "event_ts": self.event_ts(),  # type: ignore[attr-defined]
        }
        if kind == "pin_removed":
            event["has_pins"] = bool(chan.pins)
        self._emit(event, cid)  # type: ignore[attr-defined]

    def pins_list(self, caller: Caller, channel: Any) -> list[dict]:
        cid = self.access(caller, channel, write=False)  # type: ignore[attr-defined]
        chan = self.chans[cid]
        items = []
        for ts, pin in reversed(list(chan.pins.items())):  # newest pin first
            items.append({"type": "message", "channel": cid, "created": pin["created"],
                          "created_by": pin["created_by"],
                          "message": self.view(cid, chan.msgs[ts], link=True)})  # type: ignore[attr-defined]
        return items

    # -- reactions ----------------------------------------------------------------------------
    def emoji_ok(self, name: str) -> bool:
        base, _, tone = name.partition("::")
        if tone and tone not in {f"skin-tone-{n}" for n in range(2, 7)}:
            return False
        return base in STANDARD_EMOJI or base in self.workspace.emoji  # type: ignore[attr-defined]

    def _emoji(self, name: Any) -> str:
        if not name:
            raise E.SlackError("invalid_name")
        name = str(name).strip(":")
        if not self.emoji_ok(name):
            raise E.InvalidName()
        return name

    def reactions_add(self, caller: Caller, channel: Any, timestamp: Any, name: Any) -> None:
        cid, ts = self.item(caller, channel, timestamp, write=True)
        name = self._emoji(name)
        chan = self.chans[cid]
        reacts = chan.reactions.setdefault(ts, {})
        users = reacts.get(name)
        if users is not None and caller.user in users:
            if self._race_won(users[caller.user]):
                return
            raise E.AlreadyReacted()
        if users is None and len(reacts) >= MAX_EMOJI_PER_ITEM:
            raise E.TooManyEmoji()
        if sum(caller.user in us for us in reacts.values()) >= MAX_REACTIONS_PER_USER:
            raise E.TooManyReactions()
        reacts.setdefault(name, {})[caller.user] = self.clock()  # type: ignore[attr-defined]
        self._emit_reaction("reaction_added", caller, cid, ts, name)

    def reactions_remove(self, caller: Caller, channel: Any, timestamp: Any, name: Any) -> None:
        cid, ts = self.item(caller, channel, timestamp, write=True)
        name = self._emoji(name)
        reacts = self.chans[cid].reactions.get(ts, {})
        users = reacts.get(name)
        if users is None or caller.user not in users:
            raise E.NoReaction()
        del users[caller.user]
        if not users:
            del reacts[name]
        if not reacts:
            self.chans[cid].reactions.pop(ts, None)
        self._emit_reaction("reaction_removed", caller, cid, ts, name)

    def _emit_reaction(self, kind: str, caller: Caller, cid: str, ts: str, name: str) -> None:
        event = {"type": kind, "user": caller.user, "reaction": name,
                 "item_user": self.chans[cid].msgs[ts]["user"],
                 "item": {"type": "message", "channel": cid, "ts": ts},
                 "event_ts": self.event_ts()}  # type: ignore[attr-defined]
        self._emit(event, cid)  # type: ignore[attr-defined]

    def reactions_get(self, caller: Caller, channel: Any, timestamp: Any) -> dict:
        cid, ts = self.item(caller, channel, timestamp, write=False)
        msg = self.view(cid, self.chans[cid].msgs[ts], link=True)  # type: ignore[attr-defined]
        return {"type": "message", "channel": cid, "message": msg}

    # -- stars (user tokens only; checked in urls.py) -----------------------------------------
    def _star_key(self, caller: Caller, channel: Any, timestamp: Any) -> tuple[str, str | None]:
        if channel and timestamp in (None, ""):
            return self.access(caller, channel, write=False), None  # type: ignore[attr-defined]
        return self.item(caller, channel, timestamp, write=False)

    def stars_add(self, caller: Caller, channel: Any, timestamp: Any) -> None:
        key = self._star_key(caller, channel, timestamp)
        mine = self.stars.setdefault(caller.user, {})
        if key in mine:
            if self._race_won(mine[key]):
                return
            raise E.AlreadyStarred()
        mine[key] = self.clock()  # type: ignore[attr-defined]

    def stars_remove(self, caller: Caller, channel: Any, timestamp: Any) -> None:
        key = self._star_key(caller, channel, timestamp)
        if self.stars.get(caller.user, {}).pop(key, None) is None:
            raise E.NotStarred()

    def stars_list(self, caller: Caller, count: int, page: int) -> dict:
        mine = list(reversed(list(self.stars.get(caller.user, {}).items())))
        total = len(mine)
        pages = max(1, -(-total // count))
        chunk = mine[(page - 1) * count: page * count]
        items = []
        for (cid, ts), at in chunk:
            created = int(at)
            if ts is None:
                items.append({"type": "channel", "channel": cid, "date_create": created})
            else:
                msg = self.view(cid, self.chans[cid].msgs[ts], link=True)  # type: ignore[attr-defined]
                items.append({"type": "message", "channel": cid, "message": msg,
                              "date_create": created})
        return {"items": items,
                "paging": {"per_page": count, "spill": 0, "page": page, "total": total,
                           "pages": pages}}

    # -- snapshots (--state, /_emulator/snapshot) ---------------------------------------------
    def snapshot(self) -> dict:
        chans = {}
        for cid, chan in self.chans.items():
            chans[cid] = {
                "last_us": chan.last_us,
                "messages": [chan.msgs[t] for t in sorted(chan.msgs)],
                "top": list(chan.top),
                "pins": [{"ts": ts, "created": p["created"], "created_by": p["created_by"],
                          "at": p["at"]} for ts, p in chan.pins.items()],
                "reactions": {ts: {n: list(us.items()) for n, us in r.items()}
                              for ts, r in chan.reactions.items()},
            }
        return {
            "version": 1,
            "members": {cid: list(m) for cid, m in self.members.items()},
            "channels": chans,
            "stars": {u: [[cid, ts, c] for (cid, ts), c in s.items()]
                      for u, s in self.stars.items()},
        }

    def restore(self, snap: dict) -> None:
        """Load a :meth:`snapshot`; channels the workspace no longer has are dropped."""
        from .models import _Chan

        self.reset()  # type: ignore[attr-defined]
        for cid, members in snap.get("members", {}).items():
            if cid in self.members:
                self.members[cid] = dict.fromkeys(members)
        for cid, data in snap.get("channels", {}).items():
            if cid not in self.chans:
                continue
            chan = _Chan(last_us=int(data.get("last_us", 0)))
            chan.msgs = {m["ts"]: dict(m) for m in data.get("messages", [])}
            chan.top = [t for t in data.get("top", []) if t in chan.msgs]
            chan.pins = {p["ts"]: {"created": int(p["created"]), "created_by": p["created_by"],
                                   "at": float(p.get("at", p["created"]))}
                         for p in data.get("pins", []) if p["ts"] in chan.msgs}
            chan.reactions = {ts: {n: dict((u, float(a)) for u, a in us) for n, us in r.items()}
                              for ts, r in data.get("reactions", {}).items() if ts in chan.msgs}
            self.chans[cid] = chan
        for user, items in snap.get("stars", {}).items():
            self.stars[user] = {(cid, ts): float(c) for cid, ts, c in items}

    def seed_pin(self, cid: str, ts: str, user: str, created: int | None = None) -> None:
        self.message(cid, ts)  # type: ignore[attr-defined]
        now = self.clock()  # type: ignore[attr-defined]
        created = int(now if created is None else created)
        self.chans[cid].pins[ts] = {"created": created, "created_by": user, "at": float(created)}

    def seed_reaction(self, cid: str, ts: str, user: str, name: str, at: float | None = None) -> None:
        self.message(cid, ts)  # type: ignore[attr-defined]
        name = self._emoji(name)
        when = self.clock() if at is None else float(at)  # type: ignore[attr-defined]
        self.chans[cid].reactions.setdefault(ts, {}).setdefault(name, {})[user] = when

    def new_ts(self, cid: str) -> str:
        return self._now_ts(self.chans[cid])  # type: ignore[attr-defined]


__all__ = ["ItemsMixin", "format_ts"]
