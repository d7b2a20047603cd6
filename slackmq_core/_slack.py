"""The slack_sdk boundary: the only place clients are built and errors are translated.

``make_client`` / ``make_async_client`` build a ``WebClient`` / ``AsyncWebClient`` for a token and a
base URL (argument, else ``$SLACKMQ_API_URL``, else Slack). slack_sdk's own retry handlers are turned
off: the lock drivers own the retry policy (a blind resend of a write whose answer was lost would
hide an ambiguous outcome from the protocol).

``translate`` turns whatever a call raised (``SlackApiError``, urllib / aiohttp / socket errors,
non-JSON answers) into one of :mod:`slackmq_core._exceptions`, with a one-line message naming the
method and the code and a plain-English ``advice``. ``is_transient`` says whether an error may be
retried. No message ever contains a token.
"""

from __future__ import annotations

import asyncio
import http.client
import logging
import os
import re
import socket
import urllib.error
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from slackmq_core._exceptions import (
    AuthError,
    ChannelNotFound,
    InputError,
    MessageNotFound,
    MissingScope,
    RateLimited,
    SlackAPIError,
    SlackMQError,
    TransportError,
    WrongTokenType,
)
from slackmq_core._logging import redact
from slackmq_core._tokens import token_kind

__all__ = [
    "DEFAULT_API_URL",
    "is_transient",
    "make_async_client",
    "make_client",
    "make_socket_mode_client",
    "redact",
    "resolve_base_url",
    "scopes_of",
    "token_type_of",
    "translate",
]

DEFAULT_API_URL = "https://slack.com/api/"

_AUTH_CODES = {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired",
               "no_permission", "team_access_not_granted", "org_login_required", "ekm_access_denied"}
_CHANNEL_CODES = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_limited_access"}
_MESSAGE_CODES = {"message_not_found", "bad_timestamp", "thread_not_found", "no_item_specified"}
_TRANSIENT_CODES = {"internal_error", "fatal_error", "request_timeout", "service_unavailable",
                    "ratelimited"}

_ADVICE = {
    "not_authed": "no token was sent: set the bot token in the profile or SLACK_BOT_TOKEN",
    "invalid_auth": "the token is not valid for this workspace: check it, or reinstall the app",
    "token_revoked": "the token was revoked: reinstall the app and use the new token",
    "token_expired": "the token expired: refresh it (token rotation) or reinstall the app",
    "account_inactive": "the token's user or bot was deactivated: reinstall the app",
    "no_permission": "the workspace does not let this token do that: ask an admin",
    "channel_not_found": "check the channel name or id, and that the token can see the channel",
    "not_in_channel": "invite the bot to the channel (/invite @bot) or call conversations.join",
    "is_archived": "the channel is archived: unarchive it or use another channel",
    "message_not_found": "the message is gone (deleted?) or the ts is wrong: copy it again",
    "bad_timestamp": "the ts is not a message of this channel: copy it again (format 1700000000.000100)",
    "thread_not_found": "the message is gone or the ts is wrong",
    "not_allowed_token_type": "this method needs another kind of token (stars need a user xoxp- token)",
    "restricted_action": "a workspace admin restricted this action (e.g. who may pin): ask an admin",
    "cant_delete_message": "only the author (the bot that posted it) can delete this message",
    "cant_update_message": "only the author (the bot that posted it) can edit this message",
    "too_many_pins": "the channel has too many pins: unpin old messages or reap stale locks",
    "invalid_name": "unknown emoji: use a standard emoji name or add a custom one",
    "ratelimited": "Slack rate-limited the app for too long: slow down or spread work over tokens",
}


def resolve_base_url(base_url: str | None = None) -> str:
    """The API base URL: ``base_url`` > ``$SLACKMQ_API_URL`` > https://slack.com/api/ (ends in /)."""
    url = (base_url or os.environ.get("SLACKMQ_API_URL") or DEFAULT_API_URL).strip()
    if not re.match(r"^https?://[^\s/]+", url):
        raise InputError(
            f"bad API URL {url!r}: give a base URL such as https://slack.com/api/ "
            "or http://127.0.0.1:8765/api/"
        )
    return url if url.endswith("/") else url + "/"


def _check_token(token: str) -> str:
    if not isinstance(token, str) or not token.strip():
        raise InputError("no Slack token given: pass an xoxb- (bot) or xoxp- (user) token")
    return token.strip()


def make_client(token: str, *, base_url: str | None = None, timeout: float = 10.0) -> WebClient:
    """A sync ``WebClient`` on ``resolve_base_url(base_url)``; retries are the driver's job."""
    return WebClient(token=_check_token(token), base_url=resolve_base_url(base_url),
                     timeout=int(max(1, timeout)), retry_handlers=[])


def make_async_client(token: str, *, base_url: str | None = None, timeout: float = 10.0) -> AsyncWebClient:
    """An ``AsyncWebClient`` on ``resolve_base_url(base_url)``; retries are the driver's job."""
    return AsyncWebClient(token=_check_token(token), base_url=resolve_base_url(base_url),
                          timeout=int(max(1, timeout)), retry_handlers=[])


