"""MessageStream: the selected channel's messages, newest first, one line each.

A Line-API widget (like Textual's Log and toolong's LogLines): it renders only the rows on screen,
so a channel with 50,000 loaded messages costs the same to draw as one with 50. Rows come from a
:class:`StreamModel`; the widget keeps the cursor on the same message when rows arrive above it, and
asks for more (``NearEnd``) when the operator scrolls close to the oldest loaded row.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import Reactive, reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from slackmq_core import LockState, MessageLock
from slackmq_tui.widgets._format import (
    STATE_LABEL,
    clock_time,
    fit,
    holders_text,
    lock_age,
    short_age,
    ts_epoch,
)
from slackmq_tui.widgets.stream_model import StreamModel

#: How close (in rows) to the oldest loaded row the cursor or viewport must come to ask for more.
NEAR_END_ROWS = 20


@dataclass(frozen=True)
class _Layout:
    """Column widths for one widget width (0 = column hidden)."""

    time: int
    author: int
    text: int
    state: int
    holders: int
    age: int
    seconds: bool


def layout_for(width: int) -> _Layout:
    """Column widths for a stream ``width`` cells wide: the fixed columns shrink (and the author
    goes) on narrow widths, and the text preview takes all that is left, at least ~40%."""
    if width >= 150:
        fixed = _Layout(8, 16, 0, 7, 24, 5, True)
    elif width >= 110:
        fixed = _Layout(8, 14, 0, 7, 18, 5, True)
    elif width >= 84:
        fixed = _Layout(8, 11, 0, 7, 14, 4, True)
    elif width >= 64:
        fixed = _Layout(5, 10, 0, 7, 12, 4, False)
    else:
        fixed = _Layout(5, 0, 0, 7, 10, 4, False)
    gaps = 7 if fixed.author else 6
    used = fixed.time + fixed.author + fixed.state + fixed.holders + fixed.age + gaps
    return _Layout(fixed.time, fixed.author, max(4, width - used), fixed.state, fixed.holders,
                   fixed.age, fixed.seconds)


class MessageStream(ScrollView, can_focus=True):
    """The message list of one channel (newest first) with a cursor row."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "home", "Newest", show=False),
        Binding("end", "end", "Oldest loaded", show=False),
    ]

    COMPONENT_CLASSES = {
        "stream--header",
        "stream--cursor",
        "stream--cursor-blurred",
        "stream--muted",
        "stream--mine",
        "stream--state-pending",
        "stream--state-locked",
        "stream--state-stale",
        "stream--state-done",
        "stream--state-failed",
    }

    class Highlighted(Message):
        """The cursor moved to another message (``lock`` is None when the list is empty)."""

        def __init__(self, stream: MessageStream, lock: MessageLock | None) -> None:
            super().__init__()
            self.stream = stream
            self.lock = lock

        @property
        def control(self) -> MessageStream:
            return self.stream

    class NearEnd(Message):
        """The operator reached the oldest loaded rows: load another page if there is one."""

        def __init__(self, stream: MessageStream) -> None:
            super().__init__()
            self.stream = stream

        @property
        def control(self) -> MessageStream:
            return self.stream

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MessageStream.NearEnd)

    #: The stream's box is sized by the screen's grid, never by its rows: rows coming or going
    #: need no layout of the whole screen (Widget.virtual_size asks for one), only new scrollbars.
    virtual_size = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self, size: Size) -> None:
        self._scroll_update(size)

    cursor: reactive[int] = reactive(0, always_update=False, repaint=False)
    """Index of the highlighted row in the current view."""

    placeholder: reactive[str] = reactive("Loading…")
    """What to show when the view is empty."""

    def __init__(self, *, clock: Callable[[], float] = time.time, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self.me: str = ""                               # the console's user id: its locks stand out
        self._model: StreamModel | None = None
        self._rows: list[MessageLock] = []
        self._cursor_ts: str | None = None
        self._announced: str | None | bool = False      # ts last sent in Highlighted
        self._painted: dict[str, tuple[str, str]] = {}  # ts -> clock cells last drawn
        self._strips: dict[str, tuple[MessageLock, tuple, Strip]] = {}   # ts -> last row drawn

    # -- data ------------------------------------------------------------------------------

    @property
    def model(self) -> StreamModel | None:
        return self._model

    @property
    def rows(self) -> list[MessageLock]:
        return self._rows

    @property
    def selected(self) -> MessageLock | None:
        if 0 <= self.cursor < len(self._rows):
            return self._rows[self.cursor]
        return None

    def show(self, model: StreamModel | None, *, keep_cursor: bool = False) -> None:
        """Display another model: a channel switch (cursor back to the newest row) or a reload of
        the same channel (``keep_cursor``: stay on the same message when it is still there)."""
        self._model = model
        if not keep_cursor:
            self._cursor_ts = None
            self.scroll_to(y=0, animate=False, immediate=True)
        self.reload(keep_position=keep_cursor)

    def reload(self, *, keep_position: bool = True) -> None:
        """Re-read the model's view after it changed; keep the cursor on the same message and, when
        scrolled, keep the first visible message where it was."""
        old_rows = self._rows
        top_ts = None
        if keep_position and self.scroll_y > 0 and old_rows:
            top = min(int(self.scroll_y), len(old_rows) - 1)
            top_ts = old_rows[top].ts
        self._rows = self._model.view() if self._model is not None else []
        if len(self._painted) > 4 * max(100, len(self._rows)):
            self._painted.clear()
            self._strips.clear()
        index = {lock.ts: i for i, lock in enumerate(self._rows)} if (top_ts or self._cursor_ts) \
            else {}
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows) + 1)
        if top_ts is not None and top_ts in index:
            self.scroll_to(y=index[top_ts], animate=False, immediate=True)
        new_cursor = index.get(self._cursor_ts, None) if self._cursor_ts else None
        if new_cursor is None:
            new_cursor = min(self.cursor, max(0, len(self._rows) - 1)) if keep_position else 0
        self.set_reactive(MessageStream.cursor, new_cursor)
        self._cursor_ts = self.selected.ts if self.selected else None
        self._announce()
        self._check_near_end()
        self.refresh()

    def sync(self, changed) -> None:
        """The model changed: re-read its view when rows came, went or moved; otherwise (rows
        patched in place) repaint only the ``changed`` ts that are on screen."""
        if self._model is not None and self._model.view() is not self._rows:
            self.reload()
        else:
            self.repaint_rows(changed)

    def repaint_rows(self, tss) -> None:
        """Rows changed in place (same order, same set: the model patched its view): repaint only
        those lines that are on screen."""
        model = self._model
        if model is None:
            return
        top = int(self.scroll_y)
        height = self.scrollable_content_region.height
        width = self.size.width
        for ts in tss:
            i = model.position(ts)
            if i is not None and top <= i < top + height - 1:
                self.refresh(Region(0, i - top + 1, width, 1))

    def select_ts(self, ts: str) -> bool:
        for i, lock in enumerate(self._rows):
            if lock.ts == ts:
                self.cursor = i
                return True
        return False

    # -- cursor ----------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._rows) - 1)) if self._rows else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._cursor_ts = self.selected.ts if self.selected else None
        top = int(self.scroll_y)
        self._scroll_cursor_into_view()
        if int(self.scroll_y) != top:
            self.refresh()
        else:                                   # only the two lines the cursor left and reached
            for row in (old, new):
                self.refresh(Region(0, row - top + 1, self.size.width, 1))
        self._announce()
        self._check_near_end()

    def _announce(self) -> None:
        ts = self._cursor_ts
        if ts != self._announced:
            self._announced = ts
            self.post_message(self.Highlighted(self, self.selected))

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height - 1     # minus the header
        if height <= 0:
            return
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _check_near_end(self) -> None:
        if self._model is None or not self._model.wants_more:
            return
        height = max(1, self.scrollable_content_region.height)
        last_visible = int(self.scroll_y) + height
        if max(self.cursor, last_visible) >= len(self._rows) - NEAR_END_ROWS:
            self.post_message(self.NearEnd(self))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._check_near_end()

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        step = max(1, self.scrollable_content_region.height - 2)
        self.cursor += direction * step

    def action_home(self) -> None:
        self.cursor = 0

    def action_end(self) -> None:
        self.cursor = len(self._rows) - 1

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        row = int(self.scroll_y) + offset.y - 1
        if 0 <= row < len(self._rows):
            self.cursor = row

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows) + 1)
        self._scroll_cursor_into_view()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def watch_placeholder(self) -> None:
        self.refresh()

    # -- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._header(width, base + self.get_component_rich_style("stream--header"))
        row = int(self.scroll_y) + y - 1
        if row >= len(self._rows):
            if not self._rows and y == 2:
                muted = base + self.get_component_rich_style("stream--muted")
                return Strip([Segment(fit("  " + self.placeholder, width), muted)], width)
            return Strip.blank(width, base)
        lock = self._rows[row]
        style = base
        if row == self.cursor:
            name = "stream--cursor" if self.has_focus else "stream--cursor-blurred"
            style = base + self.get_component_rich_style(name)
        return self._row(lock, width, style)

    def _header(self, width: int, style: Style) -> Strip:
        lay = layout_for(width)
        cells = [("Time", lay.time), ("Author", lay.author), ("Message", lay.text),
                 ("State", lay.state), ("Holder", lay.holders), ("Age".rjust(lay.age), lay.age)]
        text = " ".join(fit(title, w) for title, w in cells if w)
        return Strip([Segment(fit(" " + text, width), style)], width)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._styles: dict[str, Style] = {}       # component colours, resolved once per frame
        return super().render_lines(crop)

    def _fg(self, name: str, *, color: bool = True) -> Style:
        """A component's colour and text style, without its background (so the cursor row keeps
        its own), with alpha colours such as $text-muted already blended for this theme."""
        styles = getattr(self, "_styles", None)
        if styles is None:
            styles = self._styles = {}
        style = styles.get(name)
        if style is None:
            full = self.get_component_rich_style(name)
            style = styles[name] = Style(color=full.color if color else None, bold=full.bold,
                                         italic=full.italic, underline=full.underline)
        return style

    def notify_style_update(self) -> None:
        self._strips.clear()                      # a theme or CSS change: colours changed
        super().notify_style_update()

    def _row(self, lock: MessageLock, width: int, style: Style) -> Strip:
        """One row's line, reused while its value, width, style and clock cells are the same."""
        lay = layout_for(width)
        cells = self._clock_cells(lock, self.clock(), lay.seconds)
        self._painted[lock.ts] = cells
        key = (width, style, cells, self.me, self.app.theme)
        cached = self._strips.get(lock.ts)
        if cached is not None and cached[0] is lock and cached[1] == key:
            return cached[2]
        strip = self._render_row(lock, width, style, lay, cells)
        self._strips[lock.ts] = (lock, key, strip)
        return strip

    def _render_row(self, lock: MessageLock, width: int, style: Style, lay: _Layout,
                    cells: tuple[str, str]) -> Strip:
        muted = style + self._fg("stream--muted")
        state_style = style + self._fg(f"stream--state-{lock.state.value}")
        holder_style = state_style
        if self.me and any(h.user_id == self.me for h in lock.holders):
            holder_style = state_style + self._fg("stream--mine", color=False)
        author = lock.author.label if lock.author else ""
        posted, age = cells
        age_style = state_style if lock.state in (LockState.LOCKED, LockState.STALE) else muted
        segments = [
            Segment(" ", style),
            Segment(fit(posted, lay.time), muted),
            *([Segment(" ", style), Segment(fit(author, lay.author), style)] if lay.author
              else []),
            Segment(" ", style),
            Segment(fit(lock.text, lay.text), style),
            Segment(" ", style),
            Segment(fit(STATE_LABEL[lock.state], lay.state), state_style),
            Segment(" ", style),
            Segment(fit(holders_text(lock), lay.holders), holder_style),
            Segment(" ", style),
            Segment(fit(age.rjust(lay.age), lay.age), age_style),
        ]
        strip = Strip(segments)
        return strip.crop_extend(0, width, style)

    def _clock_cells(self, lock: MessageLock, now: float, seconds: bool) -> tuple[str, str]:
        """The two cells that change with the clock alone: posted time and age."""
        return (clock_time(ts_epoch(lock.ts), now, seconds=seconds),
                short_age(lock_age(lock, now)))

    def refresh_ages(self) -> None:
        """For the clock's sake: repaint the lines on screen whose time or age text changed."""
        if not self._rows:
            return
        now = self.clock()
        seconds = layout_for(self.scrollable_content_region.width).seconds
        top = int(self.scroll_y)
        width = self.size.width
        for y in range(1, self.scrollable_content_region.height):
            row = top + y - 1
            if row >= len(self._rows):
                break
            lock = self._rows[row]
            if self._painted.get(lock.ts) != self._clock_cells(lock, now, seconds):
                self.refresh(Region(0, y, width, 1))
