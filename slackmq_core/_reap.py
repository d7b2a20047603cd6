"""Operators: force-release one message, and reap the stale locks of a channel.

``plan_force_release`` reads the message (``_inspect.inspect``) and sorts its marks into what the
given token can remove and what it cannot, with the reason in plain words:

* a pin: any channel member can unpin (unless an admin restricted it: ``restricted_action``);
* a reaction: only the user who added it can remove it;
* a star: stars are private per user — only our own can be removed (others' are invisible);
* a claim note: only its author can delete it; an expired note blocks no one.

``force_release`` does the plan and reports every mark it could not remove, and why (Slack's code
when Slack refused). When another user's lock reaction cannot be removed (a crashed bot's), it
stays first in the reaction's ``users`` and would beat every later acquirer forever; so, once the
pin is gone, ``force_release`` posts ONE *release note* in the thread (chat.postMessage: text in
plain words, metadata ``slackmq_release`` ``{users, by, at}``). Acquire, the inspector and
``apply_event`` then treat those reactions as leftovers (``_state.released_users``). Without
chat:write the note fails: that is reported in ``not_removed`` and the rest goes on. A user already
covered by a note is not named again (a leftover mark). The failed reaction (if ours) is removed too, so a failed message can be
retried; the done reaction never is.

``plan_reap`` / ``reap`` force-release every *stale* lock of a channel (locked longer than
``older_than`` — default ``LockOptions.stale_after`` — with no live lease). Right before removing
anything, ``reap`` re-reads the message's thread, so a holder that heartbeated since the plan is
skipped ("lease alive").
"""

from __future__ import annotations

from slackmq_core._exceptions import InputError, SlackAPIError, SlackMQError
from slackmq_core._inspect import inspect, locks
from slackmq_core._lease import release_metadata, release_text
from slackmq_core._model import (
    ForceReleasePlan,
    ForceReleaseReport,
    LockState,
    Mark,
    MarkFailure,
    MessageLock,
    Primitive,
    ReapReport,
)
from slackmq_core._protocol import Ctx, Gen, Me, call, channel_ref, get_me, is_gone, reaction_users

__all__ = ["force_release", "plan_force_release", "plan_reap", "reap", "report_detail"]


_NOTED = " — recorded as released, workers will ignore it"
_LEFTOVER = " — already recorded as released (a leftover): workers ignore it"


def _plan(ctx: Ctx, lock: MessageLock, me: Me, failed_users: list[str]) -> ForceReleasePlan:
    removable: list[Mark] = []
    blocked: list[MarkFailure] = []
    note_users: list[str] = []
    for m in lock.marks:
        uid = m.holder.user_id if m.holder else None
        if m.primitive is Primitive.PIN:
            removable.append(m)
        elif m.primitive in (Primitive.REACTION, Primitive.STAR):
            if uid == me.user_id:
                removable.append(m)
            else:
                who = m.holder.label if m.holder else "another user"
                kind = "bot" if m.holder and m.holder.is_bot else "user"
                reason = (f"{who}'s :{m.name}: reaction: only that {kind} can remove it"
                          if m.primitive is Primitive.REACTION else f"{who}'s star: stars are per user")
                if m.primitive is Primitive.REACTION and m.name == ctx.options.reaction and uid:
                    if m.leftover:
                        reason += _LEFTOVER
                    else:
                        reason += _NOTED
                        note_users.append(uid)
                blocked.append(MarkFailure(m, reason))
        elif m.primitive is Primitive.CLAIM:
            if uid == me.user_id:
                removable.append(m)
            else:
                who = m.holder.label if m.holder else "another user"
                blocked.append(MarkFailure(m, f"{who}'s claim note: only its author can delete it "
                                           "(it stops counting when its lease expires)"))
    if not me.is_bot and Primitive.STAR in ctx.options.primitives:
        removable.append(Mark(Primitive.STAR, me.holder))   # our own star, if any (others' are private)
    if me.user_id in failed_users:
        removable.append(Mark(Primitive.REACTION, me.holder, None, ctx.options.failed_reaction))
    return ForceReleasePlan(lock.channel, lock.ts, tuple(removable), tuple(blocked), lock.state,
                            tuple(dict.fromkeys(note_users)))


def _failed_users(ctx: Ctx, ch: str, ts: str) -> Gen:
    r = yield call("reactions.get", {"channel": ch, "timestamp": ts, "full": True})
    return reaction_users(r.get("message") or {}, ctx.options.failed_reaction)


def plan_force_release(ctx: Ctx, channel: str, ts: str) -> Gen:
    me = yield from get_me(ctx)
    lock = yield from inspect(ctx, channel, ts)
    failed = (yield from _failed_users(ctx, lock.channel, ts)) if lock.state is LockState.FAILED else []
    return _plan(ctx, lock, me, failed)


