"""The Web API routing table: method name -> handler, tier, scopes, token types.

``scope`` is the scope Slack asks for with a public channel; ``private_scope`` the one for a private
channel (``groups:*``), checked by the handler once it knows the channel. ``kinds`` are the token
types allowed (``bot`` xoxb, ``user`` xoxp, ``app`` xapp); any other gets ``not_allowed_token_type``.
Tiers: ``1``-``4`` as Slack's tiers, ``post`` for chat.postMessage (about 1/s per channel),
``history`` for conversations.history/replies (Tier 3, or Tier 1 under the 2025 rule).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import responses as r

__all__ = ["ROUTES", "Route"]


@dataclass(frozen=True)
class Route:
    handler: Callable[..., Any]
    tier: str
    scope: str | None = None
    private_scope: str | None = None
    kinds: frozenset[str] = frozenset({"bot", "user"})
    user_scope: str | None = None  # when user tokens need a different scope than bots
    post_only: bool = False


_USER = frozenset({"user"})
_APP = frozenset({"app"})

ROUTES: dict[str, Route] = {
    "auth.test": Route(r.auth_test, "4"),
    "conversations.list": Route(r.conversations_list, "2", "channels:read"),
    "conversations.info": Route(r.conversations_info, "3", "channels:read", "groups:read"),
    "conversations.history": Route(r.conversations_history, "history", "channels:history",
                                   "groups:history"),
    "conversations.replies": Route(r.conversations_replies, "history", "channels:history",
                                   "groups:history"),
    "conversations.join": Route(r.conversations_join, "3", "channels:join",
                                user_scope="channels:write"),
    "chat.postMessage": Route(r.chat_post_message, "post", "chat:write"),
    "chat.update": Route(r.chat_update, "3", "chat:write"),
    "chat.delete": Route(r.chat_delete, "3", "chat:write"),
    "pins.add": Route(r.pins_add, "2", "pins:write"),
    "pins.remove": Route(r.pins_remove, "2", "pins:write"),
    "pins.list": Route(r.pins_list, "2", "pins:read"),
    "stars.add": Route(r.stars_add, "2", "stars:write", kinds=_USER),
    "stars.remove": Route(r.stars_remove, "2", "stars:write", kinds=_USER),
    "stars.list": Route(r.stars_list, "3", "stars:read", kinds=_USER),
    "reactions.add": Route(r.reactions_add, "3", "reactions:write"),
    "reactions.remove": Route(r.reactions_remove, "2", "reactions:write"),
    "reactions.get": Route(r.reactions_get, "3", "reactions:read"),
    "users.info": Route(r.users_info, "4", "users:read"),
    "users.list": Route(r.users_list, "2", "users:read"),
    "apps.connections.open": Route(r.apps_connections_open, "3", "connections:write",
                                   kinds=_APP, post_only=True),
}
