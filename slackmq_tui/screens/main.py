"""MainScreen: channel list, message stream, detail panel, status bar and activity log.

The screen gathers input and shows results; every Slack call happens in a worker defined in
:mod:`.main_data` (loading and live updates) or :mod:`.main_actions` (operator actions), each calling
one core function.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import WorkerState

from slackmq_core import ChannelInfo, Holder, Identity, MessageLock
from slackmq_tui.screens.main_actions import LockActions
from slackmq_tui.screens.main_data import DataWorkers
from slackmq_tui.screens.main_live import LiveUpdates
from slackmq_tui.screens.main_view import ViewControls
from slackmq_tui.widgets.activity_log import ActivityLog
from slackmq_tui.widgets.channel_list import ChannelList
from slackmq_tui.widgets.detail import DetailPanel, EventRecord
from slackmq_tui.widgets.filter_bar import FilterBar
from slackmq_tui.widgets.message_stream import MessageStream
from slackmq_tui.widgets.status_bar import StatusBar
from slackmq_tui.widgets.stream_model import MessageFilter, StreamModel

#: Actions that change Slack state: hidden in read-only mode.
MUTATING = frozenset({"ack", "unack", "done", "force_unack", "clear_stale"})
#: Actions that need a selected message.
ON_MESSAGE = frozenset({"ack", "unack", "done", "force_unack"})
#: Worker groups that run for the whole session (not counted when deciding if the screen is idle).
PERSISTENT_GROUPS = frozenset({"live", "sync"})
BUSY = (WorkerState.PENDING, WorkerState.RUNNING)
#: How many messages keep their recent events for the detail panel.
EVENT_MEMORY = 2000


class MainScreen(LiveUpdates, DataWorkers, LockActions, ViewControls, Screen[None]):
    """The console's one full screen."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]

    BINDINGS = [
        Binding("a", "ack", "Ack"),
        Binding("u", "unack", "Unack"),
        Binding("d", "done", "Done"),
        Binding("F", "force_unack", "Force"),
        Binding("S", "clear_stale", "Stale"),
        Binding("slash", "filter", "Filter"),
        Binding("o", "only_locked", "Locked"),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("left_square_bracket", "channel(-1)", "Prev channel", show=False),
        Binding("right_square_bracket", "channel(1)", "Next channel", show=False),
        Binding("L", "toggle_log", "Log", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, services) -> None:
        super().__init__()
        self.services = services
        self.clock = services.clock
        self.models: dict[str, StreamModel] = {}
        self.infos: dict[str, ChannelInfo] = {}
        self.current: str | None = None
        self.identity: Identity | None = None
        self.user_filter = MessageFilter()
        self.only_locked = False
        self._events: OrderedDict[tuple[str, str], deque[EventRecord]] = OrderedDict()
        self._names: dict[str, str] = {}
        self._holders: dict[str, Holder] = {}
        self._dirty: dict[tuple[str, str], None] = {}
        self._dirty_event = asyncio.Event()
        self._paging: set[str] = set()
        self._syncing = False
        self._watcher = None
        self.watching: set[str] = set()
        """Channels whose live updates have started (the watcher's first resync arrived)."""
        self._init_live()
        self._build_widgets()

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.status
        with Container(id="body"):
            yield self.channel_list
            with Vertical(id="center"):
                yield self.filter_bar
                yield self.stream
            yield self.detail
            yield self.activity_log
        yield Footer(compact=True)

    def _build_widgets(self) -> None:
        """The screen's widgets, made once and kept: workers that finish while the app closes
        still find them (detached widgets ignore updates) instead of failing a query."""
        self.status = StatusBar(clock=self.clock, id="status")
        self.channel_list = ChannelList(id="channels")
        self.channel_list.border_title = "Channels"
        self.filter_bar = FilterBar(id="filter")
        self.filter_bar.display = False
        self.stream = MessageStream(clock=self.clock, id="stream")
        self.stream.border_title = "Messages"
        self.detail = DetailPanel(clock=self.clock, id="detail")
        self.detail.border_title = "Detail"
        self.detail.stale_after = self.services.stale_after
        self.activity_log = ActivityLog(clock=self.clock, id="activity")
        self.activity_log.border_title = "Activity"

    @property
    def selected(self) -> MessageLock | None:
        return self.stream.selected

    def on_mount(self) -> None:
        self.status.set_status(workspace=self.services.workspace,
                               read_only=self.services.read_only)
        self.stream.focus()
        self.set_interval(1.0, self._tick)
        self.start()
        self.sync_dirty()

    async def on_unmount(self) -> None:
        """Stop this screen's workers, then close the watcher (its socket) before the app's
        loop goes away."""
        self.app.workers.cancel_node(self)
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            await watcher.close()

    @property
    def idle(self) -> bool:
        """No Slack call in flight or queued (the live and sync loops themselves excepted)."""
        if self._dirty or self._syncing:
            return False
        return not any(w.group not in PERSISTENT_GROUPS and w.state in BUSY
                       for w in self.app.workers)

    @property
    def ready(self) -> bool:
        """Start-up is over: identity and channels known, the shown channel loaded, live updates
        running for every channel (when there is a watcher), and nothing in flight."""
        if self.identity is None or self.current is None:
            return False
        model = self.models.get(self.current)
        if model is None or model.pages_loaded == 0:
            return False
        if self.services.watcher_factory is not None and not set(self.infos) <= self.watching:
            return False
        return self.idle

    def _tick(self) -> None:
        """Once a second: rows whose TTL or lease ran out are restated, ages move on, the status
        bar follows the watcher."""
        self.restate_due()
        self.stream.refresh_ages()
        self.detail.repaint()
        self.follow_watcher()

    @property
    def watch_status(self):
        """The watcher's WatchStatus, or None without live updates."""
        return self._watcher.status if self._watcher is not None else None

    def follow_watcher(self) -> None:
        """Copy the watcher's status (mode, since, freshness, 429 waits) to the status bar."""
        watcher = self._watcher
        if watcher is not None:
            st = watcher.status
            mode = st.mode
            if mode != "offline" and st.stale:
                mode = "stale"
            self.status.set_status(mode=mode, since=st.since,
                                   rate_limit_waits=self._rate_waits + st.rate_limit_waits,
                                   last_update=max(filter(None, (st.last_event_at,
                                                                 self.status.info.last_update)),
                                                   default=None))
        else:
            self.status.repaint()

    # -- activity & names -------------------------------------------------------------------

    def activity(self, text: str, kind: str = "info") -> None:
        self.activity_log.add(text, kind)

    def remember(self, channel: str, ts: str, text: str) -> None:
        key = (channel, ts)
        records = self._events.pop(key, None) or deque(maxlen=20)
        records.append(EventRecord(self.clock(), text))
        self._events[key] = records
        while len(self._events) > EVENT_MEMORY:
            self._events.popitem(last=False)

    def events_for(self, channel: str, ts: str) -> tuple[EventRecord, ...]:
        return tuple(self._events.get((channel, ts), ()))

    # -- applying data -----------------------------------------------------------------------

    def model_for(self, channel: str) -> StreamModel:
        model = self.models.get(channel)
        if model is None:
            model = self.models[channel] = StreamModel(channel)
            model.set_filter(self.effective_filter())
        return model

    def view_changed(self, channel: str) -> None:
        if channel == self.current:
            self.stream.reload()
            self._retitle()

    def show_detail(self, lock: MessageLock | None) -> None:
        info = self.infos.get(lock.channel) if lock else None
        self.detail.show(lock, info.name if info else "",
                         self.events_for(lock.channel, lock.ts) if lock else ())

    def _retitle(self) -> None:
        model = self.models.get(self.current) if self.current else None
        info = self.infos.get(self.current) if self.current else None
        if model is None or info is None:
            return
        shown = len(self.stream.rows)
        more = "+" if model.wants_more else ""
        title = f"#{info.name} · {shown}{more} shown"
        flt = model.filter
        if flt.active:
            title += f" · filter {flt.describe()}"
        self.stream.border_title = title
        self.stream.border_subtitle = "newest first"

    # -- stream events -----------------------------------------------------------------------

    @on(MessageStream.Highlighted)
    def _highlighted(self, event: MessageStream.Highlighted) -> None:
        had_selection = self.detail.shown is not None
        self.call_after_refresh(self._detail_follows)      # after the cursor's frame
        if had_selection != (event.lock is not None):
            self.refresh_bindings()               # message actions become (un)available
        if event.lock is not None:
            self.complete_selected(event.lock)

    def _detail_follows(self) -> None:
        """The selected row's detail, a frame after the cursor moved (its height may change,
        and a layout of the whole screen would hold back the cursor's frame)."""
        self.show_detail(self.stream.selected)

    @on(MessageStream.NearEnd)
    def _near_end(self, event: MessageStream.NearEnd) -> None:
        model = self.stream.model
        if model is not None and model.wants_more and model.channel not in self._paging:
            self.load_more(model.channel)

    def channel_name(self, channel: str) -> str:
        info = self.infos.get(channel)
        return info.name if info else channel

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MUTATING and self.services.read_only:
            return False
        if action in ON_MESSAGE and self.selected is None:
            return None
        return True
