"""ClearStaleDialog: the bulk confirmation for "clear stale", listing every stale lock first."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from slackmq_core import ForceReleasePlan, MessageLock
from slackmq_tui.screens.force_release import plan_lines
from slackmq_tui.widgets._format import long_age


class ClearStaleDialog(ModalScreen[bool]):
    """Dismisses True when the operator confirmed clearing every listed stale lock."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, plans: Sequence[ForceReleasePlan], locks: Mapping[str, MessageLock],
                 channel_name: str, older_than: float, *,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(classes="dialog")
        self.plans = tuple(plans)
        self.locks = locks
        self.channel_name = channel_name
        self.older_than = older_than
        self.clock = clock

    @property
    def removable(self) -> int:
        return sum(len(p.removable) for p in self.plans)

    def compose(self) -> ComposeResult:
        now = self.clock()
        with Vertical(id="dialog-box") as box:
            box.border_title = f"Clear stale locks in #{self.channel_name}"
            with VerticalScroll(id="dialog-body"):
                if not self.plans:
                    yield Static(Content.from_markup(
                        "No stale locks: nothing has been held longer than $ttl without a live "
                        "lease.", ttl=long_age(self.older_than)), classes="dialog-state")
                else:
                    yield Static(Content.from_markup(
                        "[b]$n[/b] stale lock(s), held longer than $ttl with no live lease:",
                        n=str(len(self.plans)), ttl=long_age(self.older_than)),
                        classes="dialog-state")
                for plan in self.plans:
                    lock = self.locks.get(plan.ts)
                    head = Content.from_markup("[b]$ts[/b] $text", ts=plan.ts,
                                               text=" ".join((lock.text if lock else "").split())[:60])
                    yield Static(Content("\n").join([head, plan_lines(plan, now)]),
                                 classes="stale-item")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel" if self.plans else "Close", id="cancel")
                if self.removable:
                    yield Button(f"Clear {len(self.plans)} stale", id="confirm", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel").focus()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
