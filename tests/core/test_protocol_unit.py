"""The protocol as a state machine: generators driven by a scripted responder and a fake clock.

No Slack here on purpose — these pin down decisions the emulator can only reach by chance (which
answer comes after an ambiguous write). Everything else is tested against the emulator.
"""

from __future__ import annotations

import pytest

from slackmq_core import InputError, LockOptions, MissingScope, Outcome, Primitive, RateLimited, RetryPolicy, Strategy
from slackmq_core._acquire import acquire
from slackmq_core._exceptions import SlackAPIError, TransportError
from slackmq_core._protocol import Call, Ctx, Me, Reply
from slackmq_core._retry import Attempts

ME, OTHER, CH, TS = "U0ME000001", "U0OTHER001", "C0JOBS0001", "1700000000.000100"
NOW = 1_700_000_100.0


def ctx(**options) -> Ctx:
    c = Ctx(LockOptions(**options), "w1", "host", 42, lambda: NOW, "bot")
    c.me = Me(ME, "me-bot", token_type="bot")
    return c


def err(code: str, *, ambiguous: bool = False) -> SlackAPIError:
    e = SlackAPIError(code, error=code)
    e.after_ambiguous = ambiguous
    return e


def drive(gen, script: list[tuple[str, object]]):
    """Run a protocol generator against scripted answers; returns (result, calls made)."""
    calls: list[Call] = []
    value, exc = None, None
    while True:
        try:
            c = gen.throw(exc) if exc is not None else gen.send(value)
        except StopIteration as stop:
            assert not script, f"unused answers: {script}"
            return stop.value, calls
        calls.append(c)
        assert script, f"unexpected call {c.method}"
        method, answer = script.pop(0)
        assert c.method == method, (c.method, method)
        value, exc = (None, answer) if isinstance(answer, BaseException) else (Reply(answer), None)


def reactions(*users: str, name: str = "lock") -> dict:
    return {"message": {"ts": TS, "reactions": [{"name": name, "users": list(users), "count": len(users)}]}}


def pins(created_by: str, created: float = NOW) -> dict:
    return {"items": [{"type": "message", "created": int(created), "created_by": created_by,
                       "message": {"ts": TS}}]}


def test_already_pinned_after_our_ambiguous_attempt_is_ours_when_pins_list_says_so():
    res, calls = drive(acquire(ctx(), CH, TS), [
        ("pins.add", err("already_pinned", ambiguous=True)),
        ("pins.list", pins(ME)),
        ("reactions.add", {}),
        ("reactions.get", reactions(ME)),
    ])
    assert res.outcome is Outcome.ACQUIRED
    assert [m.primitive for m in res.marks] == [Primitive.PIN, Primitive.REACTION]


@pytest.mark.parametrize("item", [pins(OTHER), pins(ME, created=NOW - 60), {"items": []}])
def test_already_pinned_after_ambiguity_is_held_when_the_pin_is_not_provably_ours(item):
    res, calls = drive(acquire(ctx(lookup_holder=False), CH, TS), [
        ("pins.add", err("already_pinned", ambiguous=True)),
        ("pins.list", item),
    ])
    assert res.outcome is Outcome.HELD
    assert [c.method for c in calls] == ["pins.add", "pins.list"]   # and nothing removed


def test_plain_already_pinned_costs_one_call_without_holder_lookup():
    res, calls = drive(acquire(ctx(lookup_holder=False), CH, TS), [("pins.add", err("already_pinned"))])
    assert res.outcome is Outcome.HELD and len(calls) == 1


def test_a_later_reactor_loses_and_takes_back_only_its_own_marks():
    """Different users: the first reactor wins. Our pin: created_by is the winner's → left alone."""
    res, calls = drive(acquire(ctx(), CH, TS), [
        ("pins.add", {}),                     # a race let our duplicate pins.add "succeed"
        ("reactions.add", {}),
        ("reactions.get", reactions(OTHER, ME)),
        ("reactions.remove", {}),
        ("pins.list", pins(OTHER)),
        ("users.info", {"user": {"id": OTHER, "name": "other", "is_bot": True}}),
    ])
    assert res.outcome is Outcome.HELD and res.holder.user_id == OTHER and res.holder.is_bot
    assert "pins.remove" not in [c.method for c in calls]


