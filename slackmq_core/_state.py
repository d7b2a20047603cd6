"""The lock rules, written once: what Slack showed about a message -> its MessageLock. No I/O.

Two paths reach a :class:`~slackmq_core.MessageLock` and both end in :func:`derive`:

* the inspector (``_inspect.build_lock``) reads Slack (reactions.get / pins.list / history /
  conversations.replies), turns the answers into :class:`LockFacts` with :func:`facts_of`, looks up
  the holders' names, and derives;
* the live path (``_events.apply_event`` / ``restate``) folds a watcher event into the facts the
  lock already carries (``MessageLock.facts``) and derives again, with no Slack call.

So a row updated from events and a row re-read from Slack are computed by the very same rules.

The rules (:func:`derive`): the marks are the pin (its ``created`` / ``created_by``), every user of
the lock reaction (in Slack's order: the first one wins ties), and the claim notes that are alive
(else the last one). ``since`` is the pin's time, else the shown claim note's ts. The state is
(:func:`lock_state`) DONE if anyone put the done reaction, else FAILED for the failed reaction,
else PENDING with no pin, no lock reaction and no live claim note, else STALE when locked longer
than ``stale_after`` with no live lease, else LOCKED.

Leftovers (:func:`released_users`): Slack lets only the reactor remove its reaction, so when an
operator force-releases (or reaps) the lock of a dead bot, that bot's lock reaction stays. The
operator then posts a *release note* naming the bot. A lock reaction of a user a release note
covers is a leftover mark (``Mark.leftover``): shown, never a holder, and it does not make the
message locked. Acquire's tie-break skips the same users, so the console, ``slackmq locks``, the
reaper and the workers agree. On a done or failed message every lock reaction is such a mark too:
``complete`` leaves the holder's reaction as the record of who did the job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from slackmq_core._lease import CLAIM_EVENT, FAILED_EVENT, RELEASE_EVENT, NoteInfo, ts_key
from slackmq_core._model import Holder, Lease, LockState, Mark, MessageLock, Primitive
from slackmq_core._strategy import LockOptions

__all__ = ["LockFacts", "claim_view", "derive", "facts_of", "lock_state", "needed_users", "parse_reactions",
           "released_users"]

Reactions = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class LockFacts:
    """What Slack showed about one message's lock, before any rule is applied.

    ``notes`` are the slackmq notes of its thread, oldest first; None when the thread has replies
    that were not read (a history page reads threads only where a lease could matter).
    """

    channel: str
    ts: str
    text: str = ""
    user: str | None = None                          # the author
    thread_ts: str | None = None
    reactions: Reactions = ()                        # (name, users in Slack's order), as Slack lists them
    pin: tuple[float | None, str | None] | None = None   # (created, created_by) of the pin, if pinned
    replies: int = 0                                 # the thread's reply_count
    notes: tuple[NoteInfo, ...] | None = ()

    def users_of(self, name: str) -> tuple[str, ...]:
        for reaction, users in self.reactions:
            if reaction == name:
                return users
        return ()


def parse_reactions(msg: dict) -> Reactions:
    return tuple((str(r["name"]), tuple(str(u) for u in r.get("users") or ()))
                 for r in msg.get("reactions") or () if r.get("name"))


def facts_of(channel: str, msg: dict, pin: dict | None, notes: Iterable[NoteInfo] | None) -> LockFacts:
    """LockFacts from a message as Slack returns it, its pins.list item, and its notes (if read)."""
    replies = int(msg.get("reply_count") or 0)
    if notes is not None:
        noted: tuple[NoteInfo, ...] | None = tuple(sorted(notes, key=lambda n: ts_key(n.ts)))
    else:
        noted = () if replies == 0 else None
    pinned = None
    if pin:
        pinned = (float(pin.get("created") or 0) or None, pin.get("created_by") or None)
    return LockFacts(channel=channel, ts=str(msg.get("ts", "")), text=str(msg.get("text", "")),
                     user=msg.get("user") or None, thread_ts=msg.get("thread_ts"),
                     reactions=parse_reactions(msg), pin=pinned, replies=replies, notes=noted)


def _ts_float(ts: str) -> float:
    sec, frac = ts_key(ts)
    return sec + frac / 1_000_000


def claim_view(notes: Iterable[NoteInfo] | None, now: float) -> tuple[list[NoteInfo], NoteInfo | None]:
    """(the live claim notes, the one shown as the lease: the first live one, else the last one)."""
    claims = [n for n in notes or () if n.kind == CLAIM_EVENT]
    live = [n for n in claims if n.expires_at > now]
    return live, (live[0] if live else (claims[-1] if claims else None))


def released_users(notes: Iterable[NoteInfo] | None, pin: tuple[float | None, str | None] | None) -> frozenset[str]:
    """The users whose lock reaction is a leftover of a released lock.

    A release note covers each user it names for as long as that user's reaction stays: a user
    cannot add the reaction again while its old one is there (``already_reacted``), so the reaction
    it shows is the one the note was written about. If the user's own bot removes it and later
    takes the message again, it must pin first (every strategy starts with the channel-wide pin):
    so a note stops covering a user when the current pin was created by that user at or after the
    note (pins.list ``created`` is whole seconds, hence the floor). A done message is never taken
    again, so nothing else ends a note. Pass ``pin=None`` when the caller itself holds the pin.
    """
    out: set[str] = set()
    for n in notes or ():
        if n.kind != RELEASE_EVENT:
            continue
        for u in n.users:
            if pin is not None and pin[1] == u and pin[0] is not None and pin[0] >= ts_key(n.ts)[0]:
                continue
            out.add(u)
    return frozenset(out)


def needed_users(f: LockFacts, options: LockOptions, now: float) -> list[str]:
    """The user ids :func:`derive` shows as holders or author, in lookup order."""
    live, shown = claim_view(f.notes, now)
    ids = [f.pin[1] if f.pin else None, *f.users_of(options.reaction)]
    if shown is not None:
        ids += [shown.user, *(n.user for n in live or [shown])]
    ids.append(f.user)
    return list(dict.fromkeys(u for u in ids if u))


def lock_state(*, done: bool, failed: bool, locked: bool, since: float | None, lease: Lease | None,
               now: float, options: LockOptions) -> LockState:
    """The state rule (see the module docstring)."""
    if done:
        return LockState.DONE
    if failed:
        return LockState.FAILED
    if not locked:
        return LockState.PENDING
    if since is not None and now - since > options.stale_after and not (lease and lease.alive(now)):
        return LockState.STALE
    return LockState.LOCKED


def derive(f: LockFacts, options: LockOptions, now: float, users: Mapping[str, Holder]) -> MessageLock:
    """The MessageLock these facts mean at ``now``; holders named from ``users`` (else bare ids)."""

    def holder(uid: str | None) -> Holder | None:
        return (users.get(uid) or Holder(uid)) if uid else None

    marks: list[Mark] = []
    since: float | None = None
    if f.pin is not None:
        created, by = f.pin
        marks.append(Mark(Primitive.PIN, holder(by), created))
        since = created
    released = released_users(f.notes, f.pin) if f.notes else frozenset()
    done, failed = bool(f.users_of(options.done_reaction)), bool(f.users_of(options.failed_reaction))
    for uid in f.users_of(options.reaction):
        # on a finished message the lock reactions are the record of who did it, not holders
        marks.append(Mark(Primitive.REACTION, holder(uid), None, options.reaction,
                          leftover=uid in released or done or failed))
    failed_reason = ""
    for n in f.notes or ():
        if n.kind == FAILED_EVENT:
            failed_reason = n.reason
    live, shown = claim_view(f.notes, now)
    lease = None
    if shown is not None:
        lease = shown.lease(holder(shown.user))
        for n in live or [shown]:
            marks.append(Mark(Primitive.CLAIM, holder(n.user), _ts_float(n.ts), n.ts))
        if since is None and marks:
            since = _ts_float(shown.ts)
    locked = any(m.primitive in (Primitive.PIN, Primitive.REACTION) and not m.leftover for m in marks) \
        or bool(live)
    state = lock_state(done=done, failed=failed, locked=locked, since=since,
                       lease=lease, now=now, options=options)
    return MessageLock(channel=f.channel, ts=f.ts, text=f.text, author=holder(f.user), state=state,
                       marks=tuple(marks), lease=lease, locked_since=since if locked else None,
                       failed_reason=failed_reason, thread_ts=f.thread_ts, facts=f)
