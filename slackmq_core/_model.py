"""Plain values the core hands out: lock states, holders, marks, results.

These are the contract between the core and its users (the console, the CLI, scripts). They are
frozen dataclasses with no I/O and no Slack client inside, so a UI can keep, compare and render
them freely.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slackmq_core._state import LockFacts

__all__ = [
    "LockState",
    "Primitive",
    "Outcome",
    "Holder",
    "Mark",
    "Lease",
    "MessageLock",
    "ChannelInfo",
    "ChannelPage",
    "ChannelSummary",
    "LockResult",
    "MarkFailure",
    "ForceReleasePlan",
    "ForceReleaseReport",
    "ReapReport",
    "Identity",
]


class LockState(enum.StrEnum):
    PENDING = "pending"   # no lock marks, not done: ready to be taken
    LOCKED = "locked"     # held, and either within the TTL or with a live lease
    STALE = "stale"       # held past the TTL with no live lease: a crashed or stuck holder
    DONE = "done"         # carries the done reaction: never acquired again
    FAILED = "failed"     # carries the failed reaction (and usually a reason in its claim note)


class Primitive(enum.StrEnum):
    PIN = "pin"
    STAR = "star"
    REACTION = "reaction"
    CLAIM = "claim"       # a claim note: a thread reply carrying message metadata


class Outcome(enum.StrEnum):
    ACQUIRED = "acquired"
    HELD = "held"             # someone else holds it (LockResult.holder says who)
    DONE = "done"             # already completed: not acquired
    RELEASED = "released"
    COMPLETED = "completed"
    FAILED = "failed"         # marked failed (the operation `fail` succeeded)
    NOT_HELD = "not_held"     # release by a caller that holds nothing on it
    ERROR = "error"           # Slack or transport error: LockResult.error has Slack's code


@dataclass(frozen=True)
class Holder:
    user_id: str
    name: str = ""
    is_bot: bool = False

    @property
    def label(self) -> str:
        return self.name or self.user_id


@dataclass(frozen=True)
class Mark:
    """One lock mark on a message: a pin, a star, a reaction or a claim note."""

    primitive: Primitive
    holder: Holder | None           # None when Slack does not say (e.g. another user's star)
    since: float | None = None      # epoch seconds the mark was placed, when Slack tells
    name: str = ""                  # reaction name, or the claim note's ts
    leftover: bool = False          # a lock reaction a release note says is left from a released
                                    # lock (only its bot can remove it): not a holder, ignored

    def age(self, now: float) -> float | None:
        return None if self.since is None else max(0.0, now - self.since)


@dataclass(frozen=True)
class Lease:
    """What a claim note says: which process holds the lock, and until when."""

    worker_id: str
    host: str
    pid: int
    expires_at: float               # epoch seconds
    note_ts: str                    # ts of the thread reply that carries it
    holder: Holder | None = None

    def alive(self, now: float) -> bool:
        return now < self.expires_at


@dataclass(frozen=True)
class MessageLock:
    """One message of a channel with everything the core knows about its lock.

    ``facts`` is what Slack showed (reactions, pin, claim notes) that the state was derived from:
    ``apply_event`` and ``restate`` recompute from it with no Slack call. It takes no part in ``==``
    or ``repr``; it is None for a MessageLock made by hand.
    """

    channel: str
    ts: str
    text: str = ""
    author: Holder | None = None
    state: LockState = LockState.PENDING
    marks: tuple[Mark, ...] = ()
    lease: Lease | None = None
    locked_since: float | None = None   # the oldest lock mark's time
    failed_reason: str = ""
    thread_ts: str | None = None
    facts: LockFacts | None = field(default=None, compare=False, repr=False)

    @property
    def holders(self) -> tuple[Holder, ...]:
        seen: dict[str, Holder] = {}
        for m in self.marks:
            if m.holder is not None and not m.leftover:
                seen.setdefault(m.holder.user_id, m.holder)
        return tuple(seen.values())


@dataclass(frozen=True)
class ChannelInfo:
    id: str
    name: str
    is_member: bool = True
    is_private: bool = False


@dataclass(frozen=True)
class ChannelSummary:
    channel: ChannelInfo
    counts: dict[LockState, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LockResult:
    """The answer of acquire / release / complete / fail: never a bare bool."""

    outcome: Outcome
    channel: str
    ts: str
    holder: Holder | None = None      # for HELD: who holds it
    error: str = ""                   # for ERROR: Slack's error code (or "transport")
    advice: str = ""                  # for ERROR: what an operator should do
    marks: tuple[Mark, ...] = ()      # marks placed (acquire) or removed (release)

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.ACQUIRED, Outcome.RELEASED, Outcome.COMPLETED, Outcome.FAILED)


@dataclass(frozen=True)
class MarkFailure:
    mark: Mark
    reason: str                       # plain words: "another bot's reaction: only that bot can remove it"
    error: str = ""                   # Slack's code, when Slack refused


@dataclass(frozen=True)
class ForceReleasePlan:
    """What a force-release would do, computed before doing it (for the confirmation dialog)."""

    channel: str
    ts: str
    removable: tuple[Mark, ...]
    not_removable: tuple[MarkFailure, ...]
    state: LockState = LockState.LOCKED
    note_users: tuple[str, ...] = ()  # users whose lock reaction stays: named in a release note


@dataclass(frozen=True)
class ForceReleaseReport:
    channel: str
    ts: str
    removed: tuple[Mark, ...]
    not_removed: tuple[MarkFailure, ...]
    release_note: str = ""            # ts of the release note posted in the thread, if one was


@dataclass(frozen=True)
class ReapReport:
    channel: str
    reaped: tuple[ForceReleaseReport, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()   # (ts, why): e.g. a live heartbeat
    dry_run: bool = False


@dataclass(frozen=True)
class Identity:
    """auth.test plus what the token's scopes allow."""

    user_id: str
    name: str
    team_id: str
    team: str
    url: str
    token_type: str                   # bot / user / app
    is_bot: bool
    scopes: tuple[str, ...] = ()
    bot_id: str | None = None
    strategies: dict[str, str] = field(default_factory=dict)  # strategy -> "ok" or why not


@dataclass(frozen=True)
class ChannelPage:
    """One page of a channel's messages, newest first, each with its lock state."""

    messages: tuple[MessageLock, ...]
    next_cursor: str | None = None
