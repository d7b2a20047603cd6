"""ChannelList: the watched channels, each with its message counts by lock state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from slackmq_core import ChannelInfo, LockState
from slackmq_tui.widgets._format import STATE_COLOR, STATE_LETTER


@dataclass(frozen=True)
class ChannelCounts:
    """What the channel list shows for one channel.

    ``states``: messages by state. LOCKED and STALE are exact for the whole channel when
    ``locks_exact`` (every lock was listed: pins.list); PENDING, DONE and FAILED count only the
    ``loaded`` messages, which is the whole channel only when ``complete``.
    """

    states: Mapping[LockState, int]
    loaded: int = 0
    complete: bool = False
    locks_exact: bool = True

    def get(self, state: LockState, default: int = 0) -> int:
        return self.states.get(state, default)


def _short(n: int) -> str:
    return str(n) if n < 1000 else (f"{n / 1000:.1f}k" if n < 10_000 else f"{n // 1000}k")


def _cells(counts: Mapping[LockState, int], states: tuple[LockState, ...]) -> list[Content]:
    parts = []
    for state in states:
        n = counts.get(state, 0)
        color = STATE_COLOR[state] if n else "$text-muted"
        parts.append(Content.from_markup(f"[{color}]$letter$n[/]", letter=STATE_LETTER[state],
                                         n=_short(n)))
    return parts


HELD = (LockState.LOCKED, LockState.STALE)
OTHERS = (LockState.PENDING, LockState.DONE, LockState.FAILED)


def channel_prompt(info: ChannelInfo, counts: ChannelCounts | None) -> Content:
    """Three lines: "#name", the locks ("L3 S1", every lock of the channel) and the rest over the
    loaded messages ("P12 D40 F2 of 100": say so while older messages are not loaded)."""
    name = Content.from_markup("[b]#$name[/b]", name=info.name or info.id)
    if counts is None:
        return Content("\n").join([name, Content.from_markup("[$text-muted]counting…[/]")])
    held = Content(" ").join(_cells(counts.states, HELD))
    if not counts.locks_exact:
        held = held + Content.from_markup("[$text-muted] so far[/]")
    rest = Content(" ").join(_cells(counts.states, OTHERS))
    if not counts.complete:
        rest = rest + Content.from_markup("[$text-muted] of $n[/]", n=_short(counts.loaded))
    return Content("\n").join([name, held, rest])


class ChannelList(OptionList):
    """The channels being watched. Moving the highlight switches the stream to that channel."""

    class ChannelChosen(Message):
        """The operator moved to another channel (``focus_stream`` after Enter)."""

        def __init__(self, channel_id: str, focus_stream: bool = False) -> None:
            super().__init__()
            self.channel_id = channel_id
            self.focus_stream = focus_stream

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._infos: dict[str, ChannelInfo] = {}
        self._counts: dict[str, ChannelCounts | None] = {}

    def set_channels(self, channels: Sequence[ChannelInfo]) -> None:
        self._infos = {c.id: c for c in channels}
        self.set_options(Option(channel_prompt(c, self._counts.get(c.id)), id=c.id)
                         for c in channels)
        if channels and self.highlighted is None:
            self.highlighted = 0

    @property
    def channel_ids(self) -> list[str]:
        return list(self._infos)

    def counts(self, channel_id: str) -> ChannelCounts | None:
        return self._counts.get(channel_id)

    def set_counts(self, channel_id: str, counts: ChannelCounts | None) -> None:
        """Show a channel's counts (repaints its entry only when they changed)."""
        if channel_id in self._counts and self._counts[channel_id] == counts:
            return
        self._counts[channel_id] = counts
        info = self._infos.get(channel_id)
        if info is not None:
            self.replace_option_prompt(channel_id, channel_prompt(info, counts))

    def select_id(self, channel_id: str) -> None:
        if channel_id in self._infos:
            self.highlighted = self.get_option_index(channel_id)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.ChannelChosen(event.option.id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.ChannelChosen(event.option.id, focus_stream=True))
