"""One handler per Web API method: pull arguments, check the caller, call the backend, shape the reply.

Each handler is ``fn(ctx, caller, args) -> dict`` returning the success body without ``ok``; errors
are raised as :mod:`.exceptions`. ``ctx`` is the running server's :class:`ApiContext`. Token and
scope checks common to every method live in :func:`authenticate` and :func:`authorize`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Protocol

from . import exceptions as E
from ._messages import int_arg, make_cursor, parse_ts, read_cursor, truthy
from .models import Caller, SlackBackend

if TYPE_CHECKING:
    from .urls import Route

__all__ = ["ApiContext", "authenticate", "authorize"]

HISTORY_MAX_2025 = 15


class ApiContext(Protocol):
    backend: SlackBackend
    hub: Any  # SocketModeHub
    ws_base: str
    tier1_history: bool


# -- token and scope checks ---------------------------------------------------------------------
def authenticate(backend: SlackBackend, token: str | None, cache: dict[str, Caller]) -> Caller:
    if not token:
        raise E.NotAuthed()
    caller = cache.get(token)
    if caller is not None:
        return caller
    tok = backend.workspace.token(token)
    if tok is None:
        raise E.InvalidAuth()
    scopes = frozenset(tok.scopes)
    if tok.kind == "app":
        caller = Caller(user="", kind="app", scopes=scopes, app_id=tok.app)
    else:
        user = backend.workspace.user(tok.user or "")
        if user is None:
            raise E.InvalidAuth()
        kind = tok.kind
        caller = Caller(user.id, kind, scopes, user.app_id if kind == "bot" else None,
                        user.bot_id if kind == "bot" else None)
    cache[token] = caller
    return caller


def need_scope(caller: Caller, scope: str) -> None:
    if scope not in caller.scopes:
        raise E.MissingScope(needed=scope, provided=",".join(sorted(caller.scopes)))


def authorize(route: Route, caller: Caller) -> None:
    if caller.kind not in route.kinds:
        raise E.NotAllowedTokenType()
    scope = route.user_scope if (caller.kind == "user" and route.user_scope) else route.scope
    if scope:
        need_scope(caller, scope)


def _private_scope(ctx: ApiContext, caller: Caller, cid: str, scope: str) -> None:
    if ctx.backend.is_private(cid):
        need_scope(caller, scope)


def _json_arg(value: Any) -> Any:
    if isinstance(value, str) and value:
        try:
            return json.loads(value)
        except ValueError:
            raise E.InvalidArguments() from None
    return value


def _limit(value: Any, default: int, maximum: int) -> int:
    n = int_arg(value, default)
    if n is None or n < 0:
        raise E.InvalidLimit()
    return default if n == 0 else min(n, maximum)


def _bound(value: Any, err: type[E.SlackError]) -> str | None:
    if value in (None, ""):
        return None
    ts = parse_ts(value)
    if ts is None:
        raise err()
    return ts


# -- handlers -----------------------------------------------------------------------------------
def auth_test(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    team = ctx.backend.workspace.team
    user = ctx.backend.workspace.user(caller.user)
    out = {"url": f"https://{team.domain}.slack.com/", "team": team.name,
           "user": user.name if user else "", "team_id": team.id, "user_id": caller.user}
    if caller.bot_id:
        out["bot_id"] = caller.bot_id
    out["is_enterprise_install"] = False
    return out


def conversations_list(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    kinds = [t.strip() for t in str(args.get("types") or "public_channel").split(",") if t.strip()]
    for t in kinds:
        if t not in ("public_channel", "private_channel", "mpim", "im"):
            raise E.InvalidTypes()
    if "private_channel" in kinds:
        need_scope(caller, "groups:read")
    limit = int_arg(args.get("limit"), 100)
    if limit is None or limit < 0 or limit >= 1000:
        raise E.InvalidLimit()
    limit = limit or 100
    start = int(read_cursor(args.get("cursor"), "off") or 0)
    chans = [c for c in ctx.backend.visible_channels(caller)
             if ("private_channel" if c.is_private else "public_channel") in kinds]
    page = chans[start:start + limit]
    nxt = make_cursor("off", start + limit) if start + limit < len(chans) else ""
    return {"channels": [ctx.backend.channel_object(caller, c.id) for c in page],
            "response_metadata": {"next_cursor": nxt}}


def conversations_info(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    cid = ctx.backend.channel_id(args.get("channel"))
    if ctx.backend.is_private(cid) and not ctx.backend.is_member(caller.user, cid):
        raise E.ChannelNotFound()
    _private_scope(ctx, caller, cid, "groups:read")
    return {"channel": ctx.backend.channel_object(caller, cid)}


def _read_args(ctx: ApiContext, args: dict, default: int, maximum: int) -> dict:
    if ctx.tier1_history:
        default = maximum = HISTORY_MAX_2025  # the 2025 rule: limit adjusted down to 15
    return {
        "latest": _bound(args.get("latest"), E.InvalidTsLatest),
        "oldest": _bound(args.get("oldest"), E.InvalidTsOldest),
        "inclusive": truthy(args.get("inclusive")),
        "limit": _limit(args.get("limit"), default, maximum),
        "cursor": args.get("cursor"),
        "all_metadata": truthy(args.get("include_all_metadata")),
    }


def conversations_history(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    cid = ctx.backend.access(caller, args.get("channel"), write=False)
    _private_scope(ctx, caller, cid, "groups:history")
    return ctx.backend.history(caller, cid, **_read_args(ctx, args, 100, 999))


def conversations_replies(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    cid = ctx.backend.access(caller, args.get("channel"), write=False)
    _private_scope(ctx, caller, cid, "groups:history")
    ts = parse_ts(args.get("ts"))
    if ts is None:
        raise E.ThreadNotFound()
    return ctx.backend.replies(caller, cid, ts, **_read_args(ctx, args, 1000, 1000))


def conversations_join(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    cid = ctx.backend.channel_id(args.get("channel"))
    return ctx.backend.join(caller, cid)


def chat_post_message(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    b = ctx.backend
    try:
        cid = b.access(caller, args.get("channel"), write=True, allow_name=True)
    except E.NotInChannel:
        if "chat:write.public" not in caller.scopes:
            raise
        cid = b.channel_id(args.get("channel"), allow_name=True)
    thread_ts = None
    if args.get("thread_ts") not in (None, ""):
        thread_ts = parse_ts(args.get("thread_ts"))
        if thread_ts is None:
            raise E.SlackError("invalid_thread_ts")
    msg = b.post_message(
        caller, cid, str(args.get("text") or ""), thread_ts=thread_ts,
        reply_broadcast=truthy(args.get("reply_broadcast")),
        blocks=_json_arg(args.get("blocks")), attachments=_json_arg(args.get("attachments")),
        metadata=_metadata(args.get("metadata")),
    )
    return {"channel": cid, "ts": msg["ts"], "message": msg}


def _metadata(value: Any) -> dict | None:
    value = _json_arg(value)
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict) or not value.get("event_type"):
        raise E.SlackError("invalid_metadata_format")
    payload = value.get("event_payload", {})
    if not isinstance(payload, dict):
        raise E.SlackError("invalid_metadata_format")
    return {"event_type": str(value["event_type"]), "event_payload": payload}


def chat_update(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    cid, ts = _message_ref(ctx, caller, args, "ts")
    text = args.get("text")
    msg = ctx.backend.update_message(
        caller, cid, ts, None if text is None else str(text),
        blocks=_json_arg(args.get("blocks")), attachments=_json_arg(args.get("attachments")),
        metadata=_metadata(args.get("metadata")),
    )
    return {"channel": cid, "ts": ts, "text": msg.get("text", ""), "message": msg}


def chat_delete(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    cid, ts = _message_ref(ctx, caller, args, "ts")
    ctx.backend.delete_message(caller, cid, ts)
    return {"channel": cid, "ts": ts}


def _message_ref(ctx: ApiContext, caller: Caller, args: dict, key: str) -> tuple[str, str]:
    cid = ctx.backend.access(caller, args.get("channel"), write=True)
    ts = parse_ts(args.get(key))
    if ts is None:
        raise E.MessageNotFound()
    return cid, ts


def pins_add(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    ctx.backend.pins_add(caller, args.get("channel"), args.get("timestamp"))
    return {}


def pins_remove(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    ctx.backend.pins_remove(caller, args.get("channel"), args.get("timestamp"))
    return {}


def pins_list(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    return {"items": ctx.backend.pins_list(caller, args.get("channel"))}


def stars_add(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    ctx.backend.stars_add(caller, args.get("channel"), args.get("timestamp"))
    return {}


def stars_remove(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    ctx.backend.stars_remove(caller, args.get("channel"), args.get("timestamp"))
    return {}


def stars_list(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    count = _limit(args.get("limit") or args.get("count"), 100, 1000)
    page = int_arg(args.get("page"), 1)
    if page is None or page < 1:
        raise E.InvalidArguments()
    return ctx.backend.stars_list(caller, count, page)


def reactions_add(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    ctx.backend.reactions_add(caller, args.get("channel"), args.get("timestamp"), args.get("name"))
    return {}


def reactions_remove(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    ctx.backend.reactions_remove(caller, args.get("channel"), args.get("timestamp"),
                                 args.get("name"))
    return {}


def reactions_get(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    return ctx.backend.reactions_get(caller, args.get("channel"), args.get("timestamp"))


def _user_object(ctx: ApiContext, user: Any) -> dict:
    team = ctx.backend.workspace.team
    real = user.real_name or user.name
    profile: dict[str, Any] = {
        "real_name": real, "real_name_normalized": real, "display_name": user.name,
        "display_name_normalized": user.name, "avatar_hash": "g0000000000a", "title": "",
        "phone": "", "skype": "", "status_text": "", "status_emoji": "", "fields": None,
        "team": team.id,
    }
    if user.is_bot:
        profile["bot_id"] = user.bot_id
        profile["api_app_id"] = user.app_id
        profile["always_active"] = True
    return {
        "id": user.id, "team_id": team.id, "name": user.name, "deleted": False,
        "real_name": real, "tz": "Europe/London", "tz_label": "British Summer Time",
        "tz_offset": 3600, "profile": profile, "is_admin": False, "is_owner": False,
        "is_primary_owner": False, "is_restricted": False, "is_ultra_restricted": False,
        "is_bot": user.is_bot, "is_app_user": False, "updated": 1_700_000_000,
    }


def users_info(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    return {"user": _user_object(ctx, ctx.backend.find_user(args.get("user")))}


def users_list(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    users = ctx.backend.workspace.users
    limit = int_arg(args.get("limit"), 0)
    if limit is None or limit < 0:
        raise E.InvalidLimit()
    start = int(read_cursor(args.get("cursor"), "off") or 0)
    end = len(users) if limit == 0 else start + limit
    nxt = make_cursor("off", end) if end < len(users) else ""
    return {"members": [_user_object(ctx, u) for u in users[start:end]],
            "cache_ts": int(ctx.backend.clock()), "response_metadata": {"next_cursor": nxt}}


def apps_connections_open(ctx: ApiContext, caller: Caller, args: dict) -> dict:
    if ctx.hub is None:
        raise E.SlackError("internal_error")
    return {"url": ctx.hub.open_connection_url(caller.app_id or "", ctx.ws_base)}
