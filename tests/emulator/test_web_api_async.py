"""The same contract through AsyncWebClient (aiohttp; GET methods send query strings, POST methods
send their arguments in the query with an empty body, chat.* sends JSON — facts §1)."""

from __future__ import annotations

import pytest
from emu_schema import checked
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

JOBS = "C0JOBS0001"
ALPHA, BRAVO, DANA, PUBLISHER = "U0ALPHA001", "U0BRAVO001", "U0OPSDANA1", "U0PUBLSH01"


async def error(coro) -> dict:
    with pytest.raises(SlackApiError) as info:
        await coro
    checked(info.value.response)
    assert info.value.response.status_code == 200
    return info.value.response.data


async def test_lock_primitives(async_emulator, aclients):
    alpha, bravo, dana = aclients["alpha"], aclients["bravo"], aclients["dana"]
    job = async_emulator.post(JOBS, PUBLISHER, "job 1")
    checked(await alpha.pins_add(channel=JOBS, timestamp=job))
    assert (await error(bravo.pins_add(channel=JOBS, timestamp=job)))["error"] == "already_pinned"
    items = checked(await bravo.pins_list(channel=JOBS))["items"]
    assert items[0]["created_by"] == ALPHA and items[0]["message"]["pinned_to"] == [JOBS]
    checked(await bravo.reactions_add(channel=JOBS, timestamp=job, name="lock"))
    checked(await alpha.reactions_add(channel=JOBS, timestamp=job, name="lock"))
    again = await error(alpha.reactions_add(channel=JOBS, timestamp=job, name="lock"))
    assert again["error"] == "already_reacted"
    got = checked(await alpha.reactions_get(channel=JOBS, timestamp=job))
    assert got["message"]["reactions"][0]["users"] == [BRAVO, ALPHA]
    checked(await dana.stars_add(channel=JOBS, timestamp=job))
    star = await error(dana.stars_add(channel=JOBS, timestamp=job))
    assert star["error"] == "already_starred"
    bot_star = await error(alpha.stars_add(channel=JOBS, timestamp=job))
    assert bot_star["error"] == "not_allowed_token_type"
    checked(await alpha.pins_remove(channel=JOBS, timestamp=job))
    assert (await error(alpha.pins_remove(channel=JOBS, timestamp=job)))["error"] == "not_pinned"
    nope = await error(alpha.reactions_remove(channel=JOBS, timestamp=job, name="eyes"))
    assert nope["error"] == "no_reaction"
    scope = await error(aclients["nopin"].pins_add(channel=JOBS, timestamp=job))
    assert (scope["error"], scope["needed"]) == ("missing_scope", "pins:write")


async def test_history_replies_and_chat(async_emulator, aclients):
    alpha, bravo = aclients["alpha"], aclients["bravo"]
    posted = [checked(await alpha.chat_postMessage(channel=JOBS, text=f"m{i}"))["ts"]
              for i in range(3)]
    reply = checked(await bravo.chat_postMessage(channel=JOBS, text="r", thread_ts=posted[0]))
    assert reply["message"]["parent_user_id"] == ALPHA
    seen = []
    async for page in await alpha.conversations_history(channel=JOBS, limit=2):
        checked(page)
        seen += [m["ts"] for m in page["messages"]]
    assert seen == posted[::-1]
    rep = checked(await alpha.conversations_replies(channel=JOBS, ts=posted[0]))["messages"]
    assert [m["text"] for m in rep] == ["m0", "r"]
    up = checked(await alpha.chat_update(channel=JOBS, ts=posted[1], text="edited"))
    assert up["message"]["text"] == "edited"
    cant = await error(bravo.chat_delete(channel=JOBS, ts=posted[1]))
    assert cant["error"] == "cant_delete_message"
    checked(await alpha.chat_delete(channel=JOBS, ts=posted[1]))
    gone = await error(alpha.reactions_get(channel=JOBS, timestamp=posted[1]))
    assert gone["error"] == "message_not_found"


async def test_auth_users_conversations(async_emulator, aclients):
    alpha = aclients["alpha"]
    assert checked(await alpha.auth_test())["user_id"] == ALPHA
    assert checked(await alpha.users_info(user=DANA))["user"]["name"] == "dana"
    assert len(checked(await alpha.users_list())["members"]) == 9
    chans = checked(await alpha.conversations_list())["channels"]
    assert [c["id"] for c in chans][0] == JOBS
    assert checked(await alpha.conversations_info(channel=JOBS))["channel"]["name"] == "jobs"
    bad = AsyncWebClient(token="xoxb-wrong", base_url=async_emulator.base_url)
    assert (await error(bad.auth_test()))["error"] == "invalid_auth"
    url = (await AsyncWebClient(base_url=async_emulator.base_url).apps_connections_open(
        app_token="xapp-emu-console"))["url"]
    assert url.startswith(f"{async_emulator.ws_base}/link/?ticket=")
