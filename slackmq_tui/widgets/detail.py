"""DetailPanel: everything known about the selected message: each mark, its lease, its history."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from slackmq_core import Holder, LockState, Mark, MessageLock, Primitive
from slackmq_tui.widgets._format import STATE_COLOR, clock_time, long_age, ts_epoch


@dataclass(frozen=True)
class EventRecord:
    """One thing that happened to a message, as the console saw it."""

    at: float
    text: str


def _who(holder: Holder | None) -> Content:
    if holder is None:
        return Content.from_markup("[$text-muted]someone Slack does not name[/]")
    kind = "bot" if holder.is_bot else "human"
    return Content.from_markup("[b]$name[/b] [$text-muted]($kind)[/]",
                               name=holder.name or holder.user_id, kind=kind)


def _mark_line(mark: Mark, now: float, finished: bool = False) -> Content:
    """Two lines: what and who; then the holder's id and since when (and why a mark holds nothing)."""
    label = mark.primitive.value
    if mark.primitive is Primitive.REACTION and mark.name:
        label = f":{mark.name}:"
    elif mark.primitive is Primitive.CLAIM:
        label = "claim note"
    if mark.since is not None:
        since = f"since {clock_time(mark.since, now)}, {long_age(mark.age(now))}"
    else:
        since = "no timestamp from Slack"
    who_id = f"{mark.holder.user_id} · " if mark.holder is not None else ""
    if mark.leftover and finished:    # complete / fail leave it: who did the job, holding nothing
        since = "kept as the record of who finished it"
    elif mark.leftover:               # a released holder's reaction only its own bot could remove
        since += " · left from a released lock, holds nothing"
    return Content.assemble(
        "  ", Content.from_markup("[$text-accent]$label[/]", label=f"{label:<11}"),
        _who(mark.holder), "\n",
        Content.from_markup("[$text-muted]$rest[/]", rest="    " + who_id + since))


def render_detail(lock: MessageLock, channel_name: str, events: Sequence[EventRecord],
                  now: float, stale_after: float | None) -> Content:
    """The panel's text for one message."""
    lines: list[Content] = []
    posted = ts_epoch(lock.ts)
    author = lock.author.label if lock.author else "unknown"
    lines.append(Content.from_markup("[b]#$channel[/b] [$text-muted]·[/] $ts",
                                     channel=channel_name, ts=lock.ts))
    lines.append(Content.from_markup(
        "[$text-muted]by[/] $author [$text-muted]· $posted ($age ago)[/]",
        author=author, posted=clock_time(posted, now),
        age=long_age(None if posted is None else now - posted)))
    text = " ".join(lock.text.split())
    lines.append(Content(text[:300] + ("…" if len(text) > 300 else "")))
    state = Content.from_markup(f"[b {STATE_COLOR[lock.state]}]$state[/]",
                                state=lock.state.value.upper())
    if lock.state in (LockState.LOCKED, LockState.STALE) and lock.locked_since is not None:
        held = f" for {long_age(now - lock.locked_since)}"
        if stale_after:
            held += f" (stale after {long_age(stale_after)} without a live lease)"
        state = state + Content(held)
    lines.append(Content.assemble("State: ", state))
    if lock.failed_reason:
        lines.append(Content.from_markup("[$text-error]Failed:[/] $why", why=lock.failed_reason))
    if lock.marks:
        lines.append(Content.from_markup("[b]Marks[/b]"))
        finished = lock.state in (LockState.DONE, LockState.FAILED)
        lines.extend(_mark_line(m, now, finished) for m in lock.marks)
    else:
        lines.append(Content.from_markup("[$text-muted]No lock marks.[/]"))
    lease = lock.lease
    if lease is not None:
        if lease.alive(now):
            left = f"expires in {long_age(lease.expires_at - now)}"
        else:
            left = f"[$text-warning]expired {long_age(now - lease.expires_at)} ago[/]"
        lines.append(Content.from_markup(
            "[b]Claim note[/b] worker $wid on [b]$host[/b] pid $pid\n  lease until $until, "
            + left, wid=lease.worker_id, host=lease.host, pid=str(lease.pid),
            until=clock_time(lease.expires_at, now)))
    if events:
        lines.append(Content.from_markup("[b]Last events[/b]"))
        for rec in list(events)[-8:][::-1]:
            lines.append(Content.from_markup("  [$text-muted]$at[/] $text",
                                             at=clock_time(rec.at, now), text=rec.text))
    return Content("\n").join(lines)


class DetailPanel(VerticalScroll, can_focus=False):
    """Shows the selected message. The screen calls :meth:`show` with fresh values."""

    def __init__(self, *, clock: Callable[[], float] = time.time, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.clock = clock
        self.stale_after: float | None = None
        self._args: tuple[MessageLock, str, Sequence[EventRecord]] | None = None
        self._shown_key: tuple | None = None
        self._shown_height = -1

    def compose(self):
        yield Static(Content.from_markup("[$text-muted]No message selected.[/]"),
                     id="detail-body")

    @property
    def shown(self) -> MessageLock | None:
        """The message on display."""
        return self._args[0] if self._args else None

    def show(self, lock: MessageLock | None, channel_name: str = "",
             events: Sequence[EventRecord] = ()) -> None:
        self._args = (lock, channel_name, tuple(events)) if lock is not None else None
        self.border_subtitle = ""
        self.repaint()

    def repaint(self) -> None:
        """Render again (ages move on); costs a layout only when the text's height changed."""
        if self._args is None:
            content = Content.from_markup("[$text-muted]No message selected.[/]")
        else:
            lock, channel_name, events = self._args
            content = render_detail(lock, channel_name, events, self.clock(), self.stale_after)
        key = (content.plain, tuple(content.spans))
        if key == self._shown_key:
            return
        body = self.query_one("#detail-body", Static)
        width = body.content_region.width or self.content_region.width
        height = content.get_height(body.styles, width) if width > 0 else -1
        body.update(content, layout=height != self._shown_height or height < 0)
        self._shown_key, self._shown_height = key, height
