"""The lock protocol, written once: generators that yield Slack calls.

Every operation is a generator function. It yields :class:`Call` objects and receives the answer's
JSON (a :class:`Reply`), or has a translated slackmq error thrown into it at the ``yield``. The
drivers in ``_client.py`` run the same generators on ``WebClient`` (sync) and ``AsyncWebClient``
(async) and own the retry policy; the generators never sleep.

Acquire, for the strategy's primitives in order (pin first: the one channel-wide test-and-set):

1. ``pins.add`` — ``already_pinned`` means held (one call for a loser). After our own ambiguous
   attempt (a lost answer, then ``already_pinned`` on the retry) ``pins.list`` settles it: the pin
   is ours only if ``created_by`` is our user.
2. ``stars.add`` / ``reactions.add`` — ``already_starred`` / ``already_reacted`` mean a holder that
   shares our user (stars and reactions are per user), unless it follows our ambiguous attempt, or
   a finished message: ``complete`` (and a final ``fail``) leave the holder's reaction and star as
   the record of who did it, so one ``reactions.get`` tells "done" from "a sibling holds it".
3. Verify with one read: ``reactions.get`` (done? failed? who reacted first?), or in ``claim`` mode
   post a claim note and read the thread (``conversations.replies``). With ``single_user`` (one bot
   user for the whole fleet) and a reaction or star in the strategy there is nothing to verify:
   our own per-user mark went on, so no sibling holds it and the message is not finished (that
   would have refused it, step 2); the read is skipped.

Ties between *different* users (reactions do not exclude them) are broken by what Slack shows to
everyone alike: the first user in the lock reaction's ``users`` list wins. That list only grows at
its end, so a later reactor never changes who is first (a rule that also weighed the pin's
``created_by`` would not be stable: the pin's creator may react after someone else already won).
In ``claim`` mode the earliest live claim note (Slack ts order, strictly increasing per channel)
wins. Dead holders: a reaper or force-release cannot remove another bot's reaction, so it stays
first. With claim notes on (``claim_note`` / ``claim``), a reactor whose every claim note expired
(by more than 2 s of clock skew) is skipped: its lease said it would be dead by then, and a holder
never renews a lease that has run out (``heartbeat`` raises LeaseExpired). A reactor without any
note counts as alive (it may be mid-acquire). Without claim notes, an operator's force-release or
reap that cannot remove a bot's reaction posts a *release note* naming that bot; a reactor named in
one is skipped too (``_state.released_users``: it covers the user while its old reaction stays,
until that user pins again). Both are read only on the losing path (we are not first) and only when
the message has replies: the uncontended path costs nothing more. A worker of the released user
itself that pins and then gets ``already_reacted`` reads the thread once: named in a release note,
it adopts the leftover reaction as its own (it holds the fresh pin, so no sibling holds the
message) instead of backing off. In
``claim`` mode an ``already_reacted`` of our own user is shared, not a refusal: the notes decide.

A loser removes the marks it placed, except those it cannot prove are its own: a pin is removed only
when no one holds the message, or when ``pins.list`` says our user created it and the winner is a
different user; a reaction or star only when the winner is a different user (a same-user winner
shares the very same mark).

Double holders when each primitive's test-and-set fails (both writers told "ok") with probability
``p``, for two workers racing on one message (same user / different users):

==================== ============ ===================================================
strategy             same user    different users
==================== ============ ===================================================
pin                  p            p
pin+reaction         p²           0 (one reaction order / pin created_by for all)
pin+star             p²           p (stars are private per user: no shared order)
pin+star+reaction    p³           0
claim                0            0 (claim notes are totally ordered by ts)
==================== ============ ===================================================

Ambiguous writes (the answer lost, the retry told "already"): a pin is settled by ``pins.list``:
ours when ``created_by`` is our user and ``created`` is not older than our attempt (2 s of clock
skew allowed). With one shared user that cannot tell us from a sibling that pinned in the same
moment, so ``pin`` alone may then double-hold (it has no second primitive to arbitrate; it never
leaks the pin). With two or more primitives the next one arbitrates: a sibling that pinned has
reacted / starred before us (we back off) or after us (it backs off); an "already" reaction after
our own ambiguous reactions.add is ours. So, for workers sharing one user, an ambiguous outcome on
*every* primitive counts like a race on every primitive (probability ≈ a^k for an ambiguity rate a
and k primitives): we then take the lock rather than leak it. Different users are not affected
(``already_reacted`` can only be our own user's reaction), and in ``claim`` mode the claim note
arbitrates anyway.

Cost in API calls (uncontended; Slack tiers: pins.* T2, reactions.add/get T3, reactions.remove
T2, chat.postMessage special ~1/s/channel, chat.delete/update T3, conversations.replies T3 — T1 for
new non-Marketplace apps since 2025): acquire = primitives + 1 read (pin 2, pin+reaction 3,
pin+star 3, pin+star+reaction 4, claim 4: pins.add, reactions.add, chat.postMessage,
conversations.replies); a loser at the pin pays 1 (+1 pins.list to name the holder, optional);
release = one removal per mark (claim 3); complete = release + 1. Claim mode's extra cost is one
post, one delete and a thread read on T3 (T1 under the 2025 rule: prefer ``pin+reaction`` there).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from slackmq_core._exceptions import (
    ChannelNotFound,
    InputError,
    SlackAPIError,
    SlackMQError,
    WrongTokenType,
)
from slackmq_core._model import ChannelInfo, Holder, Lease, Mark
from slackmq_core._slack import scopes_of
from slackmq_core._strategy import LockOptions

__all__ = ["Call", "Ctx", "HeldLock", "Me", "Reply", "call", "check_ts", "get_me", "holder_of",
           "channel_ref", "pin_item", "WRITE_METHODS"]

log = logging.getLogger("slackmq_core")

TS_RE = re.compile(r"^\d{10}\.\d{6}$")
CHANNEL_ID_RE = re.compile(r"^[CGD][A-Z0-9]{8,}$")

WRITE_METHODS = frozenset({
    "pins.add", "pins.remove", "reactions.add", "reactions.remove", "stars.add", "stars.remove",
    "chat.postMessage", "chat.update", "chat.delete", "conversations.join",
})
#: Answers that mean "the mark is not there (any more)" for a removal.
GONE_CODES = frozenset({"no_pin", "not_pinned", "no_reaction", "not_starred", "message_not_found"})


@dataclass(frozen=True)
class Call:
    """One Slack Web API call the protocol wants made."""

    method: str
    args: dict = field(default_factory=dict)
    write: bool = False

    @property
    def sdk_name(self) -> str:
        return self.method.replace(".", "_")


def call(method: str, args: dict | None = None) -> Call:
    return Call(method, dict(args or {}), method in WRITE_METHODS)


class Reply(dict):
    """A call's JSON answer, plus the HTTP headers and whether an earlier attempt was ambiguous."""

    def __init__(self, data: dict, headers: dict | None = None, after_ambiguous: bool = False) -> None:
        super().__init__(data)
        self.headers = dict(headers or {})
        self.after_ambiguous = after_ambiguous


