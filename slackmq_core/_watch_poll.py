"""The polling source of the Watcher: conversations.history and pins.list, paced inside Slack's tiers.

How fast it may call each method is worked out in ``_pacing`` (the tier math).

What is diffed
--------------
* history: each poll re-reads the last ``recent`` top-level messages plus everything newer
  (``oldest`` = the oldest of them, inclusive; pages followed up to ``MAX_PAGES``), and reports new
  messages, edits (text, edit stamp, thread replies), deletions inside that window, and reaction and
  pin changes on those messages. Under ``tier1_history`` a page holds 15 messages and there are no
  calls to spare for re-reading: ``oldest`` is the newest ts seen and pages are followed one per slot.
* pins.list (one call per channel gives every lock): pins that appeared or went away (a pin whose
  ``created`` changed was released and taken again), and reaction changes on pinned messages.
* a message whose pin went away outside the history window gets one ``reactions.get`` so the
  ``done`` / ``failed`` mark its holder left is reported too.

Transport errors and 5xx make the status ``offline`` and back off (doubling, at most one window);
nothing is lost, the next poll diffs everything since. Auth, scope and channel errors end the watcher.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slackmq_core import _slack
from slackmq_core._exceptions import (
    AuthError,
    ChannelNotFound,
    MissingScope,
    RateLimited,
    SlackAPIError,
    SlackMQError,
    WrongTokenType,
)
from slackmq_core._pacing import plan
from slackmq_core.watch import ChannelEvent

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from slackmq_core.watch import _Feed

__all__ = ["MAX_PAGES", "PollSource"]

log = logging.getLogger("slackmq.watch")

MAX_PAGES = 5
_FATAL = (AuthError, MissingScope, WrongTokenType, ChannelNotFound)


def _reaction_set(msg: dict) -> frozenset[tuple[str, str]]:
    return frozenset((r.get("name", ""), u) for r in msg.get("reactions") or () for u in r.get("users") or ())


def _signature(msg: dict) -> tuple:
    edited = (msg.get("edited") or {}).get("ts")
    return (msg.get("text"), edited, msg.get("reply_count"), msg.get("latest_reply"))


def _top_level(msg: dict) -> bool:
    thread = msg.get("thread_ts")
    return thread in (None, msg.get("ts")) or msg.get("subtype") == "thread_broadcast"


@dataclass
class _Channel:
    id: str
    next_history: float = 0.0
    next_pins: float = 0.0
    ready: bool = False                 # baseline read (pins then history)
    latest: str | None = None           # newest top-level ts seen
    window: dict[str, tuple] = field(default_factory=dict)          # ts -> signature (recent msgs)
    pins: dict[str, Any] = field(default_factory=dict)               # ts -> created
    reactions: dict[str, frozenset] = field(default_factory=dict)    # ts -> {(name, user)}
    cursor: str | None = None           # tier1: a page still to read
    pending_latest: str | None = None   # tier1: newest ts of the pages being read


class PollSource:
    """Feeds the watcher from paced polls (see the module docstring)."""

    def __init__(self, feed: _Feed, client: AsyncWebClient, *, poll_interval: float | None,
                 tier1_history: bool, share: float, window: float, recent: int = 20) -> None:
        self.feed = feed
        self.client = client
        self.tier1 = tier1_history
        self.buckets = plan(tier1_history=tier1_history, share=share, window=window)
        self.window = window
        self.recent = 0 if tier1_history else recent
        self.page_limit = 15 if tier1_history else 100
        n = len(feed.channels)
        self.history_every = max(poll_interval or 0.0, self.buckets["conversations.history"].interval * n)
        self.pins_every = max(poll_interval or 0.0, self.buckets["pins.list"].interval * n)
        self.chans = {c: _Channel(c) for c in feed.channels}
        self.followups: dict[tuple[str, str], None] = {}
        self._backoff = 0.0
        self._loop = asyncio.get_running_loop()
        self._last_ok = self._loop.time()

    def describe(self) -> str:
        return (f"polling history every {self.history_every:.3g}s, pins every {self.pins_every:.3g}s "
                f"per channel{' (tier-1 history)' if self.tier1 else ''}")

    # -- the loop -------------------------------------------------------------------------------
    async def run(self) -> None:
        self.feed.set_mode("polling", detail=self.describe())
        self.feed.update(stale=True)
        for chan in self.chans.values():   # baseline: every pin and the recent messages, silently
            await self._call_until_ok(self._poll_pins, chan)
            await self._call_until_ok(self._poll_history, chan)
            chan.ready = True
        self.feed.update(stale=False)
        self.feed.resync("start")
        while True:
            now = self._loop.time()
            job, due = self._next_job(now)
            if due > now:
                await asyncio.sleep(due - now)
            await self._call_until_ok(*job)
            self._mark_stale()

    def _next_job(self, now: float) -> tuple[tuple, float]:
        """The job that can run first: its own schedule, and its method's bucket (so pins.list keeps
        its pace while a Tier-1 history bucket refills)."""
        ready = {m: now + b.wait_time(now) for m, b in self.buckets.items()}
        jobs = [(now if self.followups else math.inf, ready["reactions.get"], (self._poll_followup,))]
        for chan in self.chans.values():
            jobs.append((chan.next_history, ready["conversations.history"], (self._poll_history, chan)))
            jobs.append((chan.next_pins, ready["pins.list"], (self._poll_pins, chan)))
        due, job = min(((max(when, free), job) for when, free, job in jobs), key=lambda j: j[0])
        return job, due

    async def _call_until_ok(self, fn: Any, *args: Any) -> None:
        while True:
            try:
                await fn(*args)
            except _FATAL:
                raise
            except SlackMQError as exc:
                if isinstance(exc, RateLimited):
                    continue   # the bucket was blocked by Retry-After: the next _api waits it out
                self._backoff = min(self.window, max(self.buckets["pins.list"].interval, self._backoff * 2))
                self.feed.set_mode("offline", detail=f"{exc} — retrying in {self._backoff:.0f}s")
                log.warning("watch poll failed: %s; retrying in %.1fs", exc, self._backoff)
                await asyncio.sleep(self._backoff)
                continue
            self._backoff = 0.0
            self._last_ok = self._loop.time()
            self.feed.set_mode("polling", detail=self.describe())
            return

    def _mark_stale(self) -> None:
        late = self._loop.time() - self._last_ok > 3 * max(self.history_every, self.pins_every)
        if late != self.feed.status.stale and self.feed.status.mode != "offline":
            self.feed.update(stale=late)

    async def _api(self, method: str, **args: Any) -> dict:
        bucket = self.buckets[method]
        while (wait := bucket.wait_time(self._loop.time())) > 0:
            await asyncio.sleep(wait)
        bucket.tokens -= 1.0
        self.feed.count("polls")
        try:
            response = await self.client.api_call(method, http_verb="GET", params=args)
        except Exception as exc:  # noqa: BLE001 - translated at the slack_sdk boundary
            err = _slack.translate(exc, method)
            if isinstance(err, RateLimited):
                bucket.block(self._loop.time(), err.retry_after or 0.0)
                self.feed.count("rate_limit_waits")
                log.info("watch: %s rate limited; waiting %.1fs (Retry-After)", method, err.retry_after or 0)
            raise err from None
        bucket.strikes = 0
        data, _ = _slack.response_parts(response)
        return data

    # -- history --------------------------------------------------------------------------------
    async def _poll_history(self, chan: _Channel) -> None:
        chan.next_history = self._loop.time() + self.history_every
        if self.tier1:
            await self._poll_history_tier1(chan)
            return
        oldest = min(chan.window) if chan.window else chan.latest
        limit = self.page_limit if chan.ready else max(1, self.recent)
        msgs: list[dict] = []
        cursor = None
        complete = True
        for page in range(MAX_PAGES if chan.ready else 1):
            args: dict[str, Any] = {"channel": chan.id, "limit": limit}
            if oldest:
                args.update(oldest=oldest, inclusive=True)
            if cursor:
                args["cursor"] = cursor
            data = await self._api("conversations.history", **args)
            msgs.extend(data.get("messages") or ())
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not (data.get("has_more") and cursor):
                break
        else:
            complete = not chan.ready
        top = sorted((m for m in msgs if m.get("ts") and _top_level(m)), key=lambda m: m["ts"])
        if not chan.ready:
            self._absorb(chan, top, emit=False)
            return
        if not complete:   # more new messages than we may read now: start over from the newest
            log.warning("watch: #%s has more new messages than %d pages: resync", chan.id, MAX_PAGES)
            chan.window.clear()
            self._absorb(chan, top, emit=False)
            self.feed.resync("poll_gap")
            return
        got = {m["ts"] for m in top}
        for ts in [t for t in chan.window if t not in got]:
            chan.window.pop(ts, None)
            chan.reactions.pop(ts, None)
            self._put("message_deleted", chan.id, ts)
        self._absorb(chan, top, emit=True)

    async def _poll_history_tier1(self, chan: _Channel) -> None:
        args: dict[str, Any] = {"channel": chan.id, "limit": self.page_limit}
        if chan.latest:
            args["oldest"] = chan.latest
        if chan.cursor:
            args["cursor"] = chan.cursor
        elif not chan.ready:
            args["limit"] = 1
        try:
            data = await self._api("conversations.history", **args)
        except SlackAPIError as exc:
            if exc.error != "invalid_cursor" or not chan.cursor:
                raise
            log.warning("watch: #%s history cursor expired mid-burst: resync", chan.id)
            chan.cursor, chan.pending_latest = None, None
            self.feed.resync("poll_gap")
            return
        top = sorted((m for m in data.get("messages") or () if m.get("ts") and _top_level(m)),
                     key=lambda m: m["ts"])
        cursor = (data.get("response_metadata") or {}).get("next_cursor")
        if top:
            chan.pending_latest = max(chan.pending_latest or "", top[-1]["ts"])
        chan.cursor = cursor if (data.get("has_more") and cursor and chan.ready) else None
        if chan.ready:
            for msg in top:
                if chan.latest is None or msg["ts"] > chan.latest:
                    self._new_message(chan, msg)
        if chan.cursor is None and chan.pending_latest:
            chan.latest, chan.pending_latest = max(chan.latest or "", chan.pending_latest), None
        if chan.cursor:     # older pages of this burst come first at the next slot
            chan.next_history = self._loop.time()

    def _absorb(self, chan: _Channel, top: list[dict], *, emit: bool) -> None:
        """Fold one history read (oldest first) into the channel state, reporting what changed."""
        for msg in top:
            ts = msg["ts"]
            if emit and ts not in chan.window and (chan.latest is None or ts > chan.latest):
                self._new_message(chan, msg)
                continue
            if emit and ts in chan.window and _signature(msg) != chan.window[ts]:
                self._put("message_changed", chan.id, ts, user=msg.get("user"), message=msg,
                          subtype=msg.get("subtype"))
            chan.window[ts] = _signature(msg)
            self._marks(chan, msg, emit=emit)
        if top:
            chan.latest = max(chan.latest or "", top[-1]["ts"])
        keep = set(sorted(chan.window)[-self.recent:]) if self.recent else set()
        for ts in [t for t in chan.window if t not in keep]:
            del chan.window[ts]

    def _new_message(self, chan: _Channel, msg: dict) -> None:
        self._put("message", chan.id, msg["ts"], user=msg.get("user"), message=msg,
                  subtype=msg.get("subtype"), thread_ts=msg.get("thread_ts"))
        if self.recent:
            chan.window[msg["ts"]] = _signature(msg)
        chan.reactions.setdefault(msg["ts"], frozenset())
        self._marks(chan, msg, emit=True)

    def _marks(self, chan: _Channel, msg: dict, *, emit: bool) -> None:
        """Reaction and pin changes visible on one history message (``pinned_to``, ``reactions``)."""
        ts = msg["ts"]
        self._reactions(chan, ts, _reaction_set(msg), emit=emit, msg=msg)
        pinned = chan.id in (msg.get("pinned_to") or ())
        if pinned and ts not in chan.pins:
            chan.pins[ts] = None     # pins.list will tell who and since when
            if emit:
                self._put("pin_added", chan.id, ts, message=msg)
        elif not pinned and ts in chan.pins:
            del chan.pins[ts]
            if emit:
                self._put("pin_removed", chan.id, ts)

    def _reactions(self, chan: _Channel, ts: str, now: frozenset, *, emit: bool, msg: dict | None = None) -> None:
        """Report reaction changes; each event carries ``msg`` (the message as this poll saw it)."""
        before = chan.reactions.get(ts)
        chan.reactions[ts] = now
        if not emit or before is None and not now:
            return
        before = before or frozenset()
        for name, user in sorted(before - now):
            self._put("reaction_removed", chan.id, ts, user=user, reaction=name, message=msg)
        for name, user in sorted(now - before):
            self._put("reaction_added", chan.id, ts, user=user, reaction=name, message=msg)

    # -- pins -----------------------------------------------------------------------------------
    async def _poll_pins(self, chan: _Channel) -> None:
        chan.next_pins = self._loop.time() + self.pins_every
        data = await self._api("pins.list", channel=chan.id)
        seen: dict[str, tuple[Any, str | None, dict]] = {}
        for item in data.get("items") or ():
            msg = item.get("message") or {}
            if item.get("type", "message") == "message" and msg.get("ts"):
                seen[msg["ts"]] = (item.get("created"), item.get("created_by"), msg)
        emit = chan.ready
        for ts in [t for t in chan.pins if t not in seen]:
            chan.pins.pop(ts)
            if emit:
                self._put("pin_removed", chan.id, ts)
                if ts not in chan.window:
                    self.followups[(chan.id, ts)] = None
        for ts, (created, by, msg) in seen.items():
            if ts in chan.pins and chan.pins[ts] not in (None, created):
                if emit:    # released and taken again between two polls
                    self._put("pin_removed", chan.id, ts)
                chan.pins.pop(ts)
            if ts not in chan.pins and emit:
                self._put("pin_added", chan.id, ts, user=by, message=msg, pinned_by=by,
                          pinned_at=float(created) if created is not None else None)
            chan.pins[ts] = created
            if "reactions" in msg or ts in chan.reactions:
                self._reactions(chan, ts, _reaction_set(msg), emit=emit, msg=msg)
        self._prune(chan)

    async def _poll_followup(self) -> None:
        (cid, ts), _ = self.followups.popitem()
        chan = self.chans[cid]
        try:
            data = await self._api("reactions.get", channel=cid, timestamp=ts, full=True)
        except SlackMQError as exc:
            if getattr(exc, "error", "") in ("message_not_found", "bad_timestamp"):
                return
            self.followups[(cid, ts)] = None
            raise
        msg = data.get("message") or {}
        self._reactions(chan, ts, _reaction_set(msg), emit=True, msg=msg or None)

    def _prune(self, chan: _Channel, keep: int = 2000) -> None:
        if len(chan.reactions) > keep:
            live = set(chan.window) | set(chan.pins)
            for ts in sorted(chan.reactions):
                if len(chan.reactions) <= keep:
                    break
                if ts not in live:
                    chan.reactions.pop(ts)

    def _put(self, kind: str, channel: str, ts: str, **fields: Any) -> None:
        self.feed.put(ChannelEvent(kind, channel, ts, **fields))

    async def close(self) -> None:
        return None
