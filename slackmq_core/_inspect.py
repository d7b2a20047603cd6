"""Who holds what: one message, a page of a channel, every lock of a channel, the token itself.

Reads, in as few calls as Slack allows:

* ``inspect(ch, ts)``: ``reactions.get`` (reactions, ``pinned_to``, ``reply_count``), ``pins.list``
  only when the message is pinned (for ``created`` / ``created_by``), and ``conversations.replies``
  only when the message has replies (claim notes: lease and failure reason).
* ``history(ch, limit, cursor)``: one ``conversations.history`` page (reactions come with the
  messages) plus ONE ``pins.list`` for the channel; threads are read only for messages that would
  otherwise be *stale*, to check for a live lease.
* ``locks(ch)``: ``pins.list`` — every pinned message with its reactions, ``created`` and
  ``created_by`` in one call. A lock that is a bare reaction (no pin) shows only in ``history``.

Times: a pin carries its ``created`` time; a reaction carries none, so a lock's ``since`` is the
pin's time, else the claim note's ts, else unknown (such a lock is never called stale). Stale =
locked longer than ``LockOptions.stale_after`` with no live lease.
"""

from __future__ import annotations

from slackmq_core._exceptions import InputError
from slackmq_core._lease import CLAIM_EVENT, FAILED_EVENT, NoteInfo, read_notes, ts_key
from slackmq_core._model import (
    ChannelPage,
    ChannelSummary,
    Identity,
    LockState,
    Mark,
    MessageLock,
    Primitive,
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
    reaction_users,
    resolve_channel,
)
from slackmq_core._strategy import Strategy

__all__ = ["build_lock", "channels", "history", "inspect", "locks", "resolve", "summary", "whoami"]

_STRATEGY_SCOPES: dict[Strategy, tuple[str, ...]] = {
    Strategy.PIN: ("pins:write", "pins:read", "reactions:read"),
    Strategy.PIN_REACTION: ("pins:write", "pins:read", "reactions:write", "reactions:read"),
    Strategy.PIN_STAR: ("pins:write", "pins:read", "stars:write", "reactions:read"),
    Strategy.PIN_STAR_REACTION: ("pins:write", "pins:read", "stars:write", "reactions:write",
                                 "reactions:read"),
    Strategy.CLAIM: ("pins:write", "pins:read", "reactions:write", "reactions:read", "chat:write",
                     "channels:history"),
}


def _ts_float(ts: str) -> float:
    sec, frac = ts_key(ts)
    return sec + frac / 1_000_000


def build_lock(ctx: Ctx, ch: str, msg: dict, pin: dict | None, notes: list[NoteInfo] | None,
               now: float) -> Gen:
    """A MessageLock from what Slack showed: the message, its pins.list item, its notes."""
    opts = ctx.options
    marks: list[Mark] = []
    since: float | None = None
    if pin:
        created = float(pin.get("created") or 0) or None
        marks.append(Mark(Primitive.PIN, (yield from holder_of(ctx, pin.get("created_by"))), created))
        since = created
    for uid in reaction_users(msg, opts.reaction):
        marks.append(Mark(Primitive.REACTION, (yield from holder_of(ctx, uid)), None, opts.reaction))
    lease = None
    failed_reason = ""
    for n in notes or []:
        if n.kind == FAILED_EVENT:
            failed_reason = n.reason
    claims = [n for n in notes or [] if n.kind == CLAIM_EVENT]
    live = [n for n in claims if n.expires_at > now]
    shown = live[0] if live else (claims[-1] if claims else None)   # the winner, else the last one
    if shown is not None:
        h = yield from holder_of(ctx, shown.user)
        lease = shown.lease(h)
        for n in live or [shown]:
            marks.append(Mark(Primitive.CLAIM, (yield from holder_of(ctx, n.user)), _ts_float(n.ts), n.ts))
        if since is None and marks:
            since = _ts_float(shown.ts)
    locked = any(m.primitive in (Primitive.PIN, Primitive.REACTION) for m in marks) or bool(live)
    if reaction_users(msg, opts.done_reaction):
        state = LockState.DONE
    elif reaction_users(msg, opts.failed_reaction):
        state = LockState.FAILED
    elif not locked:
        state = LockState.PENDING
    elif since is not None and now - since > opts.stale_after and not (lease and lease.alive(now)):
        state = LockState.STALE
    else:
        state = LockState.LOCKED
    author = None
    if msg.get("user"):
        author = yield from holder_of(ctx, msg.get("user"))
    return MessageLock(channel=ch, ts=str(msg.get("ts", "")), text=str(msg.get("text", "")),
                       author=author, state=state, marks=tuple(marks), lease=lease,
                       locked_since=since if locked else None, failed_reason=failed_reason,
                       thread_ts=msg.get("thread_ts"))


def _pins(ch: str) -> Gen:
    r = yield call("pins.list", {"channel": ch})
    out: dict[str, dict] = {}
    for item in r.get("items") or []:
        msg = item.get("message") or {}
        if item.get("type", "message") == "message" and msg.get("ts"):
            out[str(msg["ts"])] = item
    return out


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
        pin = (yield from _pins(ch)).get(ts)
    notes = None
    if _has_replies(msg):
        _, notes = yield from read_notes(call, ch, ts)
    return (yield from build_lock(ctx, ch, msg, pin, notes, ctx.clock()))


def _with_leases(ctx: Ctx, ch: str, msgs: list[dict], pins: dict[str, dict], now: float) -> Gen:
    """MessageLocks; threads are read only where a live lease could turn 'stale' into 'locked'."""
    out: list[MessageLock] = []
    for msg in msgs:
        lock = yield from build_lock(ctx, ch, msg, pins.get(str(msg.get("ts"))), None, now)
        if lock.state is LockState.STALE and _has_replies(msg):
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
    pins = yield from _pins(ch)
    msgs = [m for m in r.get("messages") or [] if m.get("ts")]
    msgs.sort(key=lambda m: ts_key(m["ts"]), reverse=True)
    page = yield from _with_leases(ctx, ch, msgs, pins, ctx.clock())
    nxt = (r.get("response_metadata") or {}).get("next_cursor") or None
    return ChannelPage(tuple(page), nxt)


def locks(ctx: Ctx, channel: str) -> Gen:
    ch = yield from channel_ref(ctx, channel)
    pins = yield from _pins(ch)
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
