"""StatusBar: who the console is, where, whether the view is live, and how fresh it is."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from textual.content import Content
from textual.widgets import Static

from slackmq_tui.widgets._format import clock_time

#: mode -> (glyph, theme colour)
_MODE_STYLE = {
    "live": ("●", "$text-success"),
    "polling": ("◐", "$text-primary"),
    "stale": ("◌", "$text-warning"),
    "offline": ("○", "$text-error"),
    "connecting": ("◌", "$text-muted"),
    "manual": ("◌", "$text-muted"),       # no watcher: refresh by hand
}


@dataclass(frozen=True)
class StatusInfo:
    workspace: str = ""
    identity: str = ""
    read_only: bool = False
    mode: str = "connecting"           # live | polling | stale | offline | connecting | manual
    since: float | None = None         # when the mode began
    last_update: float | None = None   # last time the view was brought up to date
    rate_limit_waits: int = 0          # 429s waited out (by the watcher and by the console)
    busy: str = ""                     # what the console is doing right now ("planning…")


def render_status(info: StatusInfo, now: float, width: int) -> Content:
    glyph, color = _MODE_STYLE.get(info.mode, ("?", "$text-muted"))
    who = Content.from_markup("[b]$ws[/b] · $me", ws=info.workspace or "workspace…",
                              me=info.identity or "…")
    if info.read_only:
        who = who + Content.from_markup(" [reverse $warning] READ-ONLY [/]")
    mode = Content.from_markup(f"[{color}]$glyph $mode[/]", glyph=glyph, mode=info.mode)
    if info.since is not None:
        mode = mode + Content(f" since {clock_time(info.since, now)}")
    parts = [who, mode]
    if info.busy:
        parts.insert(1, Content.from_markup("[b $text-accent]⧗ $busy[/]", busy=info.busy))
    if info.last_update is not None:
        parts.append(Content(f"updated {clock_time(info.last_update, now)}"))
    parts.append(Content.from_markup(
        "[$text-warning]429 waits $n[/]" if info.rate_limit_waits else "[$text-muted]429 waits 0[/]",
        n=str(info.rate_limit_waits)))
    sep = Content.from_markup(" [$text-muted]│[/] ")
    line = sep.join(parts)
    while line.cell_length > width and len(parts) > 2:
        parts.pop()                       # drop the least important fields first
        line = sep.join(parts)
    if line.cell_length > width and info.busy:
        parts = [parts[0].truncate(max(8, width // 3), ellipsis=True), *parts[1:]]
        line = sep.join(parts)
    return line


class StatusBar(Static):
    """One line at the top of the main screen."""

    def __init__(self, *, clock: Callable[[], float] = time.time, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.info = StatusInfo()
        self._shown: tuple | None = None       # the line last drawn: the same one costs no frame

    def set_status(self, **changes) -> None:
        info = replace(self.info, **changes)
        if info.mode != self.info.mode and "since" not in changes:
            info = replace(info, since=self.clock())
        if info != self.info:
            self.info = info
            self.repaint()

    def repaint(self) -> None:
        content = render_status(self.info, self.clock(), max(20, self.size.width - 2))
        key = (content.plain, tuple(content.spans))
        if key != self._shown:
            self._shown = key
            self.update(content, layout=False)    # always one line

    def on_resize(self) -> None:
        self.repaint()
