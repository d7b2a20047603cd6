"""HelpScreen: the keys, what the states mean, and how locks are made."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from slackmq_core import LockState
from slackmq_tui.widgets._format import STATE_COLOR, STATE_LETTER

#: (key, what) for the main screen; the mutating ones are left out in read-only mode.
KEYS: list[tuple[str, str, bool]] = [
    ("a", "ack: lock the selected message as the console, with a chosen strategy", True),
    ("u", "unack: release the marks the console holds on it", True),
    ("d", "done: mark it done (done reaction) and release it", True),
    ("F", "force-unack: remove every mark this token can remove (confirmation)", True),
    ("S", "clear stale: force-unack every stale lock of the channel (confirmation)", True),
    ("r", "refresh now", False),
    ("/", "filter: words, holder:NAME, state:locked,stale — Esc clears", False),
    ("o", "show only locked and stale messages (complete, from pins.list)", False),
    ("[ ]", "previous / next channel (or pick one in the channel list)", False),
    ("tab", "move between channel list and messages", False),
    ("L", "show or hide the activity log", False),
    ("ctrl+p", "command palette: every action, channels, theme", False),
    ("?", "this help", False),
    ("q", "quit", False),
]

STATES = {
    LockState.PENDING: "nobody holds it: ready to be taken",
    LockState.LOCKED: "held, within the stale TTL or with a live lease",
    LockState.STALE: "held past the TTL with no live lease: a crashed or stuck worker",
    LockState.DONE: "carries the done reaction: never taken again",
    LockState.FAILED: "carries the failed reaction (reason in its claim note)",
}


def help_text(read_only: bool) -> Content:
    lines = [Content.from_markup("[b]Keys[/b]")]
    for key, what, mutating in KEYS:
        if read_only and mutating:
            continue
        lines.append(Content.from_markup("  [b $text-accent]$key[/] $what", key=f"{key:<7}",
                                         what=what))
    if read_only:
        lines.append(Content.from_markup(
            "  [$text-warning]Read-only: ack, unack, done, force-unack and clear stale are off.[/]"))
    lines.append(Content.from_markup(
        "\n[b]States[/b] (counts in the channel list: L and S count every pinned lock of the "
        "channel; P, D and F only the messages loaded so far, \"of N\" until all are)"))
    for state, what in STATES.items():
        lines.append(Content.from_markup(
            f"  [b {STATE_COLOR[state]}]$letter $name[/] $what", letter=STATE_LETTER[state],
            name=f"{state.value:<8}", what=what))
    lines.append(Content.from_markup(
        "\n[b]Marks[/b]\n  pin       one per message, channel-wide: the lock itself\n"
        "  reaction  one per user per emoji (:lock: by default): who holds it\n"
        "  star      one per user, user tokens only (deprecated by Slack)\n"
        "  claim     a thread reply naming the worker process and its lease\n"
        "  Another bot's reaction can only be removed by that bot: force-unack says so."))
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, read_only: bool = False) -> None:
        super().__init__(classes="dialog")
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box") as box:
            box.border_title = "SlackMQ console — help"
            box.border_subtitle = "Esc to close"
            with VerticalScroll(id="dialog-body"):
                yield Static(help_text(self.read_only), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
