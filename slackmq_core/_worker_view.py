"""What one worker knows about the messages of its channel, from watcher events and scans. No I/O.

The worker asks ``contended(ts)`` before spending any API call on a message: a done or failed mark,
or another holder's pin or lock reaction seen in an event, a message body or a scan, means "not now".
When such a holder lets go (its pin or reaction goes away with no done mark) the message is handed to
``enqueue`` again, so it is not lost.

It also remembers the other users it has seen lock in the channel (``lockers``) and how many turns
each let pass, which orders the workers of different bot users on each message (``turn``).

"Another holder" is anything not in ``mine`` (the messages this worker is acquiring or holding): it
covers other bot users and also other processes sharing this worker's token, which carry the same
user id.
"""

from __future__ import annotations

import collections
import hashlib
from collections.abc import Callable
from typing import Any

from slackmq_core._lease import RELEASE_EVENT
from slackmq_core._model import LockState, MessageLock, Primitive
from slackmq_core._strategy import LockOptions
from slackmq_core.watch import ChannelEvent

__all__ = ["JOB_SUBTYPES", "MAX_MISSES", "ChannelView"]

#: Turns a user may let pass (another worker acquired instead) before it is left out of the order.
MAX_MISSES = 3

#: Message subtypes that can be jobs (channel joins, pin notices, edits... are not).
JOB_SUBTYPES = frozenset({None, "thread_broadcast", "bot_message", "file_share", "me_message"})

_Mark = tuple[str, Any]


