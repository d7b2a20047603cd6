"""Slack's wire errors as exceptions, moto-style.

Every error the emulator answers is a :class:`SlackError` carrying the Slack ``error`` code, the
HTTP status (200 for every ``ok:false`` answer except ``ratelimited``, which is 429), optional
headers (``Retry-After``) and extra body fields (``needed`` / ``provided`` for ``missing_scope``).
``SlackError.body()`` is the one serializer for the ``ok:false`` body.

Build one either generically, ``SlackError("already_pinned")``, or through a per-code subclass,
``AlreadyPinned()``; ``SlackError.for_code(code, **extra)`` picks the subclass when one exists.
This module imports nothing from the rest of ``slackmq_core``.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

__all__ = [
    "AlreadyPinned",
    "AlreadyReacted",
    "AlreadyStarred",
    "BadTimestamp",
    "CantDeleteMessage",
    "CantUpdateMessage",
    "ChannelNotFound",
    "InsecureRequest",
    "InvalidArguments",
    "InvalidAuth",
    "InvalidCursor",
    "InvalidJson",
    "InvalidLimit",
    "InvalidName",
    "InvalidTsLatest",
    "InvalidTsOldest",
    "InvalidTypes",
    "MessageNotFound",
    "MissingScope",
    "MsgTooLong",
    "NoItemSpecified",
    "NoReaction",
    "NoText",
    "NotAllowedTokenType",
    "NotAuthed",
    "NotInChannel",
    "NotPinned",
    "NotStarred",
    "RateLimited",
    "SlackError",
    "ThreadNotFound",
    "TooManyEmoji",
    "TooManyReactions",
    "UnknownMethod",
    "UserNotFound",
]


class SlackError(Exception):
    """One Slack ``ok:false`` answer. ``code`` is Slack's ``error`` string."""

    code = "internal_error"
    status: int = 200
    _registry: ClassVar[dict[str, type[SlackError]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            SlackError._registry[cls.code] = cls

    def __init__(
        self,
        code: str | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.code = self.error = code or type(self).code  # type: ignore[misc]
        if status is not None:
            self.status = status
        self.headers: dict[str, str] = dict(headers or {})
        self.extra: dict[str, Any] = extra
        super().__init__(self.error)

    @classmethod
    def for_code(cls, code: str, **extra: Any) -> SlackError:
        """The per-code subclass for ``code`` when there is one, else a plain ``SlackError``."""
        sub = cls._registry.get(code)
        if sub is not None:
            return sub(**extra)
        return SlackError(code, **extra)

    def body(self) -> dict[str, Any]:
        """The JSON body Slack sends: ``{"ok": false, "error": code, **extra}``."""
        return {"ok": False, "error": self.error, **self.extra}

    def body_bytes(self) -> bytes:
        return json.dumps(self.body(), separators=(",", ":")).encode()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.error!r})"


def _simple(name: str, code: str, doc: str) -> type[SlackError]:
    cls = type(name, (SlackError,), {"code": code, "__doc__": doc})
    cls.__module__ = __name__
    return cls


class MissingScope(SlackError):
    """The token lacks a scope the method needs; ``needed`` and ``provided`` are comma strings."""

    code = "missing_scope"

    def __init__(self, needed: str = "", provided: str = "", **extra: Any) -> None:
        super().__init__(needed=needed, provided=provided, **extra)


class RateLimited(SlackError):
    """HTTP 429 with an integer ``Retry-After`` header and ``{"ok":false,"error":"ratelimited"}``."""

    code = "ratelimited"
    status = 429

    def __init__(self, retry_after: int = 1, **extra: Any) -> None:
        self.retry_after = max(0, int(retry_after))
        super().__init__(headers={"Retry-After": str(self.retry_after)}, **extra)


NotAuthed = _simple("NotAuthed", "not_authed", "No token was sent.")
InvalidAuth = _simple("InvalidAuth", "invalid_auth", "The token is unknown.")
NotAllowedTokenType = _simple(
    "NotAllowedTokenType", "not_allowed_token_type", "This token type may not call the method."
)
UnknownMethod = _simple("UnknownMethod", "unknown_method", "No such Web API method.")
InvalidArguments = _simple("InvalidArguments", "invalid_arguments", "An argument is malformed.")
InvalidJson = _simple("InvalidJson", "invalid_json", "The JSON body does not parse.")
InsecureRequest = _simple("InsecureRequest", "insecure_request", "Wrong verb (apps.connections.open).")
ChannelNotFound = _simple("ChannelNotFound", "channel_not_found", "Unknown or missing channel.")
NotInChannel = _simple("NotInChannel", "not_in_channel", "The caller is not a channel member.")
MessageNotFound = _simple("MessageNotFound", "message_not_found", "No message at that ts.")
BadTimestamp = _simple("BadTimestamp", "bad_timestamp", "The ts is not `seconds.micro6`.")
NoItemSpecified = _simple("NoItemSpecified", "no_item_specified", "No timestamp/file was given.")
AlreadyPinned = _simple("AlreadyPinned", "already_pinned", "The message is pinned already.")
NotPinned = _simple("NotPinned", "not_pinned", "The message is not pinned (we answer not_pinned, not no_pin).")
AlreadyReacted = _simple("AlreadyReacted", "already_reacted", "This user already added this emoji.")
NoReaction = _simple("NoReaction", "no_reaction", "This user has no such reaction on the item.")
InvalidName = _simple("InvalidName", "invalid_name", "Unknown emoji name.")
TooManyEmoji = _simple("TooManyEmoji", "too_many_emoji", "Too many distinct emoji on the item.")
TooManyReactions = _simple("TooManyReactions", "too_many_reactions", "This user reacted too often.")
AlreadyStarred = _simple("AlreadyStarred", "already_starred", "This user starred the item already.")
NotStarred = _simple("NotStarred", "not_starred", "This user has not starred the item.")
CantUpdateMessage = _simple("CantUpdateMessage", "cant_update_message", "Only the author may edit.")
CantDeleteMessage = _simple("CantDeleteMessage", "cant_delete_message", "Only the author may delete.")
ThreadNotFound = _simple("ThreadNotFound", "thread_not_found", "No thread at that ts.")
InvalidCursor = _simple("InvalidCursor", "invalid_cursor", "The cursor is not one we issued.")
InvalidLimit = _simple("InvalidLimit", "invalid_limit", "The limit is out of range.")
InvalidTypes = _simple("InvalidTypes", "invalid_types", "Unknown conversation type.")
InvalidTsLatest = _simple("InvalidTsLatest", "invalid_ts_latest", "`latest` is not a ts.")
InvalidTsOldest = _simple("InvalidTsOldest", "invalid_ts_oldest", "`oldest` is not a ts.")
UserNotFound = _simple("UserNotFound", "user_not_found", "Unknown user id.")
NoText = _simple("NoText", "no_text", "No text, blocks or attachments.")
MsgTooLong = _simple("MsgTooLong", "msg_too_long", "Text longer than Slack allows.")


def dumps(body: Any) -> bytes:
    """Compact JSON as the emulator sends it (kept here so every answer uses one encoder)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
