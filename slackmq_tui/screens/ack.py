"""AckDialog: lock a message as the console's identity, with a chosen strategy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from slackmq_core import Strategy


class AckDialog(ModalScreen[str | None]):
    """Dismisses with the chosen strategy name, or None when cancelled.

    ``strategies`` are the names in the order to offer; ``usable`` maps a name to "ok" or to why
    this identity cannot use it (from whoami); unusable ones are shown disabled with the reason
    ("unknown…" verdicts, when Slack did not list the token's scopes, stay selectable).
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, ts: str, text: str, identity: str, strategies: Sequence[str],
                 default: str, usable: Mapping[str, str] | None = None) -> None:
        super().__init__(classes="dialog")
        self.ts = ts
        self.text = text
        self.identity = identity
        self.strategies = list(strategies)
        self.default = default
        self.usable = dict(usable or {})

    def _option(self, name: str) -> Option:
        why = self.usable.get(name, "ok")
        if why == "ok" or why.startswith("unknown"):     # "unknown": Slack did not say; try it
            marks = " + ".join(p.value for p in Strategy.parse(name).primitives)
            label = Content.from_markup("[b]$name[/b] [$text-muted]($marks)[/]", name=name,
                                        marks=marks)
            if name == self.default:
                label += Content.from_markup(" [$text-accent]profile default[/]")
            return Option(label, id=name)
        return Option(Content.from_markup("$name [$text-muted]— $why[/]", name=name, why=why),
                      id=name, disabled=True)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box") as box:
            box.border_title = f"Ack {self.ts}"
            preview = " ".join(self.text.split())[:120]
            yield Static(Content.from_markup("[i]$t[/i]\nLock it as [b]$me[/b] with:",
                                             t=preview, me=self.identity), classes="dialog-state")
            yield OptionList(*(self._option(s) for s in self.strategies), id="strategies")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Ack", id="confirm", variant="primary")

    def on_mount(self) -> None:
        options = self.query_one("#strategies", OptionList)
        options.focus()
        if self.default in self.strategies:
            options.highlighted = self.strategies.index(self.default)

    def _chosen(self) -> str | None:
        options = self.query_one("#strategies", OptionList)
        if options.highlighted is None:
            return None
        option = options.get_option_at_index(options.highlighted)
        return None if option.disabled else option.id

    @on(OptionList.OptionSelected, "#strategies")
    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        chosen = self._chosen()
        if chosen is not None:
            self.dismiss(chosen)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