class ChannelView:
    def __init__(self, options: LockOptions, wants: Callable[[dict], bool], enqueue: Callable[[str], None],
                 *, ignore_self: bool = True, remember: int = 5000) -> None:
        self.options = options
        self.wants = wants
        self.enqueue = enqueue
        self.ignore_self = ignore_self
        self.me = ""                                                       # our user id, once known
        self.channel = ""
        self.msgs: collections.OrderedDict[str, dict] = collections.OrderedDict()   # candidate jobs
        self.others: dict[str, set[_Mark]] = {}                            # ts -> marks not ours
        self.finished: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.mine: set[str] = set()
        self.lockers: dict[str, int] = {}      # other users seen placing lock marks -> turns missed
        self.on_locker: Callable[[str], None] | None = None   # called when a new such user shows up
        #: queues a message whose holder let go (default: ``enqueue``); the worker waits a moment
        #: first, so a done mark that Slack sent just before the pin's removal can still arrive
        self.requeue: Callable[[str], None] | None = None
        self._remember = remember

    # -- taking turns --------------------------------------------------------------------------
    def saw_locker(self, user: str | None) -> None:
        """``user`` placed a pin or a lock reaction here: another worker (or an operator)."""
        if not user or user == self.me:
            return
        new = user not in self.lockers
        self.lockers[user] = 0
        if new and self.on_locker is not None:
            self.on_locker(user)

    def turn(self, ts: str) -> tuple[int, list[str]]:
        """(our place in the order of ``ts``, the users before us). The order is a hash of the message
        and each user id, the same in every process, so workers of different bot users agree on who
        tries first without a word; users who let their turn pass ``MAX_MISSES`` times in a row are
        left out until they lock something again."""
        if not self.lockers:
            return 0, []

        def key(user: str) -> bytes:
            return hashlib.blake2b(f"{ts}|{user}".encode(), digest_size=8).digest()

        order = sorted([self.me, *(u for u, n in self.lockers.items() if n < MAX_MISSES)], key=key)
        place = order.index(self.me)
        return place, order[:place]

    def missed(self, users: list[str]) -> None:
        """Our turn came and none of ``users`` (before us) had taken the message."""
        for u in users:
            if u in self.lockers:
                self.lockers[u] += 1

    def contended(self, ts: str) -> bool:
        return ts in self.finished or bool(self.others.get(ts))

    def on_event(self, ev: ChannelEvent) -> None:
        ts, opts = ev.ts, self.options
        if ev.channel != self.channel or not ts:
            return
        if ev.kind == "message" and ev.message is not None and ev.is_top_level:
            self.consider(ev.message)
        elif ev.kind == "message" and ev.message is not None and ev.thread_ts:
            meta = ev.message.get("metadata") or {}
            if meta.get("event_type") == RELEASE_EVENT:   # an operator released these users' reactions
                released = set((meta.get("event_payload") or {}).get("users") or ())
                self.forget(ev.thread_ts, lambda mark: mark[0] == "reaction" and mark[1] in released)
        elif ev.kind == "message_deleted":
            self.msgs.pop(ts, None)
            self.finish(ts)
        elif ev.kind == "pin_added":
            self.saw_locker(ev.user)
            if ts not in self.mine:
                self.others.setdefault(ts, set()).add(("pin", ev.user))
        elif ev.kind == "reaction_added":
            if self._is_finish(ev.reaction):
                self.finish(ts)
            elif ev.reaction == opts.reaction:
                self.saw_locker(ev.user)
                if ts not in self.mine:
                    self.others.setdefault(ts, set()).add(("reaction", ev.user))
        elif ev.kind == "pin_removed":
            self.forget(ts, lambda mark: mark[0] == "pin")
        elif ev.kind == "reaction_removed" and ev.reaction == opts.reaction:
            self.forget(ts, lambda mark: mark == ("reaction", ev.user))

    def consider(self, msg: dict) -> None:
        """A message seen in an event or a scan: remember it if it is a job for us, and queue it."""
        ts = msg.get("ts")
        if not ts or msg.get("subtype") not in JOB_SUBTYPES:
            return
        if ts not in self.msgs:
            if (self.ignore_self and msg.get("user") == self.me) or not self.wants(msg):
                return
            self.msgs[ts] = msg
            while len(self.msgs) > self._remember:
                self.msgs.popitem(last=False)
            self._absorb_marks(msg)
        self.enqueue(ts)

    def scanned(self, lock: MessageLock) -> None:
        """One message as the lock client's history read it (state computed from its marks)."""
        ts = lock.ts
        for m in lock.marks:
            if m.primitive in (Primitive.PIN, Primitive.REACTION) and m.holder is not None:
                self.saw_locker(m.holder.user_id)
        if lock.state is LockState.DONE or (lock.state is LockState.FAILED and not self.options.retry_failed):
            self.finish(ts)
            return
        if lock.state in (LockState.LOCKED, LockState.STALE):
            if ts not in self.mine:   # remembered below, so it is queued when its holder lets go
                self.others[ts] = self._scanned_marks(lock)
        else:
            self.others.pop(ts, None)
        self.consider({"ts": ts, "text": lock.text, "thread_ts": lock.thread_ts,
                       "user": lock.author.user_id if lock.author else None})

    def _scanned_marks(self, lock: MessageLock) -> set[_Mark]:
        """The lock's marks in the shape events remove them by; a mark no event can remove (a star,
        a claim note) stays until the next scan says otherwise."""
        marks: set[_Mark] = set()
        for m in lock.marks:
            if m.leftover:
                continue
            user = m.holder.user_id if m.holder else None
            if m.primitive is Primitive.PIN:
                marks.add(("pin", user))
            elif m.primitive is Primitive.REACTION and m.name in ("", self.options.reaction):
                marks.add(("reaction", user))
            else:
                marks.add(("scan", user))
        return marks or {("scan", None)}

    def recheck(self, ts: str, msg: dict) -> bool:
        """A fresh read of one message (``reactions.get``: ``pinned_to`` and ``reactions``): True when it
        is still worth an acquire. A done (or final failed) mark finishes it; a pin means held (every
        strategy pins first) and is remembered until its ``pin_removed``. A lock reaction with no pin is
        not enough to skip: it may be a leftover only ``acquire`` can tell from a holder."""
        if any(self._is_finish(r.get("name")) for r in msg.get("reactions") or ()):
            self.finish(ts)
            return False
        if self.channel in (msg.get("pinned_to") or ()):
            self.others.setdefault(ts, set()).add(("pin", None))
            return False
        return True

    def peer(self, ts: str, what: str) -> None:
        """Another Worker of this process on our token (``Peers``): ``taken`` (it is acquiring or holding
        ``ts``), then ``finished``, ``held`` (it lost to a holder) or ``free`` (it let go: queue it again)."""
        if ts in self.mine:
            return
        if what == "taken":
            self.others.setdefault(ts, set()).add(("peer", None))
        elif what == "finished":
            self.finish(ts)
        elif what == "held" and ts not in self.finished:   # someone's pin: cleared by its pin_removed
            self.others.setdefault(ts, set()).add(("pin", None))
        self.forget(ts, lambda mark: mark[0] == "peer" and what != "taken")

    def held_elsewhere(self, ts: str, holder: str | None) -> None:
        """Acquire said someone else holds it."""
        self.saw_locker(holder)
        self.others.setdefault(ts, set()).add(("held", holder))

    def forget(self, ts: str, which: Callable[[_Mark], bool]) -> None:
        marks = self.others.get(ts)
        if not marks:
            return
        marks.difference_update({m for m in marks if which(m)})
        if not marks:
            del self.others[ts]
            (self.requeue or self.enqueue)(ts)   # the holder let go with no done mark (yet): a job again

    def finish(self, ts: str) -> None:
        self.finished[ts] = None
        self.others.pop(ts, None)
        while len(self.finished) > 4 * self._remember:
            self.finished.popitem(last=False)

    def _is_finish(self, name: str | None) -> bool:
        opts = self.options
        return name == opts.done_reaction or (name == opts.failed_reaction and not opts.retry_failed)

    def _absorb_marks(self, msg: dict) -> None:
        ts = msg["ts"]
        if ts in self.mine:
            return
        if self.channel in (msg.get("pinned_to") or ()):
            self.others.setdefault(ts, set()).add(("pin", None))
        for r in msg.get("reactions") or ():
            if self._is_finish(r.get("name")):
                self.finish(ts)
            elif r.get("name") == self.options.reaction:
                for user in r.get("users") or ():
                    self.saw_locker(user)
                    self.others.setdefault(ts, set()).add(("reaction", user))
