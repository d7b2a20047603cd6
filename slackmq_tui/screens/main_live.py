"""The main screen's live path: watcher events become rows with no Slack call, in batches.

* Events are collected and applied at most every :data:`FLUSH_INTERVAL` (≈10 repaints a second):
  each one goes through the core's ``apply_event`` (a new message through ``lock_from_message``),
  which computes the row's new state from the event alone. Only rows whose state changed are
  repainted (a structural change — a new or deleted row — re-reads the view once per batch).
* When the core cannot tell from the event (``None``: a thread never read, a pin without its time),
  the message is queued for a re-read (:mod:`.main_data`); re-reads go out together through ``inspect_many`` (one
  pins.list for the batch, reusing a snapshot up to ``PINS_MAX_AGE`` old) at most every
  ``REREAD_INTERVAL`` seconds, a few messages at a time.
* Time alone changes states (a crashed worker's lock turns stale when its TTL passes): the screen
  restates the rows that can change (``restate``, no call) when the clock passes the next such moment.
* Activity-log lines name users through the client's cached lookup; a line whose user is not named
  yet waits (in order) up to :data:`NAME_WAIT` seconds for the re-read that names it.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slackmq_core import (
    Holder,
    MessageLock,
    apply_event,
    lock_from_message,
    next_change,
    restate,
)
from slackmq_tui.messages import ChannelEventReceived
from slackmq_tui.widgets._format import ts_key
from slackmq_tui.widgets.channel_list import ChannelCounts

if TYPE_CHECKING:
    from slackmq_core.watch import ChannelEvent
    from slackmq_tui.screens.main import MainScreen

log = logging.getLogger("slackmq.tui")

#: Seconds between two batches of events applied to the screen (at most ~10 repaints a second).
FLUSH_INTERVAL = 0.1
#: Seconds after a key or click during which a batch waits (its frame would delay the key's),
#: and the most a batch is delayed past FLUSH_INTERVAL that way.
INPUT_GRACE, INPUT_MAX_DELAY = 0.04, 0.06
#: Seconds an activity line waits for its user's name before it shows the bare id.
NAME_WAIT = 4.0
#: Events kept to replay over a read that was answered after they were applied.
JOURNAL = 5000


def describe_event(event: ChannelEvent, name_of: Callable[[str | None], str]) -> str:
    """A watcher event in a few words, for the activity log and the detail panel."""
    who = name_of(event.user)
    kind = event.kind
    if kind.startswith("message") and not event.is_top_level:   # a thread reply: a claim note?
        return {"message": f"reply by {who}", "message_changed": "reply edited",
                "message_deleted": "reply deleted"}.get(kind, kind)
    if kind == "message":
        return f"posted by {who}"
    if kind in ("reaction_added", "reaction_removed"):
        verb = "added" if kind.endswith("added") else "removed"
        return f":{event.reaction}: {verb} by {who}"
    if kind in ("pin_added", "pin_removed"):
        verb = "pinned" if kind.endswith("added") else "unpinned"
        return f"{verb} by {who}"
    if kind == "message_changed":
        return "edited"
    if kind == "message_deleted":
        return "deleted"
    return kind


@dataclass
class _Line:
    """An activity line waiting to be written (its user's name may not be known yet)."""

    event: ChannelEvent
    target: str
    what: str
    queued: float          # time.monotonic()


class LiveUpdates:
    """Mixin for MainScreen: applying events, re-reads, restates, and repainting what changed."""

    def _init_live(self: MainScreen) -> None:
        self._inbox: list[ChannelEvent] = []
        self._flush_scheduled = False
        self._last_flush = 0.0
        self._lines: deque[_Line] = deque()
        self._changed: dict[str, set[str]] = {}       # channel -> ts changed since the last repaint
        self._journal: deque[tuple[int, ChannelEvent]] = deque(maxlen=JOURNAL)
        self._event_no = 0                             # events applied so far (journal numbers)
        self._stamps: dict[tuple[str, str], tuple[int, int]] = {}   # newest event_ts per message
        self._last_reread = 0.0
        self._next_restate: float | None = None
        self.live_stats = {"applied": 0, "reread": 0, "flushes": 0, "restated": 0}

    # -- names --------------------------------------------------------------------------------

    @property
    def users(self: MainScreen) -> dict[str, Holder]:
        """Everyone named so far: the client's cached users.info answers and the rows' holders."""
        known = dict(self._holders)
        known.update(getattr(self.services.client, "users", None) or {})
        return known

    def knows(self: MainScreen, user_id: str | None) -> bool:
        if not user_id:
            return True
        holder = (getattr(self.services.client, "users", None) or {}).get(user_id)
        return bool(holder and holder.name) or user_id in self._names

    def name_of(self: MainScreen, user_id: str | None) -> str:
        if not user_id:
            return "someone"
        holder = (getattr(self.services.client, "users", None) or {}).get(user_id)
        if holder is not None and holder.name:
            return holder.name
        return self._names.get(user_id, user_id)

    def _learn_names(self: MainScreen, lock: MessageLock) -> None:
        for holder in (lock.author, *(m.holder for m in lock.marks)):
            if holder is not None and holder.name:
                self._names[holder.user_id] = holder.name
                self._holders[holder.user_id] = holder

    # -- storing values -----------------------------------------------------------------------

    def put(self: MainScreen, lock: MessageLock, *, add: bool = False) -> bool:
        """Store a fresh value for one message without repainting (see :meth:`repaint_changes`);
        only ``add`` brings in a message the stream does not hold (a thread reply never)."""
        self._learn_names(lock)
        model = self.models.get(lock.channel)
        if model is None or lock.thread_ts not in (None, lock.ts):
            return False
        if not add and model.get(lock.ts) is None:
            return False
        old = model.upsert(lock)
        if old == lock:
            return False
        self._changed.setdefault(lock.channel, set()).add(lock.ts)
        self.note_times((lock,))
        return True

    def note_times(self: MainScreen, locks: Iterable[MessageLock]) -> None:
        """Remember the next moment one of these rows can change with time alone."""
        options, now = self.services.client.options, self.clock()
        for lock in locks:
            when = next_change(lock, options, now)
            if when is not None and (self._next_restate is None or when < self._next_restate):
                self._next_restate = when

    def apply(self: MainScreen, lock: MessageLock, *, add: bool = False) -> None:
        """A fresh value for one message, on screen at once (row, counts, detail)."""
        if self.put(lock, add=add):
            self.repaint_changes()

    def forget(self: MainScreen, channel: str, ts: str, *, repaint: bool = True) -> None:
        model = self.models.get(channel)
        if model is not None and model.remove(ts) is not None:
            self._changed.setdefault(channel, set()).add(ts)
            if repaint:
                self.repaint_changes()

    def repaint_changes(self: MainScreen) -> None:
        """Show what :meth:`put` stored: counts of the channels that changed, the rows that
        changed (the whole view only when rows came or went), and the detail panel."""
        changed, self._changed = self._changed, {}
        for channel in changed:
            self.update_counts(channel)
        current = changed.get(self.current or "")
        if current:
            self.stream.sync(current)
            self._retitle()
        shown = self.detail.shown
        if shown is not None and shown.ts in changed.get(shown.channel, ()):
            model = self.models.get(shown.channel)
            fresh = model.get(shown.ts) if model is not None else None
            if fresh is not None:
                self.show_detail(fresh)

    def update_counts(self: MainScreen, channel: str) -> None:
        """The channel list's counts from what the console holds: every lock (once ``locks()``
        listed them) and the other states over the loaded messages."""
        model = self.models.get(channel)
        if model is None or model.pages_loaded == 0:
            return
        from slackmq_core import LockState

        states = {s: max(0, model.counts.get(s, 0)) for s in LockState}
        self.channel_list.set_counts(channel, ChannelCounts(
            states, loaded=len(model), complete=model.complete, locks_exact=model.locks_loaded))

    # -- events -------------------------------------------------------------------------------

    def on_channel_event_received(self: MainScreen, message: ChannelEventReceived) -> None:
        event = message.event
        if event.kind == "resync":
            self.flush_events()
            self.follow_watcher()
            name = self.channel_name(event.channel)
            self.watching.add(event.channel)
            if event.reason == "start":
                self.activity(f"#{name}: watching for changes")
            else:
                self.activity(f"#{name}: events may have been missed ({event.reason}): "
                              "reloading", "warning")
            self.load_channel(event.channel, reload=True)
            return
        self._inbox.append(event)
        self._schedule_flush()

    def _schedule_flush(self: MainScreen, delay: float | None = None) -> None:
        if self._flush_scheduled:
            return
        self._flush_scheduled = True
        if delay is None:
            delay = max(0.0, self._last_flush + FLUSH_INTERVAL - time.monotonic())
        if delay <= 0.001:
            self.call_later(self._flush_due)
        else:
            self.set_timer(delay, self._flush_due, name="flush events")

    def _flush_due(self: MainScreen) -> None:
        """The batch timer: flush, unless the operator just pressed a key (its frame first)."""
        self._flush_scheduled = False
        mono = time.monotonic()
        since_input = mono - getattr(self.app, "last_input", 0.0)
        if self._inbox and since_input < INPUT_GRACE \
                and mono - self._last_flush < FLUSH_INTERVAL + INPUT_MAX_DELAY:
            self._schedule_flush(INPUT_GRACE - since_input)
        else:
            self.flush_events()

    def flush_events(self: MainScreen) -> None:
        """Apply every event received since the last batch, then repaint once."""
        self._flush_scheduled = False
        self._last_flush = time.monotonic()
        events, self._inbox = self._inbox, []
        if events:
            self.live_stats["flushes"] += 1
            now = self.clock()
            users = self.users
            for event in events:
                self._apply_event(event, now, users)
            self.repaint_changes()
            self.follow_watcher()
            self.status.set_status(last_update=now)
        self._write_lines()

    def _apply_event(self: MainScreen, event: ChannelEvent, now: float,
                     users: dict[str, Holder], *, replay: bool = False) -> None:
        reply = event.kind.startswith("message") and not event.is_top_level
        target = event.thread_ts if reply else event.ts   # a reply (a claim note?): its parent
        if target is None:
            return
        model = self.models.get(event.channel)
        known = model.get(target) if model is not None else None
        if event.kind == "message" and not reply and known is not None:
            return                      # delivered again (events come at least once)
        if replay:
            if known is not None and event.kind != "message_deleted":
                new = apply_event(known, event, self.services.client.options, now=now,
                                  users=users)
                if new is None:
                    self.mark_dirty(event.channel, target)
                else:
                    self.put(new)
            elif event.kind == "message_deleted" and not reply:
                self.forget(event.channel, target, repaint=False)
            return
        self._event_no += 1
        self._journal.append((self._event_no, event))
        what = f'"{known.text[:32]}"' if known is not None and known.text else target
        if event.kind == "message" and not reply and event.message:
            what = f'"{str(event.message.get("text", ""))[:32]}"'
        self._lines.append(_Line(event, target, what, time.monotonic()))
        if model is None:
            return
        key = (event.channel, target)
        options = self.services.client.options
        if event.event_ts:              # Slack may deliver late (a retried envelope): then the
            stamp = ts_key(event.event_ts)          # event alone would undo newer ones: re-read
            if stamp < self._stamps.get(key, stamp):
                self.mark_dirty(*key)
                return
            self._stamps.pop(key, None)
            self._stamps[key] = stamp              # (re)inserted: the dict runs oldest first
            if len(self._stamps) > 4 * JOURNAL:    # keep the messages touched most recently
                for stale_key in list(self._stamps)[:JOURNAL]:
                    del self._stamps[stale_key]
        if event.kind == "message_deleted" and not reply:
            self.forget(event.channel, target, repaint=False)
            return
        if event.kind == "message" and not reply:
            lock = lock_from_message(event, options, now=now, users=users)
            if lock is None:
                lock = self.new_message(event)
                self.mark_dirty(*key)
            self.put(lock, add=True)
        elif known is not None:         # not loaded: not shown, so not worth a Slack call
            new = apply_event(known, event, options, now=now, users=users)
            if new is None:
                self.mark_dirty(*key)
                return
            self.live_stats["applied"] += 1
            self.put(new)
        else:
            return
        row = self.models[event.channel].get(target)
        if not self.knows(event.user) or (row is not None and not all(h.name for h in row.holders)):
            self.mark_dirty(*key)       # a re-read names them (users.info, cached)

    def new_message(self: MainScreen, event: ChannelEvent) -> MessageLock:
        """A placeholder row for a message the core could not build from its event (re-read)."""
        body: dict[str, Any] = event.message or {}
        user = event.user or body.get("user")
        name = self.name_of(user) if user else ""
        return MessageLock(channel=event.channel, ts=event.ts or "", text=body.get("text", ""),
                           author=Holder(user, "" if name == user else name) if user else None)

    def _write_lines(self: MainScreen) -> None:
        """Write queued activity lines in order; one whose user is not named yet holds the rest
        back for up to NAME_WAIT seconds (while a re-read may name it)."""
        now = time.monotonic()
        while self._lines:
            line = self._lines[0]
            if not self.knows(line.event.user) and now - line.queued < NAME_WAIT \
                    and (self._dirty or self._syncing):
                self._schedule_flush(0.5)
                return
            self._lines.popleft()
            text = describe_event(line.event, self.name_of)
            self.remember(line.event.channel, line.target, text)
            self.activity(f"#{self.channel_name(line.event.channel)} {line.what}: {text}", "event")
            shown = self.detail.shown
            if shown is not None and (shown.channel, shown.ts) == (line.event.channel, line.target):
                self.show_detail(shown)

    def read_mark(self: MainScreen) -> tuple[int, float]:
        """Taken before a Slack read: what :meth:`replay_since` needs afterwards."""
        return self._event_no, self.clock()

    def replay_since(self: MainScreen, mark: tuple[int, float], channel: str,
                     tss: set[str] | None = None) -> None:
        """Apply again, over values just read, the events of ``channel`` (about ``tss``, or
        every message) received while the read was under way, except those Slack stamped
        before it began (the read shows them already). No Slack call."""
        since, started = mark
        if since >= self._event_no:
            return
        now, users = self.clock(), self.users
        for no, event in list(self._journal):
            if no <= since or event.channel != channel:
                continue
            if event.event_ts and float(event.event_ts) < started - 1.0:
                continue
            target = event.thread_ts if event.kind.startswith("message") \
                and not event.is_top_level else event.ts
            if tss is None or target in tss:
                self._apply_event(event, now, users, replay=True)

    # -- time ---------------------------------------------------------------------------------

    def restate_due(self: MainScreen) -> None:
        """Once the clock passes the next moment a row can change by itself (a TTL, a lease),
        restate the rows that can (no Slack call) and repaint those that changed."""
        now = self.clock()
        if self._next_restate is None or now < self._next_restate:
            return
        self._next_restate = None
        options = self.services.client.options
        users = self.users
        for model in self.models.values():
            for ts in list(model.timed):
                lock = model.get(ts)
                if lock is None:
                    continue
                new = restate(lock, options, now, users)
                if new is not lock and self.put(new):
                    self.live_stats["restated"] += 1
                    if new.lease is not None and new.state is not lock.state:
                        self.mark_dirty(model.channel, ts)   # a heartbeat events may not show
                when = next_change(model.get(ts) or lock, options, now)
                if when is not None and when > now and (self._next_restate is None
                                                        or when < self._next_restate):
                    self._next_restate = when
        self.repaint_changes()
