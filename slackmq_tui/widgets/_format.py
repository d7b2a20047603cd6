"""Small pure formatters shared by the widgets: times, ages, cell-exact fitting, state labels.

Nothing here knows Slack's rules: these only turn model values into short strings.
"""

from __future__ import annotations

import time

from rich.cells import cell_len, set_cell_size

from slackmq_core import Holder, LockState, Mark, MessageLock, Primitive

#: Short state labels, all the same width, in the order operators read them.
STATE_LABEL: dict[LockState, str] = {
    LockState.PENDING: "pending",
    LockState.LOCKED: "locked",
    LockState.STALE: "stale",
    LockState.DONE: "done",
    LockState.FAILED: "failed",
}

#: Theme variable used for each state (Content markup and .tcss use the same mapping).
STATE_COLOR: dict[LockState, str] = {
    LockState.PENDING: "$foreground",
    LockState.LOCKED: "$text-primary",
    LockState.STALE: "$text-warning",
    LockState.DONE: "$text-success",
    LockState.FAILED: "$text-error",
}

#: One-letter abbreviations for the channel list's counts.
STATE_LETTER: dict[LockState, str] = {
    LockState.PENDING: "P",
    LockState.LOCKED: "L",
    LockState.STALE: "S",
    LockState.DONE: "D",
    LockState.FAILED: "F",
}


def ts_epoch(ts: str | None) -> float | None:
    """A Slack ts ("1712345678.000100") as epoch seconds, or None when it is not one."""
    if not ts:
        return None
    try:
        return float(ts)
    except ValueError:
        return None


def ts_key(ts: str) -> tuple[int, int]:
    """Sort key for a Slack ts without float rounding: (seconds, microseconds)."""
    sec, _, frac = ts.partition(".")
    try:
        return int(sec), int(frac or 0)
    except ValueError:
        return 0, 0


def clock_time(epoch: float | None, now: float, *, seconds: bool = True) -> str:
    """Local wall time: "HH:MM:SS" today, "Mon DD" on another day, "" when unknown."""
    if epoch is None:
        return ""
    t = time.localtime(epoch)
    if time.localtime(now)[:3] != t[:3]:
        return time.strftime("%b %d", t)
    return time.strftime("%H:%M:%S" if seconds else "%H:%M", t)


_UNITS = ((86400, "d"), (3600, "h"), (60, "m"), (1, "s"))


def _age(seconds: float, parts: int) -> str:
    s = int(max(0.0, seconds))
    for i, (size, unit) in enumerate(_UNITS):
        if s >= size or size == 1:
            text = f"{s // size}{unit}"
            if parts > 1 and size > 1:
                smaller, small_unit = _UNITS[i + 1]
                text += f" {s % size // smaller:02d}{small_unit}"
            return text
    raise AssertionError("unreachable")


def short_age(seconds: float | None) -> str:
    """An age in at most four cells: "42s", "12m", "3h", "5d" ("" when unknown)."""
    return "" if seconds is None else _age(seconds, 1)


def long_age(seconds: float | None) -> str:
    """An age with two units: "42s", "12m 05s", "3h 07m", "5d 02h"."""
    return "unknown" if seconds is None else _age(seconds, 2)


def fit(text: str, width: int) -> str:
    """`text` on one line, cut with an ellipsis or padded to exactly `width` cells."""
    if width <= 0:
        return ""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else " " for c in text)
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def holder_label(holder: Holder | None) -> str:
    if holder is None:
        return "unknown"
    return holder.label


def holders_text(lock: MessageLock) -> str:
    """Who holds a message, for one cell: "alpha", "alpha+1", or ""."""
    holders = lock.holders
    if not holders:
        return ""
    first = holders[0].label
    return first if len(holders) == 1 else f"{first}+{len(holders) - 1}"


def lock_age(lock: MessageLock, now: float) -> float | None:
    """How long the message has been held, or, when not held, how old it is."""
    since = lock.locked_since if lock.state in (LockState.LOCKED, LockState.STALE) else None
    if since is None:
        since = ts_epoch(lock.ts)
    return None if since is None else max(0.0, now - since)


def mark_text(mark: Mark, now: float) -> str:
    """One mark in words: "pin by alpha (U0A1, bot), 4m 10s" / ":lock: by dana (U0D, human)"."""
    what = mark.primitive.value
    if mark.primitive is Primitive.REACTION and mark.name:
        what = f":{mark.name}:"
    elif mark.primitive is Primitive.CLAIM:
        what = "claim note"
    holder = mark.holder
    if holder is None:
        who = "someone Slack does not name"
    else:
        kind = "bot" if holder.is_bot else "human"
        who = f"{holder.name} ({holder.user_id}, {kind})" if holder.name else \
            f"{holder.user_id} ({kind})"
    age = mark.age(now)
    return f"{what} by {who}" + (f", {long_age(age)}" if age is not None else "")
