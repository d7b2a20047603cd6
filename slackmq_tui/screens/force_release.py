"""ForceReleaseDialog: confirm a force-unack, listing exactly what will and will not be removed.

kaskade's DeleteTopicScreen pattern: for a lock that is not stale (its holder may still be working)
the operator must type the message ts or the word "force" before the button unlocks.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from slackmq_core import ForceReleasePlan, LockState, MessageLock
from slackmq_tui.widgets._format import long_age, mark_text

CONFIRM_WORD = "force"


def plan_lines(plan: ForceReleasePlan, now: float) -> Content:
    """The removable and the not-removable marks of one plan, one per line, with reasons."""
    lines: list[Content] = []
    if plan.removable:
        lines.append(Content.from_markup(f"[b]Will remove ({len(plan.removable)})[/b]"))
        lines.extend(Content.from_markup("  [$text-success]✓[/] $m", m=mark_text(m, now))
                     for m in plan.removable)
    else:
        lines.append(Content.from_markup("[b $text-warning]Nothing this identity can remove.[/]"))
    if plan.not_removable:
        lines.append(Content.from_markup(f"[b]Cannot remove ({len(plan.not_removable)})[/b]"))
        for f in plan.not_removable:
            lines.append(Content.from_markup("  [$text-error]✗[/] $m\n    [$text-muted]$why[/]",
                                             m=mark_text(f.mark, now), why=f.reason))
    return Content("\n").join(lines)


class ForceReleaseDialog(ModalScreen[bool]):
    """Dismisses True when the operator confirmed the force-unack."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, plan: ForceReleasePlan, lock: MessageLock | None, channel_name: str, *,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(classes="dialog")
        self.plan = plan
        self.lock = lock
        self.channel_name = channel_name
        self.clock = clock

    @property
    def needs_typing(self) -> bool:
        return self.plan.state is not LockState.STALE and bool(self.plan.removable)

    def compose(self) -> ComposeResult:
        now = self.clock()
        plan = self.plan
        with Vertical(id="dialog-box") as box:
            box.border_title = f"Force-unack {plan.ts} in #{self.channel_name}"
            with VerticalScroll(id="dialog-body"):
                if self.lock is not None and self.lock.text:
                    preview = " ".join(self.lock.text.split())
                    yield Static(Content.from_markup("[i]$t[/i]", t=preview[:160]),
                                 classes="dialog-preview")
                yield Static(self._state_line(now), classes="dialog-state")
                yield Static(plan_lines(plan, now), id="plan")
            if self.needs_typing:
                yield Static(Content.from_markup(
                    "This lock is not stale. Type the message ts [b]$ts[/b] or [b]force[/b] "
                    "to confirm:", ts=plan.ts), id="confirm-label")
                yield Input(placeholder=f"{plan.ts} or {CONFIRM_WORD}", id="confirm-input")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                if plan.removable:
                    yield Button(f"Force-unack ({len(plan.removable)})", id="confirm",
                                 variant="error", disabled=self.needs_typing)

    def _state_line(self, now: float) -> Content:
        state = self.plan.state
        since = self.lock.locked_since if self.lock is not None else None
        held = f", held {long_age(now - since)}" if since is not None else ""
        if state is LockState.STALE:
            why = "its holder stopped heartbeating: safe to clear"
            return Content.from_markup("State: [b $text-warning]STALE[/]$held — $why", held=held,
                                       why=why)
        return Content.from_markup(
            f"State: [b $text-primary]{state.value.upper()}[/]$held — [$text-warning]its holder may still be "
            "working on it[/]", held=held)

    def on_mount(self) -> None:
        target = "#confirm-input" if self.needs_typing else "#cancel"
        self.query_one(target).focus()

    @on(Input.Changed, "#confirm-input")
    def _typed(self, event: Input.Changed) -> None:
        ok = event.value.strip() in (self.plan.ts, CONFIRM_WORD)
        self.query_one("#confirm", Button).disabled = not ok

    @on(Input.Submitted, "#confirm-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if not self.query_one("#confirm", Button).disabled:
            self.dismiss(True)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
