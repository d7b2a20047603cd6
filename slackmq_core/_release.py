"""``release``, ``complete``, ``fail`` and ``heartbeat``: only API calls, never a sleep.

A client remembers what it placed on the messages it holds (``Ctx.held``) and removes exactly that.
Without that memory (another process, the CLI, the 0.1.2 drop-in) it reads the message and takes as
its own: the lock reaction of its user, the pin when ``created_by`` is its user, and the claim notes
of its worker id. A live claim note of *another* worker of the same user means a sibling process
holds the message: then nothing is ours (``NOT_HELD``).

``complete`` (and ``fail``, unless failed messages are retried) leaves the lock reaction and the
star where they are, next to the done / failed reaction (the record of who processed the message),
unless ``LockOptions.clear_done``: it removes the pin and the claim notes only.

Order of removal: reaction, star, pin, then the claim note — a crash half way leaves a pin (which
any member may remove, and which ages into ``stale``) rather than an invisible reaction.
"""

from __future__ import annotations

from slackmq_core._acquire import post_claim_note
from slackmq_core._exceptions import HolderLost, LeaseExpired, NotOwner, SlackAPIError, SlackMQError
from slackmq_core._lease import CLAIM_EVENT, claim_metadata, claim_text, failed_metadata, read_notes
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
    is_gone,
    pin_item,
    reaction_users,
)

__all__ = ["complete", "fail", "heartbeat", "release"]

_ORDER = {Primitive.REACTION: 0, Primitive.STAR: 1, Primitive.PIN: 2, Primitive.CLAIM: 3}


def release(ctx: Ctx, channel: str, ts: str) -> Gen:
    ch, me, held = yield from _own(ctx, channel, ts)
    if held is None:
        return LockResult(Outcome.NOT_HELD, ch, ts, advice="this token holds no lock mark on it")
    removed = yield from _remove(ctx, held)
    return LockResult(Outcome.RELEASED, ch, ts, holder=me.holder, marks=tuple(removed),
                      advice="" if removed else "its marks were already gone (force-released?)")


def complete(ctx: Ctx, channel: str, ts: str) -> Gen:
    ch, me, held = yield from _own(ctx, channel, ts)
    if held is None:
        return LockResult(Outcome.NOT_HELD, ch, ts, advice="complete needs the lock: acquire it first")
    yield from _react(ctx, ch, ts, ctx.options.done_reaction, held)
    _keep_record(ctx, held)
    removed = yield from _remove(ctx, held)
    return LockResult(Outcome.COMPLETED, ch, ts, holder=me.holder, marks=tuple(removed))


def fail(ctx: Ctx, channel: str, ts: str, reason: str = "") -> Gen:
    ch, me, held = yield from _own(ctx, channel, ts)
    if held is None:
        return LockResult(Outcome.NOT_HELD, ch, ts, advice="fail needs the lock: acquire it first")
    yield from _react(ctx, ch, ts, ctx.options.failed_reaction, held)
    text = f":{ctx.options.failed_reaction}: failed: {reason}" if reason else \
        f":{ctx.options.failed_reaction}: failed"
    yield call("chat.postMessage", {"channel": ch, "thread_ts": ts, "text": text[:3000],
                                    "metadata": failed_metadata(worker_id=ctx.worker_id, reason=reason)})
    if not ctx.options.retry_failed:   # failed is final, like done; with retries the marks must go
        _keep_record(ctx, held)
    removed = yield from _remove(ctx, held)
    return LockResult(Outcome.FAILED, ch, ts, holder=me.holder, marks=tuple(removed))


def heartbeat(ctx: Ctx, channel: str, ts: str) -> Gen:
    """Extend our lease (chat.update of our claim note; posts one if there is none yet)."""
    check_ts(ts)
    ch = yield from channel_ref(ctx, channel)
    me = yield from get_me(ctx)
    held = ctx.held.get((ch, ts))
    if held is None:
        raise NotOwner(f"heartbeat on {ch} {ts}: this client does not hold it")
    if held.lease is not None and not held.lease.alive(ctx.clock()):
        # a lease that ran out is never renewed: others may already treat us as dead
        ctx.held.pop((ch, ts), None)
        raise LeaseExpired(f"our lease on {ch} {ts} ran out at {held.lease.expires_at:.0f}: the lock "
                           "may have been reaped or taken; stop the job (its marks stay for the reaper)")
    if not held.note_ts:
        expires = yield from post_claim_note(ctx, ch, ts, held.claim_id, held.note_ts)
        held.marks.append(Mark(Primitive.CLAIM, me.holder, ctx.clock(), held.note_ts[0]))
    else:
        expires = ctx.clock() + ctx.options.lease_seconds
        meta = claim_metadata(worker_id=ctx.worker_id, host=ctx.host, pid=ctx.pid, expires_at=expires,
                              claim_id=held.claim_id)
        try:
            yield call("chat.update", {"channel": ch, "ts": held.note_ts[0], "metadata": meta,
                                       "text": claim_text(ctx.worker_id, expires)})
        except SlackAPIError as exc:
            if exc.error == "message_not_found":
                ctx.held.pop((ch, ts), None)
                raise HolderLost(f"our claim note on {ch} {ts} was deleted: the lock was taken from us") from None
            raise
    held.lease = Lease(ctx.worker_id, ctx.host, ctx.pid, expires, held.note_ts[0], me.holder)
    return held.lease