def test_a_loser_removes_a_pin_that_pins_list_proves_its_own():
    res, calls = drive(acquire(ctx(), CH, TS), [
        ("pins.add", {}),
        ("reactions.add", {}),
        ("reactions.get", reactions(OTHER, ME)),
        ("reactions.remove", {}),
        ("pins.list", pins(ME)),
        ("pins.remove", {}),
        ("users.info", {"user": {"id": OTHER, "name": "other"}}),
    ])
    assert res.outcome is Outcome.HELD


def test_a_same_user_sibling_keeps_its_shared_marks():
    res, calls = drive(acquire(ctx(), CH, TS), [
        ("pins.add", {}),
        ("reactions.add", err("already_reacted")),
        # not done, and a thread: does a release note name us? no
        ("reactions.get", {"message": {"reply_count": 1, "reactions": [{"name": "lock", "users": [ME]}]}}),
        ("conversations.replies", {"messages": [{"ts": TS}]}),
    ])
    assert res.outcome is Outcome.HELD and res.holder.user_id == ME
    # the pin is not ours to drop
    assert [c.method for c in calls] == ["pins.add", "reactions.add", "reactions.get", "conversations.replies"]


def test_our_users_reaction_on_a_done_message_means_done_and_our_pin_goes():
    res, calls = drive(acquire(ctx(), CH, TS), [
        ("pins.add", {}),
        ("reactions.add", err("already_reacted")),     # complete left our user's lock reaction
        ("reactions.get", {"message": {"reactions": [
            {"name": "lock", "users": [ME]}, {"name": "white_check_mark", "users": [ME]}]}}),
        ("pins.remove", {}),
    ])
    assert res.outcome is Outcome.DONE
    assert [c.method for c in calls] == ["pins.add", "reactions.add", "reactions.get", "pins.remove"]


def test_single_user_skips_the_check_and_claim_does_not():
    res, calls = drive(acquire(ctx(single_user=True), CH, TS), [("pins.add", {}), ("reactions.add", {})])
    assert res.outcome is Outcome.ACQUIRED and [c.method for c in calls] == ["pins.add", "reactions.add"]
    # pin alone has no per-user mark to refuse a finished message: it keeps its check
    res, calls = drive(acquire(ctx(strategy="pin", single_user=True), CH, TS),
                       [("pins.add", {}), ("reactions.get", {"message": {}})])
    assert res.outcome is Outcome.ACQUIRED and calls[-1].method == "reactions.get"
    # clear_done takes the per-user mark off done messages: the check is back
    res, calls = drive(acquire(ctx(single_user=True, clear_done=True), CH, TS), [
        ("pins.add", {}), ("reactions.add", {}),
        ("reactions.get", {"message": {"reactions": [{"name": "lock", "users": [ME]}]}})])
    assert res.outcome is Outcome.ACQUIRED and calls[-1].method == "reactions.get"


def test_done_message_is_released_and_reported_done():
    res, calls = drive(acquire(ctx(), CH, TS), [
        ("pins.add", {}),
        ("reactions.add", {}),
        ("reactions.get", {"message": {"reactions": [
            {"name": "lock", "users": [ME]}, {"name": "white_check_mark", "users": [OTHER]}]}}),
        ("reactions.remove", {}),
        ("pins.remove", {}),
    ])
    assert res.outcome is Outcome.DONE


def _note(ts: str, user: str, claim_id: str, expires: float) -> dict:
    return {"ts": ts, "user": user, "thread_ts": TS, "metadata": {"event_type": "slackmq_claim", "event_payload": {
        "worker_id": f"w-{user}", "host": "h", "pid": 1, "lease_expires": expires, "claim_id": claim_id}}}


def test_claim_mode_earliest_live_note_wins_and_expired_notes_do_not_count():
    c = ctx(strategy="claim")
    gen = acquire(c, CH, TS)
    script = [("pins.add", {}), ("reactions.add", {}), ("chat.postMessage", {"ts": "1700000001.000300"})]
    # the expired note of a crashed holder is earlier, the live one of OTHER is later than ours
    value, calls = None, []
    for method, answer in script:
        call_ = gen.send(value)
        assert call_.method == method
        value = Reply(answer)
        calls.append(call_)
    ours = calls[-1].args["metadata"]["event_payload"]["claim_id"]
    replies = {"messages": [{"ts": TS}, _note("1700000001.000100", OTHER, "dead", NOW - 5),
                            _note("1700000001.000300", ME, ours, NOW + 60),
                            _note("1700000001.000400", OTHER, "late", NOW + 60)]}
    assert gen.send(value).method == "conversations.replies"
    with pytest.raises(StopIteration) as stop:
        gen.send(Reply(replies))
    res = stop.value.value
    assert res.outcome is Outcome.ACQUIRED
    assert res.marks[-1].primitive is Primitive.CLAIM and res.marks[-1].name == "1700000001.000300"


