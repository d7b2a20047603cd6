"""Validate emulator answers against Slack's OpenAPI v2 spec (../shared/slack-api-specs).

The generator of that spec writes ``items: [A, B]`` to mean "one of A, B"; :func:`_fix` rewrites it
as ``anyOf``. Where the emulator follows real Slack over the 2020 spec, :data:`DEVIATIONS` patches the
schema, each with its reason.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO.parent / "shared" / "slack-api-specs" / "slack_web_openapi_v2.json"

_STR = {"type": "string"}
_OBJ = {"type": "object"}

# Properties real Slack sends that the Oct 2020 spec does not list.
MESSAGE_EXTRAS = {
    # Granular-bot messages carry app_id (api.slack.com message reference; every bot post today).
    "app_id": _STR,
    # Message metadata (launched 2022) comes back as {event_type, event_payload}.
    "metadata": {"type": "object", "required": ["event_type", "event_payload"],
                 "properties": {"event_type": _STR, "event_payload": _OBJ}},
    # chat.update adds edited {user, ts} (message object docs; the spec omits it).
    "edited": {"type": "object", "required": ["user", "ts"]},
    # A deleted parent with replies stays as a hidden tombstone.
    "hidden": {"type": "boolean"},
}

# Error codes Slack returns for these methods that the spec's per-method enums omit.
EXTRA_ERRORS = {
    # not_in_channel: bots outside a channel (facts §3, §9); not_allowed_token_type: stars with a
    # bot token and xapp tokens elsewhere; ratelimited: HTTP 429 on every method (facts §2);
    # missing_scope / invalid_name etc. appear in the docs but not in every 2020 enum.
    "*": {"not_in_channel", "not_allowed_token_type", "ratelimited", "missing_scope",
          "channel_not_found", "invalid_cursor", "invalid_limit", "thread_not_found",
          "message_not_found", "no_item_specified", "bad_timestamp", "invalid_ts_latest",
          "invalid_ts_oldest", "invalid_arguments", "unknown_method", "invalid_name",
          # listed for these methods by today's docs (facts §3) but missing from some 2020 enums
          "invalid_types", "not_pinned", "no_text", "msg_too_long", "insecure_request"},
}


def _fix(node: Any) -> Any:
    if isinstance(node, list):
        return [_fix(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _fix(v) for k, v in node.items() if k != "items"}
    items = node.get("items")
    if isinstance(items, list):
        alts = [_fix(x) for x in items]
        if node.get("type") == "array":
            out["items"] = {"anyOf": alts}
        else:
            out["anyOf"] = alts
    elif items is not None:
        out["items"] = _fix(items)
    return out


def _patch_message(schema: dict) -> None:
    schema.setdefault("properties", {}).update(MESSAGE_EXTRAS)


@cache
def _spec() -> dict:
    spec = _fix(json.loads(SPEC.read_text()))
    defs = spec["definitions"]
    _patch_message(defs["objs_message"])
    # conversations.list/info/join: these two fields are in every real channel object today.
    for alt in defs["objs_conversation"]["anyOf"]:
        alt["properties"].update({"unlinked": {"type": "integer"}, "context_team_id": _STR})
    for name in ("/conversations.history", "/conversations.replies"):
        schema = spec["paths"][name]["get"]["responses"]["200"]["schema"]
        # Cursor pagination answers carry response_metadata.next_cursor (facts §5), which the
        # 2020 schema for these two methods leaves out; an empty channel answers messages: [].
        schema["properties"]["response_metadata"] = {"$ref": "#/definitions/objs_response_metadata"}
        schema["properties"]["messages"].pop("minItems", None)
        items = schema["properties"]["messages"]["items"]
        for alt in items.get("anyOf", [items]):
            if "properties" in alt:
                _patch_message(alt)
                # replies' inline message shapes predate bot_profile/pinned_to/reactions/blocks
                alt["properties"].update(
                    {k: v for k, v in defs["objs_message"]["properties"].items()
                     if k not in alt["properties"]})
                alt.pop("required", None)
                alt["required"] = ["type", "ts", "text"]
    return spec


def _operation(method: str) -> dict:
    ops = _spec()["paths"][f"/{method}"]
    return ops.get("get") or ops.get("post")


def validate(method: str, body: dict) -> None:
    """Raise jsonschema.ValidationError unless ``body`` fits the spec for ``method``."""
    spec = _spec()
    if f"/{method}" not in spec["paths"]:
        raise AssertionError(f"{method} is not in the 2020 spec; validate it by hand")
    responses = _operation(method)["responses"]
    if body.get("ok"):
        schema = copy.deepcopy(responses["200"]["schema"])
    else:
        schema = copy.deepcopy(responses["default"]["schema"])
        enum = schema["properties"]["error"].get("enum")
        if enum is not None:
            enum.extend(sorted(EXTRA_ERRORS["*"] - set(enum)))
        # missing_scope carries needed/provided everywhere (facts §1)
        schema["properties"].setdefault("needed", _STR)
        schema["properties"].setdefault("provided", _STR)
        schema["properties"].setdefault("req_method", _STR)
    schema["definitions"] = spec["definitions"]
    jsonschema.Draft4Validator(schema).validate(body)


def method_of(response: Any) -> str:
    return response.api_url.rstrip("/").rsplit("/", 1)[-1]


def checked(response: Any) -> Any:
    """Validate a slack_sdk (Async)SlackResponse against the spec and return it."""
    validate(method_of(response), response.data)
    return response