def _keep_record(ctx: Ctx, held: HeldLock) -> None:
    """Unless ``clear_done``, the lock reaction and the star stay as the record of who finished the
    message (and, for a worker of our user, as a mark it cannot place again): only the pin and the
    lease go."""
    if not ctx.options.clear_done:
        held.marks = [m for m in held.marks if m.primitive not in (Primitive.REACTION, Primitive.STAR)]


def _react(ctx: Ctx, ch: str, ts: str, name: str, held: HeldLock) -> Gen:
    try:
        yield call("reactions.add", {"channel": ch, "timestamp": ts, "name": name})
    except SlackAPIError as exc:
        if exc.error != "already_reacted":
            ctx.held.setdefault((ch, ts), held)
            raise


def _own(ctx: Ctx, channel: str, ts: str) -> Gen:
    """(channel id, me, the marks we hold or None); pops the in-memory record."""
    check_ts(ts)
    ch = yield from channel_ref(ctx, channel)
    me = yield from get_me(ctx)
    held = ctx.held.pop((ch, ts), None)
    if held is None:
        held = yield from _read_own(ctx, ch, ts, me)
    return ch, me, held


def _read_own(ctx: Ctx, ch: str, ts: str, me: Me) -> Gen:
    """Our marks on a message this client has no memory of (another process, CLI, drop-in)."""
    opts = ctx.options
    r = yield call("reactions.get", {"channel": ch, "timestamp": ts, "full": True})
    msg = r.get("message") or {}
    marks: list[Mark] = []
    notes_ts: list[str] = []
    if int(msg.get("reply_count") or 0) > 0:
        _, notes = yield from read_notes(call, ch, ts)
        now = ctx.clock()
        mine = [n for n in notes if n.kind == CLAIM_EVENT and n.user == me.user_id]
        ours = [n for n in mine if n.worker_id == ctx.worker_id]
        if not ours and any(n.expires_at > now for n in mine):
            return None   # a sibling process of the same user holds it
        notes_ts = [n.ts for n in ours]
    if me.user_id in reaction_users(msg, opts.reaction):
        marks.append(Mark(Primitive.REACTION, me.holder, None, opts.reaction))
    pinned = msg.get("pinned_to")
    if pinned is None or ch in pinned:
        item = yield from pin_item(ch, ts)
        if item and item.get("created_by") == me.user_id:
            marks.append(Mark(Primitive.PIN, me.holder, float(item.get("created") or 0) or None))
    if Primitive.STAR in opts.primitives and not me.is_bot and marks:
        marks.append(Mark(Primitive.STAR, me.holder))
    marks += [Mark(Primitive.CLAIM, me.holder, None, t) for t in notes_ts]
    if not marks:
        return None
    return HeldLock(ch, ts, marks, note_ts=notes_ts)


def _remove(ctx: Ctx, held: HeldLock) -> Gen:
    """Remove held marks in a crash-safe order; on a hard error keep the rest and re-raise."""
    ch, ts = held.channel, held.ts
    removed: list[Mark] = []
    pending = sorted(held.marks, key=lambda m: _ORDER[m.primitive])
    note_ts = set(held.note_ts)
    while pending:
        mark = pending[0]
        method, args = _removal(ctx, ch, ts, mark)
        try:
            yield call(method, args)
            removed.append(mark)
        except SlackMQError as exc:
            if not is_gone(exc):
                held.marks = pending
                ctx.held[(ch, ts)] = held
                raise
        pending.pop(0)
        if mark.primitive is Primitive.CLAIM:
            note_ts.discard(mark.name)
    for extra in sorted(note_ts):   # duplicate notes from ambiguous posts
        try:
            yield call("chat.delete", {"channel": ch, "ts": extra})
        except SlackMQError as exc:
            if not is_gone(exc):
                raise
    return removed


def _removal(ctx: Ctx, ch: str, ts: str, mark: Mark) -> tuple[str, dict]:
    if mark.primitive is Primitive.REACTION:
        return "reactions.remove", {"channel": ch, "timestamp": ts, "name": mark.name or ctx.options.reaction}
    if mark.primitive is Primitive.STAR:
        return "stars.remove", {"channel": ch, "timestamp": ts}
    if mark.primitive is Primitive.PIN:
        return "pins.remove", {"channel": ch, "timestamp": ts}
    return "chat.delete", {"channel": ch, "ts": mark.name}

