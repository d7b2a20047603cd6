"""Every Web API method and error, through the real sync slack_sdk WebClient over HTTP.

Every answer (ok and ok:false) is validated against Slack's OpenAPI v2 spec (emu_schema.py).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from emu_schema import checked
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

JOBS = "C0JOBS0001"
RANDOM = "C0RANDOM01"
PRIVATE = "G0PRIVATE1"
ALPHA, BRAVO, DANA, PUBLISHER = "U0ALPHA001", "U0BRAVO001", "U0OPSDANA1", "U0PUBLSH01"


def error(fn, **kwargs) -> dict:
    with pytest.raises(SlackApiError) as info:
        fn(**kwargs)
    checked(info.value.response)
    assert info.value.response.status_code == 200
    return info.value.response.data


# -- auth ---------------------------------------------------------------------------------------
def test_auth_test_bot_and_user(clients):
    bot = checked(clients["alpha"].auth_test())
    assert (bot["user_id"], bot["bot_id"], bot["team_id"]) == (ALPHA, "B0ALPHA0001", "T0SLACKMQ1")
    human = checked(clients["dana"].auth_test())
    assert human["user_id"] == DANA and "bot_id" not in human


def test_auth_errors(emulator):
    assert error(WebClient(base_url=emulator.base_url).auth_test)["error"] == "not_authed"
    bad = WebClient(token="xoxb-nope", base_url=emulator.base_url)
    assert error(bad.auth_test)["error"] == "invalid_auth"
    app = WebClient(token="xapp-emu-alpha", base_url=emulator.base_url)
    assert error(app.auth_test)["error"] == "not_allowed_token_type"


def test_unknown_method(clients):
    with pytest.raises(SlackApiError) as info:
        clients["alpha"].api_call("chat.teleport")
    assert info.value.response.status_code == 200
    assert info.value.response.data == {"ok": False, "error": "unknown_method",
                                        "req_method": "chat.teleport"}


# -- conversations ------------------------------------------------------------------------------
def test_conversations_list_pages_and_types(clients):
    first = checked(clients["console"].conversations_list(limit=2))
    assert len(first["channels"]) == 2
    names = []
    for page in clients["console"].conversations_list(limit=2):  # follows next_cursor
        checked(page)
        names += [c["name"] for c in page["channels"]]
    assert names == ["jobs", "builds", "general", "random"]  # public only by default
    both = checked(clients["console"].conversations_list(types="public_channel,private_channel"))
    assert "ops-private" in [c["name"] for c in both["channels"]]
    by_name = {c["name"]: c for c in both["channels"]}
    assert by_name["jobs"]["is_member"] and not by_name["random"]["is_member"]
    alpha = checked(clients["alpha"].conversations_list(types="private_channel"))
    assert alpha["channels"] == []  # private channels only for members
    assert error(clients["alpha"].conversations_list, types="dm")["error"] == "invalid_types"
    assert error(clients["alpha"].conversations_list, cursor="zzz")["error"] == "invalid_cursor"
    assert error(clients["alpha"].conversations_list, limit=1000)["error"] == "invalid_limit"


def test_conversations_info(clients):
    info = checked(clients["alpha"].conversations_info(channel=JOBS))["channel"]
    assert (info["id"], info["name"], info["is_member"]) == (JOBS, "jobs", True)
    assert error(clients["alpha"].conversations_info, channel="C0NOPE0000")["error"] == \
        "channel_not_found"
    assert error(clients["alpha"].conversations_info, channel=PRIVATE)["error"] == \
        "channel_not_found"
    assert checked(clients["dana"].conversations_info(channel=PRIVATE))["channel"]["is_private"]


def test_join_then_read(clients):
    alpha = clients["alpha"]
    assert error(alpha.conversations_history, channel=RANDOM)["error"] == "not_in_channel"
    joined = checked(alpha.conversations_join(channel=RANDOM))
    assert joined["channel"]["is_member"]
    assert checked(alpha.conversations_history(channel=RANDOM))["messages"] == []
    again = checked(alpha.conversations_join(channel=RANDOM))
    assert again["warning"] == "already_in_channel"
    assert error(alpha.conversations_join, channel=PRIVATE)["error"] == "channel_not_found"


def test_user_token_reads_public_channel_it_is_not_in(clients, emulator):
    ts = emulator.control.post(JOBS, PUBLISHER, "job")
    olga = clients["olga"]
    assert checked(olga.conversations_history(channel=JOBS))["messages"][0]["ts"] == ts
    assert error(olga.pins_add, channel=JOBS, timestamp=ts)["error"] == "not_in_channel"


def test_history_order_bounds_and_cursor(clients, emulator):
    ts = [emulator.control.post(JOBS, PUBLISHER, f"job {i}") for i in range(5)]
    alpha = clients["alpha"]
    h = checked(alpha.conversations_history(channel=JOBS))
    assert [m["ts"] for m in h["messages"]] == ts[::-1]
    assert h["has_more"] is False and h["response_metadata"]["next_cursor"] == ""
    assert all(a > b for a, b in zip(ts[1:], ts))  # strictly increasing
    mid = checked(alpha.conversations_history(channel=JOBS, oldest=ts[1], latest=ts[3]))
    assert [m["ts"] for m in mid["messages"]] == [ts[2]]  # bounds exclusive by default
    inc = checked(alpha.conversations_history(channel=JOBS, oldest=ts[1], latest=ts[3],
                                              inclusive=True))
    assert [m["ts"] for m in inc["messages"]] == [ts[3], ts[2], ts[1]]
    one = checked(alpha.conversations_history(channel=JOBS, latest=ts[2], inclusive=True, limit=1))
    assert [m["text"] for m in one["messages"]] == ["job 2"]
    seen = []
    for page in alpha.conversations_history(channel=JOBS, limit=2):
        checked(page)
        seen += [m["ts"] for m in page["messages"]]
    assert seen == ts[::-1]
    page = checked(alpha.conversations_history(channel=JOBS, limit=2))
    assert page["has_more"] is True and page["response_metadata"]["next_cursor"]
    assert error(alpha.conversations_history, channel=JOBS, latest="soon")["error"] == \
        "invalid_ts_latest"
    assert error(alpha.conversations_history, channel=JOBS, oldest="x")["error"] == \
        "invalid_ts_oldest"
    assert error(alpha.conversations_history, channel=JOBS, cursor="bm9wZQ==")["error"] == \
        "invalid_cursor"
    assert error(alpha.conversations_history, channel="C0NOPE0000")["error"] == \
        "channel_not_found"


def test_threads_history_and_replies(clients):
    alpha, bravo = clients["alpha"], clients["bravo"]
    parent = checked(alpha.chat_postMessage(channel=JOBS, text="parent"))["ts"]
    r1 = checked(bravo.chat_postMessage(channel=JOBS, text="r1", thread_ts=parent))
    assert r1["message"]["thread_ts"] == parent and r1["message"]["parent_user_id"] == ALPHA
    r2 = checked(alpha.chat_postMessage(channel=JOBS, text="r2", thread_ts=parent,
                                        reply_broadcast=True))["ts"]
    hist = checked(alpha.conversations_history(channel=JOBS))["messages"]
    assert [m["text"] for m in hist] == ["r2", "parent"]  # r1 hidden, the broadcast shown
    assert hist[0]["subtype"] == "thread_broadcast"
    assert (hist[1]["reply_count"], hist[1]["reply_users"], hist[1]["latest_reply"]) == \
        (2, [BRAVO, ALPHA], r2)
    rep = checked(alpha.conversations_replies(channel=JOBS, ts=parent))["messages"]
    assert [m["text"] for m in rep] == ["parent", "r1", "r2"]
    assert all(m["thread_ts"] == parent for m in rep)
    paged = []
    for page in alpha.conversations_replies(channel=JOBS, ts=parent, limit=2):
        checked(page)
        paged += [m["text"] for m in page["messages"]]
    assert paged == ["parent", "r1", "r2"]
    lone = checked(alpha.chat_postMessage(channel=JOBS, text="lone"))["ts"]
    assert [m["text"] for m in alpha.conversations_replies(channel=JOBS, ts=lone)["messages"]] \
        == ["lone"]
    assert error(alpha.conversations_replies, channel=JOBS, ts="1.000001")["error"] == \
        "thread_not_found"


def test_metadata_round_trip(clients):
    meta = {"event_type": "job_claimed", "event_payload": {"worker": "alpha", "n": 3}}
    posted = checked(clients["alpha"].chat_postMessage(channel=JOBS, text="m", metadata=meta))
    assert posted["message"]["metadata"] == meta
    other = clients["bravo"]
    assert "metadata" not in checked(other.conversations_history(channel=JOBS))["messages"][0]
    full = checked(other.conversations_history(channel=JOBS, include_all_metadata=True))
    assert full["messages"][0]["metadata"] == meta
    own = checked(clients["alpha"].conversations_history(channel=JOBS))
    assert own["messages"][0]["metadata"] == meta  # an app sees its own metadata
    rep = checked(other.conversations_replies(channel=JOBS, ts=posted["ts"],
                                              include_all_metadata=True))
    assert rep["messages"][0]["metadata"] == meta


# -- chat ---------------------------------------------------------------------------------------
def test_post_message_errors(clients):
    alpha = clients["alpha"]
    assert checked(alpha.chat_postMessage(channel="#jobs", text="x"))["channel"] == JOBS
    assert error(alpha.chat_postMessage, channel=JOBS, text="")["error"] == "no_text"
    assert error(alpha.chat_postMessage, channel="nope", text="x")["error"] == "channel_not_found"
    assert error(alpha.chat_postMessage, channel=RANDOM, text="x")["error"] == "not_in_channel"
    assert error(alpha.chat_postMessage, channel=JOBS, text="x" * 40_001)["error"] == \
        "msg_too_long"
    assert error(clients["alpha"].chat_postMessage, channel=JOBS, text="x",
                 thread_ts="1.000002")["error"] == "thread_not_found"


def test_update_and_delete(clients):
    alpha, bravo = clients["alpha"], clients["bravo"]
    ts = checked(alpha.chat_postMessage(channel=JOBS, text="v1"))["ts"]
    up = checked(alpha.chat_update(channel=JOBS, ts=ts, text="v2"))
    assert up["text"] == "v2" and up["message"]["edited"]["user"] == ALPHA
    assert error(bravo.chat_update, channel=JOBS, ts=ts, text="x")["error"] == \
        "cant_update_message"
    assert error(alpha.chat_update, channel=JOBS, ts="1.000003", text="x")["error"] == \
        "message_not_found"
    assert error(bravo.chat_delete, channel=JOBS, ts=ts)["error"] == "cant_delete_message"
    assert checked(alpha.chat_delete(channel=JOBS, ts=ts))["ts"] == ts
    assert error(alpha.chat_delete, channel=JOBS, ts=ts)["error"] == "message_not_found"
    assert checked(alpha.conversations_history(channel=JOBS))["messages"] == []


def test_deleting_a_parent_leaves_a_tombstone(clients):
    alpha = clients["alpha"]
    parent = alpha.chat_postMessage(channel=JOBS, text="p")["ts"]
    alpha.chat_postMessage(channel=JOBS, text="r", thread_ts=parent)
    checked(alpha.chat_delete(channel=JOBS, ts=parent))
    rep = checked(alpha.conversations_replies(channel=JOBS, ts=parent))["messages"]
    assert rep[0]["subtype"] == "tombstone" and rep[1]["text"] == "r"


# -- pins ---------------------------------------------------------------------------------------
def test_pins(clients, job):
    alpha, bravo = clients["alpha"], clients["bravo"]
    assert checked(alpha.pins_add(channel=JOBS, timestamp=job)).data == {"ok": True}
    assert error(bravo.pins_add, channel=JOBS, timestamp=job)["error"] == "already_pinned"
    assert error(alpha.pins_add, channel=JOBS, timestamp=job)["error"] == "already_pinned"
    items = checked(bravo.pins_list(channel=JOBS))["items"]
    assert len(items) == 1
    item = items[0]
    assert (item["type"], item["channel"], item["created_by"]) == ("message", JOBS, ALPHA)
    assert isinstance(item["created"], int)
    assert item["message"]["pinned_to"] == [JOBS] and item["message"]["ts"] == job
    hist = checked(alpha.conversations_history(channel=JOBS))
    assert hist["pin_count"] == 1 and hist["messages"][0]["pinned_to"] == [JOBS]
    checked(bravo.pins_remove(channel=JOBS, timestamp=job))  # any member may unpin
    assert error(alpha.pins_remove, channel=JOBS, timestamp=job)["error"] == "not_pinned"
    assert checked(alpha.pins_list(channel=JOBS))["items"] == []
    assert "pinned_to" not in alpha.conversations_history(channel=JOBS)["messages"][0]


def test_pin_errors(clients, job):
    alpha = clients["alpha"]
    assert error(alpha.pins_add, channel=JOBS)["error"] == "no_item_specified"
    assert error(alpha.pins_add, channel=JOBS, timestamp="yesterday")["error"] == "bad_timestamp"
    assert error(alpha.pins_add, channel=JOBS, timestamp="1500000000.000001")["error"] == \
        "message_not_found"
    assert error(alpha.pins_add, channel="C0NOPE0000", timestamp=job)["error"] == \
        "channel_not_found"
    assert error(alpha.pins_add, channel="", timestamp=job)["error"] == "channel_not_found"
    assert error(alpha.pins_add, channel=RANDOM, timestamp=job)["error"] == "not_in_channel"
    nopin = error(clients["nopin"].pins_add, channel=JOBS, timestamp=job)
    assert nopin["error"] == "missing_scope" and nopin["needed"] == "pins:write"
    assert "pins:read" in nopin["provided"].split(",")
    assert "pins:write" not in nopin["provided"].split(",")


# -- reactions ----------------------------------------------------------------------------------
def test_reactions(clients, job):
    alpha, bravo, dana = clients["alpha"], clients["bravo"], clients["dana"]
    checked(bravo.reactions_add(channel=JOBS, timestamp=job, name="lock"))
    checked(alpha.reactions_add(channel=JOBS, timestamp=job, name="lock"))
    checked(dana.reactions_add(channel=JOBS, timestamp=job, name="thumbsup::skin-tone-3"))
    assert error(alpha.reactions_add, channel=JOBS, timestamp=job, name="lock")["error"] == \
        "already_reacted"
    got = checked(alpha.reactions_get(channel=JOBS, timestamp=job))
    assert got["type"] == "message" and got["channel"] == JOBS
    assert got["message"]["reactions"] == [
        {"name": "lock", "users": [BRAVO, ALPHA], "count": 2},
        {"name": "thumbsup::skin-tone-3", "users": [DANA], "count": 1},
    ]
    assert error(dana.reactions_remove, channel=JOBS, timestamp=job, name="lock")["error"] == \
        "no_reaction"  # only your own
    checked(bravo.reactions_remove(channel=JOBS, timestamp=job, name="lock"))
    checked(alpha.reactions_remove(channel=JOBS, timestamp=job, name="lock"))
    left = alpha.reactions_get(channel=JOBS, timestamp=job)["message"]["reactions"]
    assert [r["name"] for r in left] == ["thumbsup::skin-tone-3"]  # the emptied entry is gone
    checked(dana.reactions_remove(channel=JOBS, timestamp=job, name="thumbsup::skin-tone-3"))
    assert "reactions" not in checked(alpha.reactions_get(channel=JOBS, timestamp=job))["message"]


def test_reaction_errors(clients, job):
    alpha = clients["alpha"]
    assert error(alpha.reactions_add, channel=JOBS, timestamp=job, name="no_such_emoji")[
        "error"] == "invalid_name"
    assert error(alpha.reactions_remove, channel=JOBS, timestamp=job, name="nope_nope")[
        "error"] == "invalid_name"
    checked(alpha.reactions_add(channel=JOBS, timestamp=job, name="slackmq"))
    assert error(alpha.api_call, api_method="reactions.add",
                 params={"channel": JOBS, "name": "lock"})["error"] == "no_item_specified"
    assert error(alpha.reactions_add, channel=JOBS, timestamp="x", name="lock")["error"] == \
        "bad_timestamp"
    assert error(alpha.reactions_get, channel=JOBS, timestamp="1500000000.000001")["error"] == \
        "message_not_found"
    assert error(alpha.reactions_get, channel="C0NOPE0000", timestamp=job)["error"] == \
        "channel_not_found"
    pub = error(clients["publisher"].reactions_add, channel=JOBS, timestamp=job, name="lock")
    assert (pub["error"], pub["needed"]) == ("missing_scope", "reactions:write")


# -- stars --------------------------------------------------------------------------------------
def test_stars_user_token_only(clients, job):
    dana = clients["dana"]
    checked(dana.stars_add(channel=JOBS, timestamp=job))
    assert error(dana.stars_add, channel=JOBS, timestamp=job)["error"] == "already_starred"
    listed = checked(dana.stars_list())
    assert [(i["channel"], i["message"]["ts"]) for i in listed["items"]] == [(JOBS, job)]
    assert listed["paging"]["total"] == 1
    olga = clients["olga"]  # stars are per user
    assert checked(olga.stars_list())["items"] == []
    assert error(olga.stars_remove, channel=JOBS, timestamp=job)["error"] == "not_starred"
    checked(dana.stars_remove(channel=JOBS, timestamp=job))
    assert error(dana.stars_remove, channel=JOBS, timestamp=job)["error"] == "not_starred"
    for method in (clients["alpha"].stars_add, clients["alpha"].stars_remove):
        assert error(method, channel=JOBS, timestamp=job)["error"] == "not_allowed_token_type"
    assert error(clients["alpha"].stars_list)["error"] == "not_allowed_token_type"
    assert error(dana.stars_add, channel=JOBS, timestamp="1500000000.000001")["error"] == \
        "message_not_found"
    assert error(dana.stars_add)["error"] == "no_item_specified"


# -- users --------------------------------------------------------------------------------------
def test_users(clients):
    info = checked(clients["alpha"].users_info(user=DANA))["user"]
    assert (info["id"], info["name"], info["is_bot"]) == (DANA, "dana", False)
    assert checked(clients["alpha"].users_info(user=ALPHA))["user"]["is_bot"] is True
    assert error(clients["alpha"].users_info, user="U0NOBODY01")["error"] == "user_not_found"
    everyone = checked(clients["alpha"].users_list())["members"]
    assert len(everyone) == 9
    paged = []
    for page in clients["alpha"].users_list(limit=4):
        checked(page)
        paged += [u["id"] for u in page["members"]]
    assert paged == [u["id"] for u in everyone]


# -- apps.connections.open ------------------------------------------------------------------------
def test_apps_connections_open(clients, emulator):
    app = WebClient(base_url=emulator.base_url)
    url = app.apps_connections_open(app_token="xapp-emu-alpha")["url"]
    assert url.startswith(emulator.ws_base + "/link/?ticket=") and "app_id=A0ALPHA001" in url
    with pytest.raises(SlackApiError) as info:
        clients["alpha"].api_call("apps.connections.open")
    assert info.value.response["error"] == "not_allowed_token_type"
    body = _raw(emulator, "apps.connections.open", method="GET", token="xapp-emu-alpha")
    assert body == (200, {"ok": False, "error": "insecure_request"})


# -- wire details ---------------------------------------------------------------------------------
def _raw(emulator, api, *, token=None, method="POST", data=None, ctype=None, query=""):
    req = urllib.request.Request(f"{emulator.base_url}{api}{query}", data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req) as resp:
            assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_arguments_from_query_form_json_and_token_field(emulator, job):
    q = f"?channel={JOBS}&timestamp={job}"
    assert _raw(emulator, "reactions.get", method="GET", query=q, token="xoxb-emu-alpha")[1]["ok"]
    form = f"token=xoxb-emu-alpha&channel={JOBS}&timestamp={job}&name=lock".encode()
    status, body = _raw(emulator, "reactions.add", data=form,
                        ctype="application/x-www-form-urlencoded")
    assert (status, body) == (200, {"ok": True})
    js = json.dumps({"channel": JOBS, "timestamp": job}).encode()
    status, body = _raw(emulator, "pins.add", data=js, token="xoxb-emu-bravo",
                        ctype="application/json; charset=utf-8")
    assert (status, body) == (200, {"ok": True})
    mixed = json.dumps({"timestamp": job}).encode()  # channel in the query, ts in the JSON
    status, body = _raw(emulator, "pins.remove", data=mixed, token="xoxb-emu-bravo",
                        ctype="application/json", query=f"?channel={JOBS}")
    assert (status, body) == (200, {"ok": True})
    status, body = _raw(emulator, "pins.add", data=b"{nope", token="xoxb-emu-bravo",
                        ctype="application/json")
    assert (status, body["error"]) == (200, "invalid_json")
    status, body = _raw(emulator, "auth.test", method="GET")
    assert (status, body) == (200, {"ok": False, "error": "not_authed"})


def test_oauth_scope_headers(clients):
    resp = clients["nopin"].auth_test()
    scopes = resp.headers["X-OAuth-Scopes"].split(",")
    assert "reactions:write" in scopes and "pins:write" not in scopes
    with pytest.raises(SlackApiError) as info:
        clients["nopin"].pins_add(channel=JOBS, timestamp="1500000000.000001")
    assert info.value.response.headers["X-Accepted-OAuth-Scopes"] == "pins:write"