def test_rate_limits_are_waited_out_by_retry_after_then_given_up():
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.slack_response import SlackResponse

    def limited(retry_after: str) -> SlackApiError:
        resp = SlackResponse(client=None, http_verb="POST", api_url="", req_args={},
                             data={"ok": False, "error": "ratelimited"}, headers={"Retry-After": retry_after},
                             status_code=429)
        return SlackApiError("ratelimited", resp)

    tries = Attempts(RetryPolicy(rate_limit_waits=2), Call("pins.add", {}, True), lambda: 0.5)
    assert tries.on_error(limited("3")) == 3.0
    assert tries.on_error(limited("0")) == RetryPolicy().min_retry_after
    final = tries.on_error(limited("3"))
    assert isinstance(final, RateLimited) and final.retry_after == 3.0
    assert not final.after_ambiguous     # a 429 never took effect


def test_transient_errors_back_off_boundedly_and_mark_writes_ambiguous():
    policy = RetryPolicy(attempts=4, base_delay=0.1, max_delay=0.3)
    write = Attempts(policy, Call("pins.add", {}, True), lambda: 0.5)
    delays = [write.on_error(ConnectionResetError("reset")) for _ in range(3)]
    assert delays == [0.1, 0.2, 0.3]
    final = write.on_error(TimeoutError("timed out"))
    assert isinstance(final, TransportError) and final.after_ambiguous
    read = Attempts(policy, Call("pins.list", {}, False), lambda: 0.5)
    read.on_error(ConnectionResetError())
    assert not read.ambiguous


def test_slack_errors_are_translated_with_advice_and_no_token():
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.slack_response import SlackResponse

    from slackmq_core._slack import translate

    resp = SlackResponse(client=None, http_verb="POST", api_url="https://slack.com/api/pins.add?t=xoxb-1-2",
                         req_args={}, data={"ok": False, "error": "missing_scope", "needed": "pins:write",
                                            "provided": "reactions:write"}, headers={}, status_code=200)
    e = translate(SlackApiError("boom xoxb-1-2", resp), "pins.add")
    assert isinstance(e, MissingScope) and e.needed == "pins:write"
    assert e.advice == "missing scope pins:write — add it to the app and reinstall"
    assert "xoxb" not in str(e) + repr(e) + e.advice
    five = SlackResponse(client=None, http_verb="POST", api_url="", req_args={}, data="<html>",
                         headers={}, status_code=503)
    assert isinstance(translate(SlackApiError("x", five), "pins.add"), TransportError)


def test_base_url_argument_beats_env_beats_default(monkeypatch):
    from slackmq_core import make_async_client, make_client, resolve_base_url

    assert resolve_base_url() == "https://slack.com/api/"
    monkeypatch.setenv("SLACKMQ_API_URL", "http://127.0.0.1:9/api")
    assert resolve_base_url() == "http://127.0.0.1:9/api/"
    assert make_client("xoxb-x").base_url == "http://127.0.0.1:9/api/"
    assert make_async_client("xoxb-x", base_url="http://10.0.0.1/api/").base_url == "http://10.0.0.1/api/"
    with pytest.raises(InputError) as info:
        resolve_base_url("ftp://nope")
    assert "'ftp://nope'" in str(info.value)


def test_strategies_parse_and_options_validate():
    assert Strategy.parse("PIN_REACTION") is Strategy.PIN_REACTION
    assert Strategy.CLAIM.primitives == (Primitive.PIN, Primitive.REACTION, Primitive.CLAIM)
    with pytest.raises(InputError) as info:
        Strategy.parse("pins")
    assert "'pins'" in str(info.value) and "pin+reaction" in str(info.value)
    with pytest.raises(InputError):
        LockOptions(reaction="lock", done_reaction="lock")
    with pytest.raises(InputError) as info:
        LockOptions(stale_after=-1)
    assert "-1" in str(info.value)
    assert LockOptions(reaction=":eyes:").reaction == "eyes"
    assert LockOptions(strategy="claim").uses_claim_note