@dataclass
class Me:
    user_id: str
    name: str = ""
    team_id: str = ""
    team: str = ""
    url: str = ""
    bot_id: str | None = None
    scopes: tuple[str, ...] = ()
    token_type: str = "unknown"

    @property
    def is_bot(self) -> bool:
        return self.token_type == "bot" or (self.token_type == "unknown" and bool(self.bot_id))

    @property
    def holder(self) -> Holder:
        return Holder(self.user_id, self.name, self.is_bot)


@dataclass
class HeldLock:
    """What this client placed on a message it holds (used by release / heartbeat)."""

    channel: str
    ts: str
    marks: list[Mark]
    claim_id: str = ""
    note_ts: list[str] = field(default_factory=list)
    lease: Lease | None = None


@dataclass
class Ctx:
    """Per-client state the generators share: options, identity, caches, held locks."""

    options: LockOptions
    worker_id: str
    host: str
    pid: int
    clock: Callable[[], float]
    token_type: str = "unknown"
    me: Me | None = None
    users: dict[str, Holder] = field(default_factory=dict)
    channels: dict[str, ChannelInfo] = field(default_factory=dict)
    held: dict[tuple[str, str], HeldLock] = field(default_factory=dict)
    pins_cache: dict[str, tuple[float, dict[str, dict]]] = field(default_factory=dict)  # ch -> (monotonic, items)


Gen = Generator[Call, Reply, Any]


def check_ts(ts: object) -> str:
    if not isinstance(ts, str) or not TS_RE.match(ts):
        raise InputError(f"bad message ts {ts!r}: expected seconds.micros such as 1700000000.000100")
    return ts


def get_me(ctx: Ctx) -> Gen:
    """auth.test once per client (cached)."""
    if ctx.me is None:
        r = yield call("auth.test")
        ctx.me = Me(user_id=str(r.get("user_id", "")), name=str(r.get("user", "")),
                    team_id=str(r.get("team_id", "")), team=str(r.get("team", "")),
                    url=str(r.get("url", "")), bot_id=r.get("bot_id"), scopes=scopes_of(r.headers),
                    token_type=ctx.token_type if ctx.token_type != "unknown"
                    else ("bot" if r.get("bot_id") else "user"))
        ctx.users.setdefault(ctx.me.user_id, ctx.me.holder)
    return ctx.me


