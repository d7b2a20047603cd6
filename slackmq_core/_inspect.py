"""Who holds what: one message, a page of a channel, every lock of a channel, the token itself.

Reads, in as few calls as Slack allows:

* ``inspect(ch, ts)``: ``reactions.get`` (reactions, ``pinned_to``, ``reply_count``), ``pins.list``
  only when the message is pinned (for ``created`` / ``created_by``; the client's last pins.list of
  the channel is reused while younger than ``LockOptions.pins_max_age``), and
  ``conversations.replies`` only when the message has replies (claim notes: lease and failure reason).
* ``inspect_many(ch, [ts...])``: ONE pins.list for all of them; reactions.get only for those not
  pinned (see its docstring for the whole budget).
* ``history(ch, limit, cursor)``: one ``conversations.history`` page (reactions come with the
  messages) plus ONE ``pins.list`` for the channel; threads are read only for messages that would
  otherwise be *stale* (a live lease?) or locked by a reaction without a pin (a release note?).
* ``locks(ch)``: ``pins.list`` — every pinned message with its reactions, ``created`` and
  ``created_by`` in one call. A lock that is a bare reaction (no pin) shows only in ``history``.

Times: a pin carries its ``created`` time; a reaction carries none, so a lock's ``since`` is the
pin's time, else the claim note's ts, else unknown (such a lock is never called stale). Stale =
locked longer than ``LockOptions.stale_after`` with no live lease.
"""

from __future__ import annotations

import time

from slackmq_core._exceptions import InputError, MessageNotFound
from slackmq_core._lease import NoteInfo, read_notes, ts_key
from slackmq_core._model import (
    ChannelPage,
    ChannelSummary,
    Identity,
    LockState,
    MessageLock,
)
from slackmq_core._protocol import (
    Ctx,
    Gen,
    call,
    channel_ref,
    check_ts,
    get_me,
    holder_of,
    list_channels,
    resolve_channel,
)
from slackmq_core._state import derive, facts_of, needed_users
from slackmq_core._strategy import Strategy

__all__ = ["build_lock", "channels", "history", "inspect", "inspect_many", "locks", "pins_snapshot", "resolve",
           "summary", "whoami"]

_STRATEGY_SCOPES: dict[Strategy, tuple[str, ...]] = {
    Strategy.PIN: ("pins:write", "pins:read", "reactions:read"),
    Strategy.PIN_REACTION: ("pins:write", "pins:read", "reactions:write", "reactions:read"),
    Strategy.PIN_STAR: ("pins:write", "pins:read", "stars:write", "reactions:read"),
    Strategy.PIN_STAR_REACTION: ("pins:write", "pins:read", "stars:write", "reactions:write",
                                 "reactions:read"),
    Strategy.CLAIM: ("pins:write", "pins:read", "reactions:write", "reactions:read", "chat:write",
                     "channels:history"),
}


def build_lock(ctx: Ctx, ch: str, msg: dict, pin: dict | None, notes: list[NoteInfo] | None,
               now: float) -> Gen:
    """A MessageLock from what Slack showed: the message, its pins.list item, its notes.

    The rules live in ``_state.derive`` (shared with ``apply_event``); here only the holders'
    names are looked up (users.info, cached per client).
    """
    facts = facts_of(ch, msg, pin, notes)
    for uid in needed_users(facts, ctx.options, now):
        yield from holder_of(ctx, uid)
    return derive(facts, ctx.options, now, ctx.users)


def _pins(ch: str) -> Gen:
    r = yield call("pins.list", {"channel": ch})
    out: dict[str, dict] = {}
    for item in r.get("items") or []:
        msg = item.get("message") or {}
        if item.get("type", "message") == "message" and msg.get("ts"):
            out[str(msg["ts"])] = item
    return out


def pins_snapshot(ctx: Ctx, ch: str, max_age: float = 0.0) -> Gen:
    """(the channel's pins.list items by ts, read_now): one pins.list, or none while the client's
    last snapshot of the channel is at most ``max_age`` seconds old. Every read is kept."""
    cached = ctx.pins_cache.get(ch)
    if cached is not None and max_age > 0 and 0 <= time.monotonic() - cached[0] <= max_age:
        return cached[1], False
    pins = yield from _pins(ch)
    ctx.pins_cache[ch] = (time.monotonic(), pins)
    return pins, True


def _has_replies(msg: dict) -> bool:
    return int(msg.get("reply_count") or 0) > 0


def inspect(ctx: Ctx, channel: str, ts: str) -> Gen:
    check_ts(ts)
    ch = yield from channel_ref(ctx, channel)
    r = yield call("reactions.get", {"channel": ch, "timestamp": ts, "full": True})
    msg = r.get("message") or {}
    pin = None
    pinned = msg.get("pinned_to")
    if pinned is None or ch in pinned:
        pins, read_now = yield from pins_snapshot(ctx, ch, ctx.options.pins_max_age)
        if ts not in pins and pinned is not None and not read_now:   # pinned after the snapshot
            pins, _ = yield from pins_snapshot(ctx, ch)
        pin = pins.get(ts)
    notes = None
    if _has_replies(msg):
        _, notes = yield from read_notes(call, ch, ts)
    return (yield from build_lock(ctx, ch, msg, pin, notes, ctx.clock()))


