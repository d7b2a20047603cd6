"""ChannelList: the watched channels, each with its message counts by lock state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from slackmq_core import ChannelInfo, LockState
from slackmq_tui.widgets._format import STATE_COLOR, STATE_LETTER


def channel_prompt(info: ChannelInfo, counts: Mapping[LockState, int] | None) -> Content:
    """Two lines: "#name" and "P12 L3 S1 D40 F2" (each letter in its state's colour)."""
    name = Content.from_markup("[b]#$name[/b]", name=info.name or info.id)
    if counts is None:
        line = Content.from_markup("[$text-muted]counting…[/]")
    else:
        parts = []
        for state in LockState:
            n = counts.get(state, 0)
            color = STATE_COLOR[state] if n else "$text-muted"
            parts.append(Content.from_markup(f"[{color}]$letter$n[/]",
                                             letter=STATE_LETTER[state], n=str(n)))
        line = Content(" ").join(parts)
    return Content("\n").join([name, line])


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
        self._counts: dict[str, dict[LockState, int] | None] = {}

    def set_channels(self, channels: Sequence[ChannelInfo]) -> None:
        self._infos = {c.id: c for c in channels}
        self.set_options(Option(channel_prompt(c, self._counts.get(c.id)), id=c.id)
                         for c in channels)
        if channels and self.highlighted is None:
            self.highlighted = 0

    @property
    def channel_ids(self) -> list[str]:
        return list(self._infos)

    def counts(self, channel_id: str) -> dict[LockState, int] | None:
        return self._counts.get(channel_id)

    def set_counts(self, channel_id: str, counts: Mapping[LockState, int] | None) -> None:
        self._counts[channel_id] = None if counts is None else dict(counts)
        info = self._infos.get(channel_id)
        if info is not None:
            self.replace_option_prompt(channel_id, channel_prompt(info, counts))

    def shift_count(self, channel_id: str, old: LockState | None, new: LockState | None) -> None:
        """A message of the channel changed state (old None: it is new; new None: it is gone)."""
        counts = self._counts.get(channel_id)
        if counts is None or old == new:
            return
        if old is not None:
            counts[old] = max(0, counts.get(old, 0) - 1)
        if new is not None:
            counts[new] = counts.get(new, 0) + 1
        self.set_counts(channel_id, counts)

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
