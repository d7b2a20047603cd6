"""Claim notes: the lease a holder writes into the message's thread.

A claim note is a thread reply whose message metadata is ``{"event_type": "slackmq_claim",
"event_payload": {"worker_id", "host", "pid", "lease_expires", "claim_id"}}``. It tells operators
which *process* holds a lock when many share one token, and how long its lease lasts. ``heartbeat``
rewrites it with ``chat.update`` (a later ``lease_expires``); ``release`` deletes it. A failure
reason is a second kind of note, ``slackmq_failed`` with ``{"worker_id", "reason"}``.

A release note (``slackmq_release`` with ``{"users", "by", "at"}``) is what an operator's
force-release or reap posts when it could not remove some user's lock reaction (only the reactor can):
it records that those users' reactions are leftovers of a released lock, so acquire's tie-break and
the inspector ignore them (see ``_state.released_users`` for how long it covers a user).

Slack returns other apps' metadata only with ``include_all_metadata=true``, so every read of a
thread here asks for it. Only the author can edit or delete a bot's message: an operator cannot
delete another bot's claim note, but an expired note does not block anyone (``Lease.alive``).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from slackmq_core._model import Holder, Lease

__all__ = ["CLAIM_EVENT", "FAILED_EVENT", "RELEASE_EVENT", "NoteInfo", "claim_metadata", "claim_text",
           "failed_metadata", "new_claim_id", "parse_note", "default_worker_id", "release_metadata",
           "release_text", "ts_key"]

CLAIM_EVENT = "slackmq_claim"
FAILED_EVENT = "slackmq_failed"
RELEASE_EVENT = "slackmq_release"


def default_worker_id() -> str:
    """``host:pid`` — unique per process on one machine."""
    return f"{socket.gethostname()}:{os.getpid()}"


def new_claim_id() -> str:
    return uuid.uuid4().hex[:16]


def ts_key(ts: str) -> tuple[int, int]:
    """Order Slack ts strings exactly (never as floats)."""
    sec, _, frac = str(ts).partition(".")
    return int(sec or 0), int((frac or "0").ljust(6, "0")[:6])


def claim_metadata(*, worker_id: str, host: str, pid: int, expires_at: float, claim_id: str) -> dict:
    return {"event_type": CLAIM_EVENT, "event_payload": {
        "worker_id": worker_id, "host": host, "pid": pid,
        "lease_expires": round(float(expires_at), 3), "claim_id": claim_id}}


def claim_text(worker_id: str, expires_at: float) -> str:
    return f":lock: claimed by `{worker_id}` (lease until {int(expires_at)})"


def failed_metadata(*, worker_id: str, reason: str) -> dict:
    return {"event_type": FAILED_EVENT, "event_payload": {"worker_id": worker_id, "reason": reason}}


def release_metadata(*, users: list[str], by: str, at: float) -> dict:
    return {"event_type": RELEASE_EVENT, "event_payload": {"users": list(users), "by": by,
                                                           "at": round(float(at), 3)}}


def release_text(by: str, who: list[str], reaction: str) -> str:
    names = ", ".join(who)
    one = len(who) == 1
    return (f":unlock: released by {by}: the :{reaction}: of {names} could not be removed (only "
            f"{'that bot' if one else 'those users'} can); workers ignore {'it' if one else 'them'}")


@dataclass(frozen=True)
class NoteInfo:
    """One slackmq note found in a thread."""

    kind: str                  # CLAIM_EVENT, FAILED_EVENT or RELEASE_EVENT
    ts: str
    user: str
    worker_id: str
    claim_id: str = ""
    host: str = ""
    pid: int = 0
    expires_at: float = 0.0
    reason: str = ""
    users: tuple[str, ...] = ()   # RELEASE_EVENT: the users whose lock reaction is a leftover

    def lease(self, holder: Holder | None = None) -> Lease:
        return Lease(worker_id=self.worker_id, host=self.host, pid=self.pid,
                     expires_at=self.expires_at, note_ts=self.ts, holder=holder)


def parse_note(msg: dict) -> NoteInfo | None:
    """The slackmq note carried by a thread reply, or None."""
    meta = msg.get("metadata") or {}
    kind = meta.get("event_type")
    if kind not in (CLAIM_EVENT, FAILED_EVENT, RELEASE_EVENT):
        return None
    payload: dict[str, Any] = meta.get("event_payload") or {}
    try:
        users = payload.get("users") or ()
        if isinstance(users, str) or not all(isinstance(u, str) for u in users):
            return None
        return NoteInfo(kind=kind, ts=str(msg.get("ts", "")), user=str(msg.get("user", "")),
                        worker_id=str(payload.get("worker_id", "")),
                        claim_id=str(payload.get("claim_id", "")), host=str(payload.get("host", "")),
                        pid=int(payload.get("pid") or 0),
                        expires_at=float(payload.get("lease_expires") or 0.0),
                        reason=str(payload.get("reason", "")),
                        users=tuple(users) if kind == RELEASE_EVENT else ())
    except (TypeError, ValueError):
        return None


def read_notes(call_factory: Any, channel: str, ts: str) -> Generator[Any, Any, tuple[dict, list[NoteInfo]]]:
    """Yield conversations.replies pages; return (parent message, notes oldest first)."""
    parent: dict = {}
    notes: list[NoteInfo] = []
    cursor = None
    for _ in range(20):  # bounded: 20 pages of 200 replies
        args: dict[str, Any] = {"channel": channel, "ts": ts, "limit": 200, "include_all_metadata": True}
        if cursor:
            args["cursor"] = cursor
        reply = yield call_factory("conversations.replies", args)
        for msg in reply.get("messages") or []:
            if msg.get("ts") == ts:
                parent = msg
                continue
            note = parse_note(msg)
            if note is not None:
                notes.append(note)
        cursor = (reply.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    notes.sort(key=lambda n: ts_key(n.ts))
    return parent, notes
