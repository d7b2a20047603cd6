"""Messages that cross widget boundaries. Widget-specific ones live inside their widgets."""

from __future__ import annotations

from textual.message import Message

from slackmq_core import ChannelEvent


class ChannelEventReceived(Message):
    """The watcher saw a change in a watched channel (an idempotent hint: re-apply is harmless)."""

    def __init__(self, event: ChannelEvent) -> None:
        super().__init__()
        self.event = event


class ActionFinished(Message):
    """An operator action ended: it is in the audit log and the activity log, and was toasted.

    ``result`` is a short word ("ok", "held", "cancelled", "error:missing_scope"...).
    """

    def __init__(self, action: str, channel: str, ts: str | None, result: str,
                 summary: str) -> None:
        super().__init__()
        self.action = action
        self.channel = channel
        self.ts = ts
        self.result = result
        self.summary = summary
