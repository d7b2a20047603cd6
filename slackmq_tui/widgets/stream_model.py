"""The loaded part of one channel's message stream, and the filter applied to it.

Pure view state, no Textual and no Slack: the screen feeds it pages (``history``), the complete set
of locks (``locks``) and single messages (``inspect`` or live events); the stream widget reads the
filtered, newest-first view. Only what was loaded is here: paging fills it as the operator scrolls.

``boundary`` is the oldest ts reached by contiguous paging. Messages older than it (locks found by
``locks()``) are kept but only shown when the filter asks for locked or stale messages, so the
unfiltered view never has holes.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from slackmq_core import LockState, MessageLock
from slackmq_tui.widgets._format import ts_key

HELD_STATES = frozenset({LockState.LOCKED, LockState.STALE})


@dataclass(frozen=True)
class MessageFilter:
    """What the operator asked to see: `text` words, a `holder` substring, a set of `states`."""

    text: str = ""
    holder: str = ""
    states: frozenset[LockState] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, query: str) -> MessageFilter:
        """`"deploy holder:alpha state:stale,locked"` -> a filter. Unknown states raise ValueError."""
        words: list[str] = []
        holder = ""
        states: set[LockState] = set()
        for token in query.split():
            key, sep, value = token.partition(":")
            if sep and key.lower() in ("holder", "h"):
                holder = value
            elif sep and key.lower() in ("state", "s"):
                for name in filter(None, value.lower().split(",")):
                    try:
                        states.add(LockState(name))
                    except ValueError:
                        valid = ", ".join(s.value for s in LockState)
                        raise ValueError(f"unknown state {name!r}: use one of {valid}") from None
            else:
                words.append(token)
        return cls(" ".join(words), holder, frozenset(states))

    @property
    def active(self) -> bool:
        return bool(self.text or self.holder or self.states)

    @property
    def held_only(self) -> bool:
        """True when only locked/stale messages can match (then ``locks()`` makes the view complete)."""
        return bool(self.states) and self.states <= HELD_STATES

    def describe(self) -> str:
        parts = []
        if self.text:
            parts.append(f'"{self.text}"')
        if self.holder:
            parts.append(f"holder:{self.holder}")
        if self.states:
            parts.append("state:" + ",".join(sorted(s.value for s in self.states)))
        return " ".join(parts)

    def matches(self, lock: MessageLock) -> bool:
        if self.states and lock.state not in self.states:
            return False
        if self.holder:
            needle = self.holder.lower()
            if not any(needle in h.label.lower() or needle in h.user_id.lower()
                       for h in lock.holders):
                return False
        if self.text:
            hay = f"{lock.text} {lock.author.label if lock.author else ''} {lock.ts}".lower()
            if not all(w in hay for w in self.text.lower().split()):
                return False
        return True


class StreamModel:
    """Messages of one channel known to the console, kept sorted by ts."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._by_ts: dict[str, MessageLock] = {}
        self._keys: list[tuple[int, int]] = []      # ascending (oldest first)
        self._ts: list[str] = []                    # parallel to _keys
        self.next_cursor: str | None = None
        self.boundary: tuple[int, int] | None = None  # oldest key reached by paging
        self.pages_loaded = 0
        self.locks_loaded = False                   # every lock of the channel is in here
        self.filter = MessageFilter()
        self._view: list[MessageLock] | None = None
        self._view_pos: dict[str, int] | None = None   # ts -> index in _view (built on demand)
        self.version = 0                            # bumped when the view's rows change order/set
        self.counts: Counter[LockState] = Counter()  # every row held, by state
        self.timed: set[str] = set()                # rows whose state can change with time alone

    # -- feeding ---------------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """Paging reached the oldest message."""
        return self.pages_loaded > 0 and self.next_cursor is None

    def add_page(self, messages: Iterable[MessageLock], next_cursor: str | None) -> None:
        for lock in messages:
            self.upsert(lock)
            key = ts_key(lock.ts)
            if self.boundary is None or key < self.boundary:
                self.boundary = key
        self.next_cursor = next_cursor
        self.pages_loaded += 1
        self._invalidate()

    def replace_locks(self, locks: Iterable[MessageLock]) -> list[str]:
        """Take the complete set of held messages; returns ts of loaded rows held before but not now
        (their new state is unknown: the caller re-reads them)."""
        held_now = {lock.ts for lock in locks}
        gone = [ts for ts, lock in self._by_ts.items()
                if lock.state in HELD_STATES and ts not in held_now]
        for lock in locks:
            self.upsert(lock)
        self.locks_loaded = True
        self._invalidate()
        return gone

    def upsert(self, lock: MessageLock) -> MessageLock | None:
        """Insert or replace one message; returns the previous value. A changed row that stays
        where it was in the view is patched in place (``version`` unchanged): the widget then
        repaints that one line instead of re-reading the whole view."""
        old = self._by_ts.get(lock.ts)
        self._by_ts[lock.ts] = lock
        if old is None:
            key = ts_key(lock.ts)
            i = bisect.bisect_left(self._keys, key)
            self._keys.insert(i, key)
            self._ts.insert(i, lock.ts)
            self._invalidate()
        elif old != lock:
            self.counts[old.state] -= 1
            if not self._patch(old, lock):
                self._invalidate()
        if old is None or old != lock:
            self.counts[lock.state] += 1
        if lock.state in HELD_STATES or lock.lease is not None:
            self.timed.add(lock.ts)
        else:
            self.timed.discard(lock.ts)
        return old

    def _patch(self, old: MessageLock, new: MessageLock) -> bool:
        """Swap one row of the cached view in place when the filter sees both alike."""
        if self._view is None:
            return True
        flt = self.filter
        if flt.active and flt.matches(old) != flt.matches(new):
            return False
        if flt.active and not flt.matches(new):
            return True
        if self._view_pos is None:
            self._view_pos = {r.ts: i for i, r in enumerate(self._view)}
        i = self._view_pos.get(new.ts)
        if i is None:
            return not self._in_view_range(new.ts)
        self._view[i] = new
        return True

    def _in_view_range(self, ts: str) -> bool:
        flt = self.filter
        if (flt.held_only and self.locks_loaded) or self.complete:
            return True
        return self.boundary is not None and ts_key(ts) >= self.boundary

    def _invalidate(self) -> None:
        self._view = None
        self._view_pos = None
        self.version += 1

    def remove(self, ts: str) -> MessageLock | None:
        old = self._by_ts.pop(ts, None)
        if old is not None:
            i = bisect.bisect_left(self._keys, ts_key(ts))
            if i < len(self._ts) and self._ts[i] == ts:
                del self._keys[i]
                del self._ts[i]
            self.counts[old.state] -= 1
            self.timed.discard(ts)
            self._invalidate()
        return old

    def position(self, ts: str) -> int | None:
        """The row's index in the current view (None: not shown)."""
        view = self.view()
        if self._view_pos is None:
            self._view_pos = {r.ts: i for i, r in enumerate(view)}
        return self._view_pos.get(ts)

    def get(self, ts: str) -> MessageLock | None:
        return self._by_ts.get(ts)

    def __len__(self) -> int:
        return len(self._by_ts)

    @property
    def loaded(self) -> int:
        """Messages inside the contiguously paged range."""
        if self.boundary is None:
            return 0
        return len(self._keys) - bisect.bisect_left(self._keys, self.boundary)

    # -- reading ---------------------------------------------------------------------------

    def set_filter(self, flt: MessageFilter) -> None:
        if flt != self.filter:
            self.filter = flt
            self._invalidate()

    def view(self) -> list[MessageLock]:
        """The filtered rows, newest first (cached until something changes)."""
        if self._view is None:
            flt = self.filter
            everything = (flt.held_only and self.locks_loaded) or self.complete
            start = 0
            if not everything:
                if self.boundary is None:
                    start = len(self._keys)
                else:
                    start = bisect.bisect_left(self._keys, self.boundary)
            by_ts = self._by_ts
            rows = [by_ts[ts] for ts in reversed(self._ts[start:])]
            self._view = [r for r in rows if flt.matches(r)] if flt.active else rows
        return self._view

    @property
    def wants_more(self) -> bool:
        """Paging can still add rows to this view."""
        if self.filter.held_only and self.locks_loaded:
            return False
        return not self.complete
