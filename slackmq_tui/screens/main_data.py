"""The main screen's data workers: first load, paging, locks, detail, live events, re-reads.

Each concern runs in its own exclusive worker group (per channel where channels are independent),
so repeated keys or bursts of events cancel or coalesce instead of piling up. Every Slack call is
one core call, awaited inside a worker; errors go through ``App.report_error``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work

from slackmq_core import (
    Holder,
    MessageLock,
    MessageNotFound,
    RateLimited,
    SlackMQError,
    TransportError,
)
from slackmq_tui.messages import ChannelEventReceived
from slackmq_tui.widgets.stream_model import StreamModel

if TYPE_CHECKING:
    from slackmq_core.watch import ChannelEvent
    from slackmq_tui.screens.main import MainScreen

log = logging.getLogger("slackmq.tui")
T = TypeVar("T")

#: Wait this long after the cursor stops before re-reading the selected message.
DETAIL_DEBOUNCE = 0.15
#: After an event marks a message changed, wait this long for the rest of its burst (an acquire
#: is a pin, a reaction and maybe a claim note): one re-read then covers them all.
COALESCE = 0.06
#: Re-reads in flight at once (each is one or two Slack calls).
REREAD_CONCURRENCY = 4


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
            self.load_summary(channel)
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
        page = await self.call(f"load #{name}", client.history(
            channel, limit=self.services.page_size))
        if page is None:
            if channel == self.current and not self.stream.rows:
                self.stream.placeholder = "Could not load this channel (see the activity log)."
            return
        old = self.models.get(channel)
        model = StreamModel(channel)
        model.set_filter(self.effective_filter())
        model.add_page(page.messages, page.next_cursor)
        for lock in page.messages:
            self._learn_names(lock)
        self.models[channel] = model
        if channel == self.current:
            self.stream.placeholder = "No messages in this channel."
            self.stream.show(model, keep_cursor=True)
            self._retitle()
        self.status.set_status(last_update=self.clock())
        if model.filter.held_only or (old is not None and old.locks_loaded):
            self.load_locks(channel)
        self.load_summary(channel)

    def load_summary(self: MainScreen, channel: str) -> None:
        self.run_worker(self._load_summary(channel), group=f"summary:{channel}",
                        exclusive=True, name=f"summary {channel}")

    async def _load_summary(self: MainScreen, channel: str) -> None:
        summary = await self.call(f"count #{self.channel_name(channel)}",
                                  self.services.client.summary(channel), quiet=True)
        if summary is not None:
            self.channel_list.set_counts(channel, summary.counts)

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
                self.view_changed(channel)
        finally:
            self._paging.discard(channel)

    def load_locks(self: MainScreen, channel: str) -> None:
        self.run_worker(self._load_locks(channel), group=f"locks:{channel}", exclusive=True,
                        name=f"locks {channel}")

    async def _load_locks(self: MainScreen, channel: str) -> None:
        locks = await self.call(f"list locks of #{self.channel_name(channel)}",
                                self.services.client.locks(channel))
        model = self.models.get(channel)
        if locks is None or model is None:
            return
        for ts in model.replace_locks(locks):
            self.mark_dirty(channel, ts)
        self.view_changed(channel)

    @work(exclusive=True, group="detail")
    async def inspect_selected(self: MainScreen, channel: str, ts: str) -> None:
        await asyncio.sleep(DETAIL_DEBOUNCE)      # holding an arrow key costs no Slack calls
        await self.reread(channel, ts)

    async def reread(self: MainScreen, channel: str, ts: str) -> MessageLock | None:
        """Inspect one message and apply it (a deleted one leaves the stream)."""
        try:
            lock = await self.services.client.inspect(channel, ts)
        except MessageNotFound:
            self.forget(channel, ts)
            return None
        except SlackMQError as exc:
            log.warning("inspect %s %s failed: %s", channel, ts, exc)
            self.activity(f"could not read {ts}: {exc.advice or exc}", "warning")
            return None
        self.apply(lock)
        return lock

    # -- live --------------------------------------------------------------------------------

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

    def mark_dirty(self: MainScreen, channel: str, ts: str) -> None:
        self._dirty[(channel, ts)] = None
        self._dirty_event.set()

    @work(exclusive=True, group="sync")
    async def sync_dirty(self: MainScreen) -> None:
        """Re-read messages that events said changed, a few at a time, coalescing repeats (a
        message marked again while it is being read is read once more afterwards)."""
        while True:
            await self._dirty_event.wait()
            await asyncio.sleep(COALESCE)
            self._dirty_event.clear()
            self._syncing = True
            try:
                while self._dirty:
                    batch = list(self._dirty)[:REREAD_CONCURRENCY]
                    for key in batch:
                        del self._dirty[key]
                    await asyncio.gather(*(self.reread(ch, ts) for ch, ts in batch
                                           if ch in self.models))
            finally:
                self._syncing = False
            self.status.set_status(last_update=self.clock())

    def new_message(self: MainScreen, event: ChannelEvent) -> MessageLock:
        """A row for a message just posted (no marks yet); re-read later when its author's name
        is not known."""
        body: dict[str, Any] = event.message or {}
        user = event.user or body.get("user")
        name = self._names.get(user or "", "")
        if not name and user:
            self.mark_dirty(event.channel, event.ts or "")
        return MessageLock(channel=event.channel, ts=event.ts or "", text=body.get("text", ""),
                           author=Holder(user, name) if user else None)
