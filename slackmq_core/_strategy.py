"""Lock strategies (which Slack primitives make up a lock) and the options of a lock client.

A strategy is an ordered tuple of primitives. ``acquire`` places them in that order and stops at the
first one Slack refuses; the strongest, channel-wide test-and-set (the pin) always comes first so a
contended message costs a loser one API call.

=====================  ====================================  ======================================
strategy               primitives                            token
=====================  ====================================  ======================================
``pin``                pin                                   bot or user (slackmq 0.1.2's default)
``pin+reaction``       pin, reaction (``lock``)              bot or user (the default)
``pin+star``           pin, star                             user tokens only (stars are per user)
``pin+star+reaction``  pin, star, reaction                   user tokens only
``claim``              pin, reaction, claim note             bot or user (strict; see _protocol)
=====================  ====================================  ======================================
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace

from slackmq_core._exceptions import InputError
from slackmq_core._model import Primitive

__all__ = ["LockOptions", "Strategy"]

_EMOJI_RE = re.compile(r"^[a-z0-9_+'\-]+(::skin-tone-[2-6])?$")


class Strategy(enum.StrEnum):
    PIN = "pin"
    PIN_REACTION = "pin+reaction"
    PIN_STAR = "pin+star"
    PIN_STAR_REACTION = "pin+star+reaction"
    CLAIM = "claim"

    @property
    def primitives(self) -> tuple[Primitive, ...]:
        return _PRIMITIVES[self]

    @property
    def needs_user_token(self) -> bool:
        return Primitive.STAR in self.primitives

    @classmethod
    def parse(cls, text: str) -> Strategy:
        """``"pin+reaction"`` (also ``"pin + reaction"``, ``"PIN_REACTION"``) -> Strategy."""
        if isinstance(text, Strategy):
            return text
        key = str(text).strip().lower().replace(" ", "").replace("_", "+")
        for s in cls:
            if s.value == key:
                return s
        valid = ", ".join(s.value for s in cls)
        raise InputError(f"unknown lock strategy {text!r}: use one of {valid}")


_PRIMITIVES: dict[Strategy, tuple[Primitive, ...]] = {
    Strategy.PIN: (Primitive.PIN,),
    Strategy.PIN_REACTION: (Primitive.PIN, Primitive.REACTION),
    Strategy.PIN_STAR: (Primitive.PIN, Primitive.STAR),
    Strategy.PIN_STAR_REACTION: (Primitive.PIN, Primitive.STAR, Primitive.REACTION),
    Strategy.CLAIM: (Primitive.PIN, Primitive.REACTION, Primitive.CLAIM),
}


def check_emoji(name: str, what: str) -> str:
    """An emoji name without colons (``lock``, ``white_check_mark``), or InputError naming it."""
    clean = str(name).strip().strip(":")
    if not clean or not _EMOJI_RE.match(clean):
        raise InputError(f"bad {what} {name!r}: give an emoji name such as 'lock' (no spaces)")
    return clean


@dataclass(frozen=True)
class LockOptions:
    """How a :class:`~slackmq_core.LockClient` locks messages.

    ``stale_after``: a lock older than this (seconds) with no live lease is *stale* (reapable).
    ``lease_seconds``: how long a claim note's lease lasts; ``heartbeat`` extends it.
    ``claim_note``: post a lease note on acquire (always on in ``claim`` mode).
    ``read_only``: every mutating call raises ReadOnlyError before any API call.
    ``retry_failed``: acquire messages marked failed (default: a failed message is finished, like
    a done one, until an operator force-releases it).
    ``lookup_holder``: when acquire finds the message held, spend one pins.list call to say who holds
    it (LockResult.holder); workers that do not care can turn it off.
    ``single_user``: every worker that locks this channel does so as this token's user (one bot user
    shared by the whole fleet). A lock reaction or star then excludes by itself (Slack allows one per
    user), so ``acquire`` skips its ``reactions.get`` check: one call less per job for ``pin+reaction``,
    ``pin+star`` and ``pin+star+reaction`` (``pin`` keeps the check: it is its only guard against a
    message finished meanwhile; ``claim`` keeps its thread read: it decides). Wrong when another bot
    user locks the same channel (its reaction does not collide with ours): leave it off then. The
    worker runtime turns it off by itself when it sees another user's lock mark.
    ``clear_done``: ``complete`` also removes the lock reaction and the star (one call each). By
    default they stay on a done message, next to the done reaction, as the record of who processed
    it; a worker of the same user then cannot take the message again (``already_reacted``), which is
    what lets ``single_user`` skip the check.
    ``pins_max_age``: ``inspect`` reuses the client's last pins.list of the channel (from inspect,
    inspect_many, history or locks) while it is at most this many seconds old (0: never). Only for
    reading who holds what (a console's detail panel); lock operations always read afresh, and a
    pins.add / pins.remove by the same client drops the snapshot.
    """

    strategy: Strategy = Strategy.PIN_REACTION
    reaction: str = "lock"
    done_reaction: str = "white_check_mark"
    failed_reaction: str = "x"
    stale_after: float = 900.0
    lease_seconds: float = 60.0
    claim_note: bool = False
    read_only: bool = False
    retry_failed: bool = False
    lookup_holder: bool = True
    pins_max_age: float = 0.0
    single_user: bool = False
    clear_done: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategy", Strategy.parse(self.strategy))
        for attr in ("reaction", "done_reaction", "failed_reaction"):
            object.__setattr__(self, attr, check_emoji(getattr(self, attr), attr.replace("_", " ")))
        if len({self.reaction, self.done_reaction, self.failed_reaction}) != 3:
            raise InputError(
                f"reactions must differ: lock {self.reaction!r}, done {self.done_reaction!r}, "
                f"failed {self.failed_reaction!r}"
            )
        for attr in ("stale_after", "lease_seconds"):
            value = getattr(self, attr)
            if not isinstance(value, (int, float)) or value <= 0:
                raise InputError(f"bad {attr} {value!r}: give a positive number of seconds")
        if not isinstance(self.pins_max_age, (int, float)) or not 0 <= self.pins_max_age <= 60:
            raise InputError(f"bad pins_max_age {self.pins_max_age!r}: give seconds from 0 to 60")

    @property
    def uses_claim_note(self) -> bool:
        return self.claim_note or self.strategy is Strategy.CLAIM

    @property
    def primitives(self) -> tuple[Primitive, ...]:
        return self.strategy.primitives

    @property
    def skips_verify(self) -> bool:
        """True when ``acquire`` may trust its own per-user mark and skip the ``reactions.get`` check."""
        return (self.single_user and not self.clear_done and self.strategy is not Strategy.CLAIM
                and (Primitive.REACTION in self.primitives or Primitive.STAR in self.primitives))

    def with_(self, **changes: object) -> LockOptions:
        return replace(self, **changes)  # type: ignore[arg-type]
