"""The main screen's view controls: switching channels, the filter, locked-only, the palette.

Nothing here calls Slack directly: a switch or a filter that needs data starts a worker of
:mod:`.main_data`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from slackmq_tui.widgets.channel_list import ChannelList
from slackmq_tui.widgets.filter_bar import FilterBar
from slackmq_tui.widgets.stream_model import HELD_STATES, MessageFilter

if TYPE_CHECKING:
    from slackmq_tui.screens.main import MainScreen


class ViewControls:
    """Mixin for MainScreen: what the operator looks at (handlers by name: mixins are not
    scanned for ``@on``)."""

    # -- channels ----------------------------------------------------------------------------

    def switch_to(self: MainScreen, channel: str) -> None:
        if channel == self.current or channel not in self.infos:
            return
        self.current = channel
        model = self.model_for(channel)
        model.set_filter(self.effective_filter())
        self.stream.placeholder = "Loading…"
        self.stream.show(model)
        self.channel_list.select_id(channel)
        self._retitle()
        if model.pages_loaded == 0:
            self.load_channel(channel)
        elif model.filter.held_only and not model.locks_loaded:
            self.load_locks(channel)

    def on_channel_list_channel_chosen(self: MainScreen, event: ChannelList.ChannelChosen) -> None:
        self.switch_to(event.channel_id)
        if event.focus_stream:
            self.stream.focus()

    def action_channel(self: MainScreen, step: int) -> None:
        ids = self.channel_list.channel_ids
        if not ids or self.current not in ids:
            return
        self.switch_to(ids[(ids.index(self.current) + step) % len(ids)])

    # -- filter ------------------------------------------------------------------------------

    def effective_filter(self: MainScreen) -> MessageFilter:
        flt = self.user_filter
        if self.only_locked:
            states = (flt.states & HELD_STATES) or HELD_STATES
            flt = MessageFilter(flt.text, flt.holder, frozenset(states))
        return flt

    def _refilter(self: MainScreen) -> None:
        flt = self.effective_filter()
        for model in self.models.values():
            model.set_filter(flt)
        self.stream.placeholder = "No message matches the filter." if flt.active else \
            "No messages in this channel."
        self.stream.reload()
        self._retitle()
        if self.current and flt.held_only and not self.model_for(self.current).locks_loaded:
            self.load_locks(self.current)

    def action_filter(self: MainScreen) -> None:
        self.filter_bar.open(self._filter_query())

    def _filter_query(self: MainScreen) -> str:
        flt = self.user_filter
        parts = [flt.text] if flt.text else []
        if flt.holder:
            parts.append(f"holder:{flt.holder}")
        if flt.states:
            parts.append("state:" + ",".join(sorted(s.value for s in flt.states)))
        return " ".join(parts)

    def on_filter_bar_changed(self: MainScreen, event: FilterBar.Changed) -> None:
        self.user_filter = event.filter
        self._refilter()
        if event.submitted:
            self.stream.focus()

    def on_filter_bar_cleared(self: MainScreen) -> None:
        self.user_filter = MessageFilter()
        self._refilter()
        self.stream.focus()

    def action_only_locked(self: MainScreen) -> None:
        self.only_locked = not self.only_locked
        self.activity("showing only locked and stale messages" if self.only_locked
                      else "showing every message")
        self._refilter()

    # -- misc actions --------------------------------------------------------------------------

    def action_toggle_log(self: MainScreen) -> None:
        self.toggle_class("-log-toggled")

    def action_help(self: MainScreen) -> None:
        from slackmq_tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.services.read_only))

    def action_refresh(self: MainScreen) -> None:
        if self.current:
            self.activity(f"#{self.channel_name(self.current)}: refresh")
            self.load_channel(self.current, reload=True)

    # -- command palette ----------------------------------------------------------------------

    def commands(self: MainScreen) -> Iterable[SystemCommand]:
        """Command palette entries for this screen (the app adds them to the system ones)."""
        entries = [
            ("Ack message", "Lock the selected message as the console", "ack"),
            ("Unack message", "Release the console's marks on the selected message", "unack"),
            ("Mark done", "Mark the selected message done and release it", "done"),
            ("Force-unack", "Remove every lock mark on the selected message", "force_unack"),
            ("Clear stale locks", "Force-unack every stale lock of this channel", "clear_stale"),
            ("Refresh", "Reload the channel from Slack", "refresh"),
            ("Filter", "Filter messages by text, holder:NAME, state:STATE", "filter"),
            ("Toggle locked only", "Show only locked and stale messages", "only_locked"),
            ("Toggle activity log", "Show or hide the activity log", "toggle_log"),
            ("Help", "Keys, states and marks", "help"),
        ]
        for title, help_text, action in entries:
            if self.check_action(action, ()):
                yield SystemCommand(title, help_text, getattr(self, f"action_{action}"))
        for info in self.infos.values():
            yield SystemCommand(f"Switch to #{info.name}", f"Show channel {info.id}",
                                lambda cid=info.id: self.switch_to(cid))