def holder_of(ctx: Ctx, user_id: str | None) -> Gen:
    """A Holder with display name and bot flag (users.info, cached); never fails the caller."""
    if not user_id:
        return None
    if user_id in ctx.users:
        return ctx.users[user_id]
    try:
        r = yield call("users.info", {"user": user_id})
    except SlackMQError as exc:
        log.debug("users.info %s failed: %s", user_id, exc)
        return Holder(user_id)
    u = r.get("user") or {}
    prof = u.get("profile") or {}
    name = prof.get("display_name") or u.get("real_name") or prof.get("real_name") or u.get("name") or ""
    h = Holder(user_id, str(name), bool(u.get("is_bot")))
    ctx.users[user_id] = h
    return h


def channel_ref(ctx: Ctx, ref: object) -> Gen:
    """A channel id from an id, ``name`` or ``#name`` (conversations.list, cached)."""
    info = yield from resolve_channel(ctx, ref, need_info=False)
    return info.id


def resolve_channel(ctx: Ctx, ref: object, *, need_info: bool = True) -> Gen:
    if not isinstance(ref, str) or not ref.strip():
        raise InputError(f"bad channel {ref!r}: give a name such as 'jobs' or '#jobs', or an id like C0123456789")
    text = ref.strip()
    if CHANNEL_ID_RE.match(text):
        if text in ctx.channels:
            return ctx.channels[text]
        if not need_info:
            return ChannelInfo(text, "")
        try:
            r = yield call("conversations.info", {"channel": text})
        except ChannelNotFound as exc:
            raise ChannelNotFound(f"channel {text!r} not found or not visible to this token",
                                  error=exc.error, method=exc.method, advice=exc.advice) from None
        info = channel_info(r.get("channel") or {})
        ctx.channels[info.id] = ctx.channels[info.name] = info
        return info
    name = text.lstrip("#").lower()
    if not re.match(r"^[a-z0-9][a-z0-9_\-.]{0,79}$", name):
        raise InputError(f"bad channel {ref!r}: give a name such as 'jobs' or '#jobs', or an id like C0123456789")
    if name in ctx.channels:
        return ctx.channels[name]
    for info in (yield from list_channels(ctx)):
        if info.name == name:
            return info
    raise ChannelNotFound(f"no channel named {ref!r} visible to this token",
                          error="channel_not_found", method="conversations.list",
                          advice="check the name, or invite the bot to the channel")


def channel_info(c: dict) -> ChannelInfo:
    return ChannelInfo(id=str(c.get("id", "")), name=str(c.get("name", "")),
                       is_member=bool(c.get("is_member", True)), is_private=bool(c.get("is_private")))


def list_channels(ctx: Ctx) -> Gen:
    out: list[ChannelInfo] = []
    cursor = None
    for _ in range(50):  # bounded: 50 pages of 200
        args: dict[str, Any] = {"types": "public_channel,private_channel", "exclude_archived": True,
                                "limit": 200}
        if cursor:
            args["cursor"] = cursor
        r = yield call("conversations.list", args)
        for c in r.get("channels") or []:
            info = channel_info(c)
            out.append(info)
            ctx.channels[info.id] = ctx.channels[info.name] = info
        cursor = (r.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return out


def pin_item(ch: str, ts: str) -> Gen:
    """The pins.list item of (ch, ts), or None when it is not pinned."""
    r = yield call("pins.list", {"channel": ch})
    for item in r.get("items") or []:
        msg = item.get("message") or {}
        if item.get("type", "message") == "message" and msg.get("ts") == ts:
            return item
    return None


def require_user_token(ctx: Ctx, me: Me) -> None:
    if ctx.options.strategy.needs_user_token and me.is_bot:
        raise WrongTokenType(
            f"strategy {ctx.options.strategy.value!r} needs a user token (xoxp-): stars are per user "
            "and bot tokens cannot star",
            error="not_allowed_token_type", method="stars.add",
            advice="use pin+reaction (or claim) with a bot token, or give an xoxp- user token")


def reaction_users(msg: dict, name: str) -> list[str]:
    for r in msg.get("reactions") or []:
        if r.get("name") == name:
            return list(r.get("users") or [])
    return []


def is_gone(exc: SlackMQError) -> bool:
    return isinstance(exc, SlackAPIError) and exc.error in GONE_CODES
