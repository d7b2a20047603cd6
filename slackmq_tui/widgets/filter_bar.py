"""FilterBar: the `/` prompt. Words match text, author or ts; `holder:` and `state:` narrow further."""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

from slackmq_tui.widgets.stream_model import MessageFilter

PLACEHOLDER = "text  holder:NAME  state:locked,stale   (Enter: apply · Esc: clear)"


class FilterBar(Horizontal):
    """A one-line filter prompt above the stream, shown by `/`."""

    BINDINGS = [Binding("escape", "clear", "Clear filter", show=False)]

    class Changed(Message):
        """The filter changed (``submitted``: Enter was pressed)."""

        def __init__(self, flt: MessageFilter, submitted: bool = False) -> None:
            super().__init__()
            self.filter = flt
            self.submitted = submitted

    class Cleared(Message):
        """Esc: the filter is gone and the bar hides."""

    def compose(self):
        yield Label("Filter", id="filter-label")
        yield Input(placeholder=PLACEHOLDER, compact=True, id="filter-input")

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def open(self, query: str) -> None:
        self.display = True
        self.input.value = query
        self.input.cursor_position = len(query)
        self.input.focus()

    def _parse(self, query: str) -> MessageFilter | None:
        try:
            flt = MessageFilter.parse(query)
        except ValueError as exc:
            self.input.set_class(True, "-invalid")
            self.input.tooltip = str(exc)
            self.query_one("#filter-label", Label).update(str(exc))
            return None
        self.input.set_class(False, "-invalid")
        self.query_one("#filter-label", Label).update("Filter")
        return flt

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        flt = self._parse(event.value)
        if flt is not None:
            self.post_message(self.Changed(flt))

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        flt = self._parse(event.value)
        if flt is not None:
            if not flt.active:
                self.display = False
            self.post_message(self.Changed(flt, submitted=True))

    def action_clear(self) -> None:
        self.input.value = ""
        self.display = False
        self.post_message(self.Cleared())
