"""The main screen's data workers: first load, paging, locks, the selected message, re-reads after
actions (live events: :mod:`.main_live`).

Each concern runs in its own exclusive worker group (per channel where channels are independent),
so repeated keys or bursts of events cancel or coalesce instead of piling up. Every Slack call is
one core call, awaited inside a worker; errors go through ``App.report_error``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

from textual import work

from slackmq_core import (
    MessageLock,
    MessageNotFound,
    RateLimited,
    SlackMQError,
    TransportError,
)
from slackmq_tui.messages import ChannelEventReceived
from slackmq_tui.widgets.stream_model import StreamModel

if TYPE_CHECKING:
    from slackmq_tui.screens.main import MainScreen

log = logging.getLogger("slackmq.tui")
T = TypeVar("T")

#: Wait this long after the cursor stops before re-reading the selected message.
DETAIL_DEBOUNCE = 0.15
#: Seconds between two batched re-reads (each costs at most one pins.list).
REREAD_INTERVAL = 3.0
#: Messages re-read per batch (each not pinned costs one reactions.get, Tier 3).
REREAD_BATCH = 8
#: A re-read may reuse the client's pins.list answer while it is at most this old.
PINS_MAX_AGE = 5.0


class DataWorkers:
    """Mixin for MainScreen: loading and live updates."""

    _rate_waits = 0

    async def call(self: MainScreen, doing: str, awaitable: Awaitable[T], *,
                   quiet: bool = False) -> T | None:
        """Await one core call; on a SlackMQError show it (toast unless ``quiet``) and return
        None. Anything else is a bug and crashes loudly."""
        try:
            result = await awaitable
        except SlackMQError as exc:
            if isinstance(exc, RateLimited):
                self._rate_waits += 1
            if isinstance(exc, TransportError) and self._watcher is None:
                self.status.set_status(mode="offline")
            if quiet:
                log.warning("%s failed: %s", doing, exc)
                self.activity(f"{doing} failed: {exc.advice or exc}", "warning")
            else:
                self.app.report_error(exc, doing)
            return None
        if self._watcher is None and self.status.info.mode in ("offline", "connecting"):
            self.status.set_status(mode="manual")
        return result

    # -- start-up ---------------------------------------------------------------------------

    @work(exclusive=True, group="start")
    async def start(self: MainScreen) -> None:
        """Who am I, which channels, then the first page of the first channel, then live."""
        client = self.services.client
        names = list(dict.fromkeys(self.services.channels))
        results = await asyncio.gather(client.whoami(),
                                       *(client.resolve_channel(c) for c in names),
                                       return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, SlackMQError):
                raise result
        identity, infos = results[0], results[1:]
        if isinstance(identity, SlackMQError):
            self.app.report_error(identity, "auth.test")
            self.status.set_status(mode="offline")
        else:
            self.identity = identity
            self.stream.me = identity.user_id
            self.app.set_actor(f"{identity.name} ({identity.user_id})")
            self.status.set_status(workspace=self.services.workspace or identity.team,
                                   identity=f"@{identity.name}")
        for name, info in zip(names, infos, strict=True):
            if isinstance(info, SlackMQError):
                self.app.report_error(info, f"channel {name}")
            else:
                self.infos[info.id] = info
        self.channel_list.set_channels(list(self.infos.values()))
        if not self.infos:
            self.stream.placeholder = "No channel to show: check the profile's channels."
            return
        self.switch_to(next(iter(self.infos)))
        for channel in list(self.infos)[1:]:
            self.load_channel(channel)            # its first page and its locks: the counts
        if self.services.watcher_factory is not None:
            self.live()
        else:
            self.status.set_status(mode="manual")

    # -- loading -----------------------------------------------------------------------------

    def load_channel(self: MainScreen, channel: str, *, reload: bool = False) -> None:
        self.run_worker(self._load_channel(channel, reload), group=f"load:{channel}",
                        exclusive=True, name=f"load {channel}")

    async def _load_channel(self: MainScreen, channel: str, reload: bool) -> None:
        client = self.services.client
        name = self.channel_name(channel)
        since = self.read_mark()
        page = await self.call(f"load #{name}", client.history(
            channel, limit=self.services.page_size))
        if page is None:
            if channel == self.current and not self.stream.rows:
                self.stream.placeholder = "Could not load this channel (see the activity log)."
            return
        model = StreamModel(channel)
        model.set_filter(self.effective_filter())
        model.add_page(page.messages, page.next_cursor)
        for lock in page.messages:
            self._learn_names(lock)
        self.note_times(page.messages)
        self.models[channel] = model
        self.replay_since(since, channel)       # events that came while history was read
        self._changed.pop(channel, None)
        if channel == self.current:
            self.stream.placeholder = "No messages in this channel."
            self.stream.show(model, keep_cursor=True)
            self._retitle()
        self.status.set_status(last_update=self.clock())
        self.update_counts(channel)
        self.load_locks(channel)          # every lock of the channel (one pins.list): the counts

    def load_more(self: MainScreen, channel: str) -> None:
        self._paging.add(channel)
        self.run_worker(self._load_more(channel), group=f"page:{channel}", exclusive=True,
                        name=f"page {channel}")

    async def _load_more(self: MainScreen, channel: str) -> None:
        try:
            model = self.models.get(channel)
            if model is None or model.next_cursor is None:
                return
            page = await self.call(f"load older messages of #{self.channel_name(channel)}",
                                   self.services.client.history(
                                       channel, limit=self.services.page_size,
                                       cursor=model.next_cursor))
            if page is not None and self.models.get(channel) is model:
                model.add_page(page.messages, page.next_cursor)
                for lock in page.messages:
                    self._learn_names(lock)
                self.note_times(page.messages)
                self.view_changed(channel)
                self.update_counts(channel)
        finally:
            self._paging.discard(channel)

    def load_locks(self: MainScreen, channel: str) -> None:
        self.run_worker(self._load_locks(channel), group=f"locks:{channel}", exclusive=True,
                        name=f"locks {channel}")

    async def _load_locks(self: MainScreen, channel: str) -> None:
        since = self.read_mark()
        locks = await self.call(f"list locks of #{self.channel_name(channel)}",
                                self.services.client.locks(channel))
        model = self.models.get(channel)
        if locks is None or model is None:
            return
        for lock in locks:
            self._learn_names(lock)
        self.note_times(locks)
        for ts in model.replace_locks(locks):
            self.mark_dirty(channel, ts)
        self.replay_since(since, channel)       # events that came while pins.list was read
        self._changed.pop(channel, None)
        self.view_changed(channel)
        self.update_counts(channel)

    def complete_selected(self: MainScreen, lock: MessageLock) -> None:
        """Re-read the selected row only when it lacks something events cannot give: its claim
        notes (a history row with a thread) or a holder's name. Other rows cost nothing."""
        if lock.facts is not None and lock.facts.notes is not None \
                and all(h.name for h in lock.holders):
            self.workers.cancel_group(self, "detail")
            return
        self.inspect_selected(lock.channel, lock.ts)

    @work(exclusive=True, group="detail")
    async def inspect_selected(self: MainScreen, channel: str, ts: str) -> None:
        await asyncio.sleep(DETAIL_DEBOUNCE)      # holding an arrow key costs no Slack calls
        await self.reread_many(channel, [ts])

    async def reread(self: MainScreen, channel: str, ts: str) -> MessageLock | None:
        """Inspect one message and apply it (a deleted one leaves the stream)."""
        since = self.read_mark()
        try:
            lock = await self.services.client.inspect(channel, ts)
        except MessageNotFound:
            self.forget(channel, ts)
            return None
        except SlackMQError as exc:
            log.warning("inspect %s %s failed: %s", channel, ts, exc)
            self.activity(f"could not read {ts}: {exc.advice or exc}", "warning")
            return None
        self.put(lock)
        self.replay_since(since, channel, {ts})
        self.repaint_changes()
        return lock

    # -- re-reads -----------------------------------------------------------------------------

    def mark_dirty(self: MainScreen, channel: str, ts: str) -> None:
        self._dirty[(channel, ts)] = None
        self._dirty_event.set()

    @work(exclusive=True, group="live")
    async def live(self: MainScreen) -> None:
        """Feed watcher events to the screen until the app ends."""
        watcher = self.services.watcher_factory(list(self.infos))
        self._watcher = watcher
        try:
            async with watcher:
                async for event in watcher:
                    self.post_message(ChannelEventReceived(event))
        except SlackMQError as exc:
            self.app.report_error(exc, "live updates")

    @work(exclusive=True, group="sync")
    async def sync_dirty(self: MainScreen) -> None:
        """Re-read the messages events could not settle: a batch per channel through
        ``inspect_many``, at most every REREAD_INTERVAL seconds."""
        while True:
            await self._dirty_event.wait()
            wait = self._last_reread + REREAD_INTERVAL - time.monotonic()
            await asyncio.sleep(max(0.05, wait))
            self._dirty_event.clear()
            self._syncing = True
            try:
                self._last_reread = time.monotonic()
                batches: dict[str, list[str]] = {}
                for channel, ts in list(self._dirty)[:REREAD_BATCH]:
                    del self._dirty[(channel, ts)]
                    if channel in self.models:
                        batches.setdefault(channel, []).append(ts)
                for channel, tss in batches.items():
                    await self.reread_many(channel, tss)
            finally:
                self._syncing = False
            self.flush_events()            # lines waiting for a name
            if self._dirty:
                self._dirty_event.set()

    async def reread_many(self: MainScreen, channel: str, tss: list[str], *,
                          max_age: float = PINS_MAX_AGE) -> None:
        """Read several messages of one channel at once and show them, with the events that
        arrived while the read was under way applied on top (Slack may have answered before)."""
        since = self.read_mark()
        got = await self.call(f"read {len(tss)} message(s) of #{self.channel_name(channel)}",
                              self.services.client.inspect_many(channel, tss, max_age=max_age),
                              quiet=True)
        if got is None:
            return
        self.live_stats["reread"] += len(tss)
        for ts in tss:
            if ts in got:
                self.put(got[ts])
            else:
                self.forget(channel, ts, repaint=False)
        self.replay_since(since, channel, set(tss))
        self.repaint_changes()
        self.status.set_status(last_update=self.clock())
