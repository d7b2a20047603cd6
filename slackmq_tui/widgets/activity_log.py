"""ActivityLog: what happened and what the operator did, newest at the bottom."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import RichLog

from slackmq_tui.widgets._format import clock_time

#: kind -> component class giving its colour
KINDS = ("info", "ok", "warning", "error", "event")


class ActivityLog(RichLog):
    """A bounded, timestamped log. Colours come from component classes in slackmq.tcss."""

    COMPONENT_CLASSES = {f"activity--{k}" for k in KINDS} | {"activity--time"}

    #: The log's box is sized by the screen's grid, never by its lines: a new line needs no
    #: layout of the whole screen (Widget.virtual_size asks for one), only new scrollbar sizes.
    virtual_size = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self, size: Size) -> None:
        self._scroll_update(size)

    def __init__(self, *, clock: Callable[[], float] = time.time, max_lines: int = 500,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(max_lines=max_lines, wrap=False, markup=False, highlight=False,
                         auto_scroll=True, id=id, classes=classes)
        self.clock = clock
        self.entries: list[tuple[str, str]] = []    # (kind, text): for tests and screenshots

    def add(self, text: str, kind: str = "info") -> None:
        if kind not in KINDS:
            kind = "info"
        self.entries.append((kind, text))
        del self.entries[:-self.max_lines]
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(clock_time(self.clock(), self.clock()) + " ",
                    self.get_component_rich_style("activity--time"))
        line.append(" ".join(text.split()), self.get_component_rich_style(f"activity--{kind}"))
        self.write(line)