def _execute(ctx: Ctx, plan: ForceReleasePlan) -> Gen:
    ch, ts = plan.channel, plan.ts
    removed: list[Mark] = []
    failures = list(plan.not_removable)
    order = {Primitive.REACTION: 0, Primitive.STAR: 1, Primitive.PIN: 2, Primitive.CLAIM: 3}
    for m in sorted(plan.removable, key=lambda m: order[m.primitive]):
        if m.primitive is Primitive.REACTION:
            method, args = "reactions.remove", {"channel": ch, "timestamp": ts, "name": m.name}
        elif m.primitive is Primitive.STAR:
            method, args = "stars.remove", {"channel": ch, "timestamp": ts}
        elif m.primitive is Primitive.PIN:
            method, args = "pins.remove", {"channel": ch, "timestamp": ts}
        else:
            method, args = "chat.delete", {"channel": ch, "ts": m.name}
        try:
            yield call(method, args)
            removed.append(m)
        except SlackMQError as exc:
            if is_gone(exc):
                continue
            code = exc.error if isinstance(exc, SlackAPIError) else "transport"
            failures.append(MarkFailure(m, exc.advice or str(exc), code))
    for key in [k for k in ctx.held if k == (ch, ts)]:
        ctx.held.pop(key, None)
    note = ""
    pin_stays = any(f.mark.primitive is Primitive.PIN for f in failures)
    if plan.note_users and pin_stays:     # not released: its holder still holds the pin
        failures = [_renote(f, plan, " — not recorded as released: the pin could not be removed", "")
                    for f in failures]
    elif plan.note_users:
        try:
            note = yield from _post_release_note(ctx, plan)
        except SlackMQError as exc:
            code = exc.error if isinstance(exc, SlackAPIError) else "transport"
            why = f" — the release note could not be posted ({exc.advice or exc}): workers still see it as a holder"
            failures = [_renote(f, plan, why, code) for f in failures]
    return ForceReleaseReport(ch, ts, tuple(removed), tuple(failures), note)


def _renote(f: MarkFailure, plan: ForceReleasePlan, why: str, code: str) -> MarkFailure:
    """A planned 'recorded as released' reason, corrected when no release note was posted."""
    if not f.reason.endswith(_NOTED) or (f.mark.holder and f.mark.holder.user_id) not in plan.note_users:
        return f
    return MarkFailure(f.mark, f.reason[: -len(_NOTED)] + why, code or f.error)


def _post_release_note(ctx: Ctx, plan: ForceReleasePlan) -> Gen:
    """One thread reply naming the users whose lock reaction stays; returns its ts."""
    me = yield from get_me(ctx)
    names = []
    for uid in plan.note_users:
        h = ctx.users.get(uid)
        names.append(h.label if h else uid)
    meta = release_metadata(users=list(plan.note_users), by=me.user_id, at=ctx.clock())
    r = yield call("chat.postMessage", {"channel": plan.channel, "thread_ts": plan.ts, "metadata": meta,
                                        "text": release_text(me.name or me.user_id, names, ctx.options.reaction)})
    return str(r.get("ts") or "")


def force_release(ctx: Ctx, channel: str, ts: str) -> Gen:
    plan = yield from plan_force_release(ctx, channel, ts)
    return (yield from _execute(ctx, plan))


def _older(ctx: Ctx, older_than: float | None) -> float:
    value = ctx.options.stale_after if older_than is None else older_than
    if not isinstance(value, (int, float)) or value < 0:
        raise InputError(f"bad older_than {older_than!r}: give a number of seconds (0 or more)")
    return float(value)


def _is_reapable(lock: MessageLock, now: float, older_than: float) -> str | None:
    """None if reapable, else why not."""
    if lock.lease is not None and lock.lease.alive(now):
        return f"lease alive until {lock.lease.expires_at:.0f} (worker {lock.lease.worker_id})"
    if lock.locked_since is None:
        return "no lock time known (a reaction without pin or note)"
    if now - lock.locked_since < older_than:
        return f"locked for {now - lock.locked_since:.0f} s, under {older_than:.0f} s"
    return None


def plan_reap(ctx: Ctx, channel: str, older_than: float | None = None) -> Gen:
    limit = _older(ctx, older_than)
    me = yield from get_me(ctx)
    now = ctx.clock()
    plans: list[ForceReleasePlan] = []
    for lock in (yield from locks(ctx, channel)):
        if _is_reapable(lock, now, limit) is None:
            plans.append(_plan(ctx, lock, me, []))
    return plans


def reap(ctx: Ctx, channel: str, older_than: float | None = None, dry_run: bool = False) -> Gen:
    limit = _older(ctx, older_than)
    ch = yield from channel_ref(ctx, channel)
    me = yield from get_me(ctx)
    reaped: list[ForceReleaseReport] = []
    skipped: list[tuple[str, str]] = []
    for lock in (yield from locks(ctx, ch)):
        why = _is_reapable(lock, ctx.clock(), limit)
        if why is None and not dry_run:
            fresh = yield from inspect(ctx, ch, lock.ts)   # a heartbeat since the listing?
            why = _is_reapable(fresh, ctx.clock(), limit) if fresh.state is not LockState.PENDING \
                else "released meanwhile"
            lock = fresh
        if why is not None:
            skipped.append((lock.ts, why))
            continue
        plan = _plan(ctx, lock, me, [])
        if dry_run:
            reaped.append(ForceReleaseReport(ch, lock.ts, plan.removable, plan.not_removable))   # no note
        else:
            reaped.append((yield from _execute(ctx, plan)))
    return ReapReport(ch, tuple(reaped), tuple(skipped), dry_run)


def report_detail(rep: ForceReleaseReport) -> dict:
    out = {"removed": [m.primitive.value for m in rep.removed],
           "not_removed": [f"{f.mark.primitive.value}: {f.reason}" for f in rep.not_removed]}
    if rep.release_note:
        out["release_note"] = rep.release_note
    return out