def make_socket_mode_client(app_token: str, *, web_client: AsyncWebClient, ping_interval: float = 5.0) -> Any:
    """slack_sdk's aiohttp ``SocketModeClient`` for an ``xapp-`` token (needs a running event loop).

    ``web_client`` is the client ``apps.connections.open`` goes through, so it decides the API URL
    (build it with ``make_async_client``). Added for the Watcher (watch.py).
    """
    from slack_sdk.socket_mode.aiohttp import SocketModeClient  # noqa: PLC0415 - only when used

    return SocketModeClient(_check_token(app_token), web_client=web_client, ping_interval=ping_interval,
                            logger=logging.getLogger("slackmq.socket"))


def token_type_of(token: str | None) -> str:
    """``bot`` / ``user`` / ``app`` from the token's prefix (``unknown`` if none)."""
    return token_kind(token) if token else "unknown"


def scopes_of(headers: Any) -> tuple[str, ...]:
    """The token's scopes from an ``X-OAuth-Scopes`` response header (any header mapping)."""
    if not headers:
        return ()
    value = None
    for key, val in dict(headers).items():
        if str(key).lower() == "x-oauth-scopes":
            value = val[0] if isinstance(val, list) and val else val
            break
    if not value:
        return ()
    return tuple(sorted(s.strip() for s in str(value).split(",") if s.strip()))


def _header(headers: Any, name: str) -> str | None:
    for key, val in dict(headers or {}).items():
        if str(key).lower() == name.lower():
            return val[0] if isinstance(val, list) and val else str(val)
    return None


def _retry_after(headers: Any) -> float:
    raw = _header(headers, "retry-after")
    try:
        return max(0.0, float(int(str(raw).strip())))
    except (TypeError, ValueError):
        return 1.0


def translate(exc: BaseException, method: str) -> SlackMQError:
    """Turn anything a slack_sdk call raised into a slackmq error (returned, not raised)."""
    if isinstance(exc, SlackMQError):
        return exc
    if isinstance(exc, SlackApiError):
        return _translate_api_error(exc, method)
    kind = _transport_kind(exc)
    err = TransportError(redact(f"{method}: {kind} ({type(exc).__name__}: {exc})"))
    err.advice = "check the network and the API URL (SLACKMQ_API_URL); the call will be retried"
    return err


def _transport_kind(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, socket.timeout, asyncio.TimeoutError)):
        return "timed out"
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, (TimeoutError, socket.timeout)):
        return "timed out"
    if isinstance(exc, (ConnectionError, http.client.HTTPException, urllib.error.URLError)):
        return "connection failed"
    try:
        import aiohttp  # noqa: PLC0415 - only to classify its errors
        if isinstance(exc, aiohttp.ServerTimeoutError):
            return "timed out"
        if isinstance(exc, aiohttp.ClientError):
            return "connection failed"
    except ImportError:  # pragma: no cover - aiohttp is a dependency
        pass
    if isinstance(exc, SlackClientError):
        return "client error"
    return "unexpected error"


def _translate_api_error(exc: SlackApiError, method: str) -> SlackMQError:
    response = exc.response
    status = int(getattr(response, "status_code", 200) or 200)
    data = getattr(response, "data", None)
    body = data if isinstance(data, dict) else {}
    headers = getattr(response, "headers", None) or {}
    code = str(body.get("error") or "")
    if status == 429 or code == "ratelimited":
        return RateLimited(
            f"{method}: rate limited by Slack (HTTP {status}, Retry-After {_retry_after(headers):.0f} s)",
            error="ratelimited", method=method, status=status,
            retry_after=_retry_after(headers), advice=_ADVICE["ratelimited"])
    if status >= 500 or not code or code.startswith("Received "):
        # 5xx, or a body that is not Slack JSON: the call may or may not have taken effect.
        err = TransportError(f"{method}: Slack answered HTTP {status} without a Slack error code")
        err.advice = "Slack or the network failed; the call is retried with backoff"
        err.status = status  # type: ignore[attr-defined]
        return err
    needed = body.get("needed")
    provided = body.get("provided")
    kwargs: dict[str, Any] = {"error": code, "method": method, "status": status,
                              "needed": needed, "provided": provided}
    if code == "missing_scope":
        scope = needed or "(unknown)"
        return MissingScope(f"{method}: missing scope {scope}",
                            advice=f"missing scope {scope} — add it to the app and reinstall", **kwargs)
    if code in _AUTH_CODES:
        return AuthError(f"{method}: {code}", advice=_ADVICE.get(code, "check the token"), **kwargs)
    if code == "not_allowed_token_type":
        return WrongTokenType(f"{method}: not_allowed_token_type", advice=_ADVICE[code], **kwargs)
    if code in _CHANNEL_CODES:
        return ChannelNotFound(f"{method}: {code}", advice=_ADVICE.get(code, ""), **kwargs)
    if code in _MESSAGE_CODES:
        return MessageNotFound(f"{method}: {code}", advice=_ADVICE.get(code, ""), **kwargs)
    return SlackAPIError(f"{method}: {code}", advice=_ADVICE.get(code, ""), **kwargs)


def is_transient(err: SlackMQError) -> bool:
    """May the call be retried after a backoff? (5xx, timeouts, connection errors, internal_error)"""
    if isinstance(err, RateLimited):
        return False  # waited out separately, by Retry-After
    if isinstance(err, TransportError):
        return True
    return isinstance(err, SlackAPIError) and err.error in _TRANSIENT_CODES


def response_parts(response: Any) -> tuple[dict, dict]:
    """(data, headers) of a SlackResponse, as plain dicts."""
    data = getattr(response, "data", response)
    headers = getattr(response, "headers", None) or {}
    return (dict(data) if isinstance(data, dict) else {}), dict(headers)
