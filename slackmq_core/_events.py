"""Live updates with no Slack call: fold a watcher event into a MessageLock, or let time pass.

A console that shows rows from ``history`` / ``inspect`` / ``inspect_many`` keeps them current with::

    new = apply_event(row, event, options, now=clock(), users=client.users)
    if new is None:          # the event alone cannot tell: re-read this row (inspect_many, batched)
        ...
    rows = [restate(r, options, clock()) for r in rows]   # e.g. once a second: LOCKED -> STALE

Both recompute the state with ``_state.derive``, the very rules the inspector uses, from the facts
the row carries (``MessageLock.facts``). So applying the events of a message to the lock read before
them gives the lock a fresh ``inspect`` would give (the tests check exactly that), except that a
holder not in ``users`` is shown by id only (``Holder(user_id)``) until a read names it.

Call budget per event: **none**. When ``apply_event`` returns None the caller re-reads the message:
``AsyncLockClient.inspect_many(channel, [ts, ...])`` costs one pins.list for the whole batch, plus one
reactions.get per message that is not pinned and one conversations.replies per message with a thread.
None is returned only for:

* ``resync`` (events were lost: reload), and a lock with no facts (made by hand);
* ``message_deleted`` of the message itself (the row is gone: drop it; a re-read finds nothing);
* ``pin_added`` that does not say when or by whom (the polling watcher's history diff);
* a snapshot of the message (``event.message``) that shows a pin the lock does not know, or a
  reply count that disagrees with the replies seen (the polling watcher cannot see thread replies);
* a thread reply when the thread was never read (``facts.notes is None``: a history row), or a
  bot's reply that carries no metadata (a claim note whose metadata Slack left out).

Any other event that is not about this message or its thread returns the lock unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from slackmq_core._lease import parse_note, ts_key
from slackmq_core._model import Holder, LockState, MessageLock
from slackmq_core._state import LockFacts, claim_view, derive, facts_of, lock_state, parse_reactions
from slackmq_core._strategy import LockOptions
from slackmq_core.watch import ChannelEvent

__all__ = ["apply_event", "lock_from_message", "next_change", "restate"]

_MESSAGE_KINDS = frozenset({"message", "message_changed", "message_deleted"})


def _holders(lock: MessageLock, users: Mapping[str, Holder] | None) -> dict[str, Holder]:
    known: dict[str, Holder] = {}
    for h in (lock.author, lock.lease.holder if lock.lease else None, *(m.holder for m in lock.marks)):
        if h is not None and h.name:
            known[h.user_id] = h
    known.update(users or {})
    return known


def apply_event(lock: MessageLock, event: ChannelEvent, options: LockOptions, *, now: float,
                users: Mapping[str, Holder] | None = None) -> MessageLock | None:
    """The lock after ``event`` (same rules as ``inspect``), or None when the event alone cannot tell.

    ``now``: epoch seconds for the time rules (stale, live leases); ``users``: names for holders
    (``client.users``). No Slack call; see the module docstring for when None comes back.
    """
    facts = lock.facts
    if event.kind == "resync" or facts is None:
        return None
    if event.channel != lock.channel:
        return lock
    reply = event.kind in _MESSAGE_KINDS and event.thread_ts not in (None, event.ts)
    if reply and event.thread_ts == lock.ts:
        new = _fold_reply(facts, event)
    elif event.ts == lock.ts:
        new = _fold(facts, event)
    else:
        return lock
    if new is None:
        return None
    return derive(new, options, now, _holders(lock, users))


def lock_from_message(event: ChannelEvent, options: LockOptions, *, now: float,
                      users: Mapping[str, Holder] | None = None) -> MessageLock | None:
    """A row for a new top-level message (a ``message`` event), with no Slack call.

    None when the event is not a new channel message, or when its body shows a pin (the polling
    watcher may first see a message already taken: re-read it).
    """
    msg = event.message
    if event.kind != "message" or not msg or not event.ts or not event.is_top_level:
        return None
    if event.channel in (msg.get("pinned_to") or ()):
        return None
    facts = facts_of(event.channel, {**msg, "ts": event.ts}, None, None)
    if facts.notes is None:     # a message that already has a thread: its notes were not read
        return None
    return derive(facts, options, now, dict(users or {}))


def restate(lock: MessageLock, options: LockOptions, now: float,
            users: Mapping[str, Holder] | None = None) -> MessageLock:
    """The lock as it stands at ``now`` with nothing new from Slack: LOCKED turns STALE once the TTL
    passes with no live lease, a claim note's lease runs out... No Slack call.

    Returns ``lock`` itself when nothing changed, so ``restate(r, ...) is r`` is a cheap test. A row
    that turns STALE while it shows a lease may be heartbeating where events cannot show it (a
    polling watcher never sees thread edits): confirm it with ``inspect_many`` before acting on it.
    """
    if lock.facts is not None:
        new = derive(lock.facts, options, now, _holders(lock, users))
    else:   # made by hand: only the time rule applies
        state = lock_state(done=lock.state is LockState.DONE, failed=lock.state is LockState.FAILED,
                           locked=lock.state in (LockState.LOCKED, LockState.STALE),
                           since=lock.locked_since, lease=lock.lease, now=now, options=options)
        new = replace(lock, state=state)
    return lock if new == lock else new


def next_change(lock: MessageLock, options: LockOptions, now: float) -> float | None:
    """The epoch second after which ``restate`` may next change this lock (None: never by itself)."""
    times: list[float] = []
    if lock.locked_since is not None:
        times.append(lock.locked_since + options.stale_after)
    if lock.lease is not None:
        times.append(lock.lease.expires_at)
    if lock.facts is not None:
        live, _ = claim_view(lock.facts.notes, now)
        times += [n.expires_at for n in live]
    later = [t for t in times if t >= now]
    return min(later) if later else None


# -- folding one event into the facts ---------------------------------------------------------------
def _fold(f: LockFacts, event: ChannelEvent) -> LockFacts | None:
    """An event about the message itself."""
    kind = event.kind
    if kind == "message_deleted":
        return None
    if kind == "pin_added":
        if event.pinned_at is None:
            return None
        pin = (float(event.pinned_at) or None, event.pinned_by or event.user)
        return _snapshot(replace(f, pin=pin), event.message, f.channel, pin_known=True)
    if kind == "pin_removed":
        return _snapshot(replace(f, pin=None), event.message, f.channel, pin_known=True)
    if kind in ("reaction_added", "reaction_removed"):
        if event.message and event.message.get("ts") == f.ts:   # a snapshot (polling): authoritative
            return _snapshot(f, event.message, f.channel)
        if not event.user or not event.reaction:
            return None
        return replace(f, reactions=_react(f, event.reaction, event.user, kind == "reaction_added"))
    if kind == "message_changed":
        return _snapshot(f, event.message, f.channel)
    return f        # "message": the post itself, delivered again; it is older than what we know


def _snapshot(f: LockFacts, msg: dict | None, channel: str, *, pin_known: bool = False) -> LockFacts | None:
    """Fold what a copy of the message shows (text, reactions, pinned_to, reply_count)."""
    if not msg or msg.get("ts") not in (None, f.ts):
        return f
    pin = f.pin
    if not pin_known and "pinned_to" in msg:
        if channel not in (msg.get("pinned_to") or ()):
            pin = None
        elif pin is None:
            return None                 # pinned: by whom and since when, only pins.list says
    replies = int(msg.get("reply_count") or 0)
    notes = f.notes
    if replies == 0:
        notes = ()
    elif replies != f.replies:
        return None                     # replies we did not see: the thread must be read
    return replace(f, text=str(msg.get("text", f.text)), user=msg.get("user") or f.user,
                   thread_ts=msg.get("thread_ts"), reactions=parse_reactions(msg), pin=pin,
                   replies=replies, notes=notes)


def _react(f: LockFacts, name: str, user: str, added: bool) -> tuple:
    """The reactions after one user added or removed one (Slack appends new users and names)."""
    out = []
    found = False
    for reaction, users in f.reactions:
        if reaction == name:
            found = True
            if added:
                users = users if user in users else (*users, user)
            else:
                users = tuple(u for u in users if u != user)
            if not users:
                continue
        out.append((reaction, users))
    if added and not found:
        out.append((name, (user,)))
    return tuple(out)


def _fold_reply(f: LockFacts, event: ChannelEvent) -> LockFacts | None:
    """A reply in the message's thread: a claim note posted, renewed (edited) or deleted, or chatter."""
    if f.notes is None:
        return None
    msg = event.message or {}
    notes = [n for n in f.notes if n.ts != event.ts]
    known = len(notes) != len(f.notes)
    if event.kind == "message_deleted":
        return replace(f, replies=max(0, f.replies - 1), notes=tuple(notes))
    note = parse_note(msg)
    if note is None and "metadata" not in msg and (msg.get("bot_id") or msg.get("app_id")):
        return None                     # a bot's reply without its metadata: a claim note? read it
    if note is not None:
        notes.append(note)
        notes.sort(key=lambda n: ts_key(n.ts))
    replies = f.replies + (1 if event.kind == "message" and not known else 0)
    return replace(f, thread_ts=f.ts, replies=replies, notes=tuple(notes))
