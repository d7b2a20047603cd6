"""``acquire``: place the strategy's marks, verify, and undo only what is provably ours.

The algorithm and its guarantees are described in ``_protocol``'s docstring.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slackmq_core._exceptions import HolderLost, SlackAPIError, SlackMQError
from slackmq_core._lease import CLAIM_EVENT, claim_metadata, claim_text, new_claim_id, read_notes
from slackmq_core._model import Lease, LockResult, Mark, Outcome, Primitive
from slackmq_core._protocol import (
    Ctx,
    Gen,
    HeldLock,
    Me,
    call,
    channel_ref,
    check_ts,
    get_me,
    holder_of,
    is_gone,
    pin_item,
    reaction_users,
    require_user_token,
)
from slackmq_core._state import released_users
from slackmq_core._strategy import Strategy

__all__ = ["acquire", "dead_users", "finished_state", "post_claim_note"]

log = logging.getLogger("slackmq_core")

#: How far our clock may be off Slack's when comparing a pin's ``created`` with our start.
CLOCK_SKEW = 2.0

_ALREADY = {Primitive.PIN: "already_pinned", Primitive.STAR: "already_starred",
            Primitive.REACTION: "already_reacted"}


@dataclass
class _Attempt:
    ch: str
    ts: str
    started: float
    claim_id: str = field(default_factory=new_claim_id)
    placed: dict[Primitive, str] = field(default_factory=dict)   # "yes" or "maybe"
    note_ts: list[str] = field(default_factory=list)


def finished_state(ctx: Ctx, msg: dict) -> str | None:
    """"done" / "failed" when the message carries that reaction (failed only if not retried)."""
    if reaction_users(msg, ctx.options.done_reaction):
        return "done"
    if reaction_users(msg, ctx.options.failed_reaction) and not ctx.options.retry_failed:
        return "failed"
    return None


def acquire(ctx: Ctx, channel: str, ts: str) -> Gen:
    check_ts(ts)
    ch = yield from channel_ref(ctx, channel)
    me = yield from get_me(ctx)
    require_user_token(ctx, me)
    if (ch, ts) in ctx.held:
        return LockResult(Outcome.HELD, ch, ts, holder=me.holder, advice="already held by this client")
    att = _Attempt(ch, ts, ctx.clock())
    try:
        return (yield from _acquire(ctx, att, me))
    except SlackMQError:
        yield from _undo(ctx, att, me, winner=None)
        raise


def _acquire(ctx: Ctx, att: _Attempt, me: Me) -> Gen:
    opts = ctx.options
    for prim in opts.primitives:
        if prim is Primitive.CLAIM:
            continue
        if not (yield from _place(ctx, att, prim, me)):
            if prim is Primitive.PIN:
                holder = None
                if opts.lookup_holder:
                    item = yield from pin_item(att.ch, att.ts)
                    holder = yield from holder_of(ctx, (item or {}).get("created_by"))
                return LockResult(Outcome.HELD, att.ch, att.ts, holder=holder)
            # a star or reaction of our own user is already there: a done message (complete leaves
            # them), a released leftover, or a holder sharing our user
            msg, finished = yield from _read_message(ctx, att, me)
            if finished is not None:
                return finished
            if (att.placed.get(Primitive.PIN) == "yes" and ctx.options.retry_failed
                    and me.user_id in reaction_users(msg, ctx.options.failed_reaction)):
                # our user failed this message before and left its marks as the record; we retry
                # failed messages and just pinned, so no sibling holds it: take the marks over
                att.placed[prim] = "adopted"
                continue
            if (prim is Primitive.REACTION and att.placed.get(Primitive.PIN) == "yes"
                    and int(msg.get("reply_count") or 0) > 0 and (yield from _released_me(att, me))):
                # our user's reaction is a leftover an operator released (a release note names
                # us), and we just pinned, so no sibling holds the message: adopt it as ours
                att.placed[prim] = "adopted"
                continue
            yield from _undo(ctx, att, me, winner=me.user_id)
            return LockResult(Outcome.HELD, att.ch, att.ts, holder=me.holder,
                              advice="held by another worker that shares this token's user")
    if opts.strategy is Strategy.CLAIM:
        lost = yield from _verify_claim(ctx, att, me)
    elif opts.skips_verify:
        # one bot user for the whole fleet: our reaction / star went on, so no sibling holds it,
        # and a done message would have refused it (complete leaves them): nothing to check
        lost = None
        if opts.uses_claim_note:
            yield from post_claim_note(ctx, att.ch, att.ts, att.claim_id, att.note_ts)
    else:
        lost = yield from _verify_reactions(ctx, att, me)
        if lost is None and opts.uses_claim_note:
            yield from post_claim_note(ctx, att.ch, att.ts, att.claim_id, att.note_ts)
    if lost is not None:
        return lost
    marks = [Mark(p, me.holder, att.started if p is Primitive.PIN else None,
                  opts.reaction if p is Primitive.REACTION else "")
             for p in opts.primitives if p in att.placed]
    lease = None
    if att.note_ts:
        expires = ctx.clock() + opts.lease_seconds
        marks.append(Mark(Primitive.CLAIM, me.holder, att.started, att.note_ts[0]))
        lease = Lease(ctx.worker_id, ctx.host, ctx.pid, expires, att.note_ts[0], me.holder)
    ctx.held[(att.ch, att.ts)] = HeldLock(att.ch, att.ts, marks, att.claim_id, list(att.note_ts), lease)
    return LockResult(Outcome.ACQUIRED, att.ch, att.ts, holder=me.holder, marks=tuple(marks))


def _place(ctx: Ctx, att: _Attempt, prim: Primitive, me: Me) -> Gen:
    """Place one mark: True if placed (or settled as ours), False if someone holds it."""
    args = {"channel": att.ch, "timestamp": att.ts}
    method = {Primitive.PIN: "pins.add", Primitive.STAR: "stars.add",
              Primitive.REACTION: "reactions.add"}[prim]
    if prim is Primitive.REACTION:
        args["name"] = ctx.options.reaction
    try:
        yield call(method, args)
        att.placed[prim] = "yes"
        return True
    except SlackAPIError as exc:
        if exc.error != _ALREADY[prim]:
            if getattr(exc, "after_ambiguous", False):
                att.placed[prim] = "maybe"   # an attempt may have landed: undo checks
            raise
        if not getattr(exc, "after_ambiguous", False):
            if prim is not Primitive.PIN and ctx.options.strategy is Strategy.CLAIM:
                # our user's mark is already there (a sibling's, live or dead): in claim mode the
                # claim notes decide, so go on; the mark is shared, never undone by us
                att.placed[prim] = "shared"
                return True
            return False
    except SlackMQError as exc:
        if getattr(exc, "after_ambiguous", False):
            att.placed[prim] = "maybe"
        raise
    # "already" after our own attempt whose answer was lost: settle by reading state
    if prim is Primitive.PIN:
        item = yield from pin_item(att.ch, att.ts)
        if not item or item.get("created_by") != me.user_id:
            return False
        if float(item.get("created") or 0) < att.started - CLOCK_SKEW:
            return False   # pinned by our user before we started: a sibling's lock
    # stars and reactions are per user: ours, or a sibling's that shares our user. A sibling can
    # hold them only if it also got past the pin, which we hold (or, if that was ambiguous too,
    # which was created by our user after we started): so they are ours.
    att.placed[prim] = "maybe"
    return True


def _released_me(att: _Attempt, me: Me) -> Gen:
    """Does a release note name our user (its lock reaction is a leftover)? One thread read."""
    try:
        _, notes = yield from read_notes(call, att.ch, att.ts)
    except SlackMQError as exc:
        log.debug("could not read the thread of %s %s: %s", att.ch, att.ts, exc)
        return False
    return me.user_id in released_users(notes, None)


def _read_message(ctx: Ctx, att: _Attempt, me: Me) -> Gen:
    """One ``reactions.get``: (the message, None) — or, when it is finished (done, or failed and not
    retried), our marks undone and (the message, the DONE result)."""
    r = yield call("reactions.get", {"channel": att.ch, "timestamp": att.ts, "full": True})
    msg = r.get("message") or {}
    state = finished_state(ctx, msg)
    if not state:
        return msg, None
    yield from _undo(ctx, att, me, winner=None)
    return msg, _finished_result(ctx, att, state)


def _verify_reactions(ctx: Ctx, att: _Attempt, me: Me) -> Gen:
    opts = ctx.options
    msg, finished = yield from _read_message(ctx, att, me)
    if finished is not None:
        return finished
    if Primitive.REACTION not in opts.primitives:
        return None
    users = reaction_users(msg, opts.reaction)
    if me.user_id not in users:
        raise HolderLost(f"our :{opts.reaction}: reaction on {att.ts} vanished while acquiring")
    dead: set[str] = set()
    if users[0] != me.user_id and opts.retry_failed:
        # a failed attempt leaves its lock reaction as the record (fail): not a holder when retrying
        dead |= set(reaction_users(msg, opts.failed_reaction)) - {me.user_id}
    if users[0] != me.user_id and int(msg.get("reply_count") or 0) > 0:   # the losing path only
        _, notes = yield from read_notes(call, att.ch, att.ts)
        if opts.uses_claim_note:
            dead = dead_users(notes, ctx.clock())
        dead |= released_users(notes, None)   # we hold the pin: no released user re-pinned
    # append-only order: later reactors never change who is first. Reactors whose every claim
    # note has expired are dead holders, and reactors named in a release note left their reaction
    # behind when an operator released them (a reaper could not remove it): both skipped.
    winner = next(u for u in users if u == me.user_id or u not in dead)
    if winner == me.user_id:
        return None
    yield from _undo(ctx, att, me, winner=winner)
    return LockResult(Outcome.HELD, att.ch, att.ts, holder=(yield from holder_of(ctx, winner)))


def _verify_claim(ctx: Ctx, att: _Attempt, me: Me) -> Gen:
    yield from post_claim_note(ctx, att.ch, att.ts, att.claim_id, att.note_ts)
    parent, notes = yield from read_notes(call, att.ch, att.ts)
    for n in notes:
        if n.claim_id == att.claim_id and n.ts not in att.note_ts:
            att.note_ts.append(n.ts)   # a duplicate post from a retried ambiguous chat.postMessage
    state = finished_state(ctx, parent)
    if state:
        yield from _undo(ctx, att, me, winner=None)
        return _finished_result(ctx, att, state)
    now = ctx.clock()
    live = [n for n in notes if n.kind == CLAIM_EVENT and (n.claim_id == att.claim_id or n.expires_at > now)]
    if not any(n.claim_id == att.claim_id for n in live):
        raise HolderLost(f"our claim note on {att.ts} is not in the thread")
    winner = live[0]
    if winner.claim_id == att.claim_id:
        return None
    yield from _undo(ctx, att, me, winner=winner.user)
    holder = yield from holder_of(ctx, winner.user)
    return LockResult(Outcome.HELD, att.ch, att.ts, holder=holder,
                      advice=f"claimed by worker {winner.worker_id}")


def dead_users(notes: list, now: float) -> set[str]:
    """Users who have claim notes and all of them expired (by more than the clock skew)."""
    latest: dict[str, float] = {}
    for n in notes:
        if n.kind == CLAIM_EVENT:
            latest[n.user] = max(latest.get(n.user, 0.0), n.expires_at)
    return {u for u, exp in latest.items() if exp < now - CLOCK_SKEW}


def post_claim_note(ctx: Ctx, ch: str, ts: str, claim_id: str, note_ts: list[str]) -> Gen:
    expires = ctx.clock() + ctx.options.lease_seconds
    meta = claim_metadata(worker_id=ctx.worker_id, host=ctx.host, pid=ctx.pid, expires_at=expires,
                          claim_id=claim_id)
    try:
        r = yield call("chat.postMessage", {"channel": ch, "thread_ts": ts, "metadata": meta,
                                            "text": claim_text(ctx.worker_id, expires)})
    except SlackMQError as exc:
        if exc.after_ambiguous:   # a post may have landed: find it so that undo deletes it
            yield from _collect_notes(ch, ts, claim_id, note_ts)
        raise
    if r.get("ts"):
        note_ts.append(str(r["ts"]))
    if r.after_ambiguous:         # an earlier attempt may have posted a duplicate
        yield from _collect_notes(ch, ts, claim_id, note_ts)
    return expires


def _collect_notes(ch: str, ts: str, claim_id: str, note_ts: list[str]) -> Gen:
    try:
        _, notes = yield from read_notes(call, ch, ts)
    except SlackMQError as exc:
        log.warning("could not look for duplicate claim notes on %s %s: %s", ch, ts, exc)
        return
    for n in notes:
        if n.claim_id == claim_id and n.ts not in note_ts:
            note_ts.append(n.ts)


def _finished_result(ctx: Ctx, att: _Attempt, state: str) -> LockResult:
    if state == "done":
        return LockResult(Outcome.DONE, att.ch, att.ts)
    return LockResult(Outcome.DONE, att.ch, att.ts,
                      advice=f"marked failed (:{ctx.options.failed_reaction}:): force-release it or set "
                             "retry_failed to take it again")


def _undo(ctx: Ctx, att: _Attempt, me: Me, *, winner: str | None) -> Gen:
    """Remove the marks this attempt placed that are provably its own; never raises."""
    ch, ts = att.ch, att.ts
    steps: list[tuple[str, dict]] = [("chat.delete", {"channel": ch, "ts": n}) for n in att.note_ts]
    same_user_winner = winner is not None and winner == me.user_id
    if att.placed.get(Primitive.REACTION, "shared") != "shared" and not same_user_winner:
        steps.append(("reactions.remove", {"channel": ch, "timestamp": ts, "name": ctx.options.reaction}))
    if att.placed.get(Primitive.STAR, "shared") != "shared" and not same_user_winner:
        steps.append(("stars.remove", {"channel": ch, "timestamp": ts}))
    for method, args in steps:
        yield from _quiet(method, args)
    att.note_ts.clear()
    if Primitive.PIN not in att.placed or same_user_winner:
        return
    try:
        if winner is not None or att.placed[Primitive.PIN] == "maybe":
            item = yield from pin_item(ch, ts)
            if not item or item.get("created_by") != me.user_id:
                return   # not provably ours: a racing holder's pin stays
    except SlackMQError as exc:
        log.warning("could not check the pin on %s %s before undoing it: %s", ch, ts, exc)
        return
    yield from _quiet("pins.remove", {"channel": ch, "timestamp": ts})


def _quiet(method: str, args: dict) -> Gen:
    try:
        yield call(method, args)
    except SlackMQError as exc:
        if not is_gone(exc):
            log.warning("cleanup %s on %s %s failed: %s", method, args.get("channel"),
                        args.get("timestamp") or args.get("ts"), exc)