def inspect_many(ctx: Ctx, channel: str, ts_list: list[str], max_age: float = 0.0) -> Gen:
    """{ts: MessageLock} for several messages of one channel, in the order given; messages that no
    longer exist are left out. Calls: ONE pins.list for them all (none while the client's snapshot
    is at most ``max_age`` s old; then one more only if a message was pinned after it), one
    reactions.get per message that is not pinned (pins.list carries the pinned ones' reactions),
    one conversations.replies per message with a thread, users.info once per user never seen."""
    tss = list(dict.fromkeys(check_ts(t) for t in ts_list))
    ch = yield from channel_ref(ctx, channel)
    out: dict[str, MessageLock] = {}
    if not tss:
        return out
    pins, read_now = yield from pins_snapshot(ctx, ch, max_age)
    now = ctx.clock()
    for ts in tss:
        item = pins.get(ts)
        if item is not None:
            msg = item.get("message") or {}
        else:
            try:
                r = yield call("reactions.get", {"channel": ch, "timestamp": ts, "full": True})
            except MessageNotFound:
                continue
            msg = r.get("message") or {}
            if ch in (msg.get("pinned_to") or ()) and not read_now:   # pinned after the snapshot
                pins, read_now = yield from pins_snapshot(ctx, ch)
                item = pins.get(ts)
        notes = None
        if _has_replies(msg):
            _, notes = yield from read_notes(call, ch, ts)
        out[ts] = yield from build_lock(ctx, ch, msg, item, notes, now)
    return out


def _with_leases(ctx: Ctx, ch: str, msgs: list[dict], pins: dict[str, dict], now: float) -> Gen:
    """MessageLocks; threads are read only where a live lease could turn 'stale' into 'locked', or a
    release note could turn a bare reaction (no pin) into a leftover."""
    out: list[MessageLock] = []
    for msg in msgs:
        lock = yield from build_lock(ctx, ch, msg, pins.get(str(msg.get("ts"))), None, now)
        if _has_replies(msg) and (lock.state is LockState.STALE or (
                lock.state is LockState.LOCKED and lock.facts is not None and lock.facts.pin is None)):
            # a live lease may make it LOCKED; a release note may make a bare reaction a leftover
            _, notes = yield from read_notes(call, ch, lock.ts)
            lock = yield from build_lock(ctx, ch, msg, pins.get(lock.ts), notes, now)
        out.append(lock)
    return out


def history(ctx: Ctx, channel: str, limit: int = 100, cursor: str | None = None) -> Gen:
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InputError(f"bad limit {limit!r}: give a whole number from 1 to 1000")
    ch = yield from channel_ref(ctx, channel)
    args: dict = {"channel": ch, "limit": limit}
    if cursor:
        args["cursor"] = cursor
    r = yield call("conversations.history", args)
    pins, _ = yield from pins_snapshot(ctx, ch)
    msgs = [m for m in r.get("messages") or [] if m.get("ts")]
    msgs.sort(key=lambda m: ts_key(m["ts"]), reverse=True)
    page = yield from _with_leases(ctx, ch, msgs, pins, ctx.clock())
    nxt = (r.get("response_metadata") or {}).get("next_cursor") or None
    return ChannelPage(tuple(page), nxt)


def locks(ctx: Ctx, channel: str) -> Gen:
    ch = yield from channel_ref(ctx, channel)
    pins, _ = yield from pins_snapshot(ctx, ch)
    msgs = [item.get("message") or {} for item in pins.values()]
    msgs.sort(key=lambda m: ts_key(m["ts"]), reverse=True)
    page = yield from _with_leases(ctx, ch, msgs, pins, ctx.clock())
    return [m for m in page if m.state in (LockState.LOCKED, LockState.STALE)]


def summary(ctx: Ctx, channel: str, limit: int = 200) -> Gen:
    """Counts by state over the newest ``limit`` messages of the channel."""
    info = yield from resolve_channel(ctx, channel)
    page = yield from history(ctx, info.id, limit, None)
    counts: dict[LockState, int] = dict.fromkeys(LockState, 0)
    for m in page.messages:
        counts[m.state] += 1
    return ChannelSummary(info, counts)


def resolve(ctx: Ctx, ref: str) -> Gen:
    return (yield from resolve_channel(ctx, ref))


def channels(ctx: Ctx) -> Gen:
    return (yield from list_channels(ctx))


def whoami(ctx: Ctx) -> Gen:
    ctx.me = None   # always fresh: scopes may have changed
    me = yield from get_me(ctx)
    strategies: dict[str, str] = {}
    for s in Strategy:
        if s.needs_user_token and me.is_bot:
            strategies[s.value] = "needs a user token (xoxp-): bot tokens cannot star"
            continue
        if not me.scopes:
            strategies[s.value] = "unknown: Slack sent no X-OAuth-Scopes header"
            continue
        missing = [sc for sc in _STRATEGY_SCOPES[s] if sc not in me.scopes]
        strategies[s.value] = "ok" if not missing else "missing scope " + ", ".join(missing)
    return Identity(user_id=me.user_id, name=me.name, team_id=me.team_id, team=me.team, url=me.url,
                    token_type=me.token_type, is_bot=me.is_bot, scopes=me.scopes, bot_id=me.bot_id,
                    strategies=strategies)
