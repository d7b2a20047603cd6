"""Backend properties (hypothesis) and the inner events the backend emits to listeners."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from slackmq_core.emulator import SlackBackend, default_workspace

JOBS, ALPHA, BRAVO, PUBLISHER = "C0JOBS0001", "U0ALPHA001", "U0BRAVO001", "U0PUBLSH01"


class SteppedClock:
    """A clock that returns the given readings in turn (repeats and steps back included)."""

    def __init__(self, readings):
        self.readings = list(readings)
        self.i = 0

    def __call__(self) -> float:
        value = self.readings[min(self.i, len(self.readings) - 1)]
        self.i += 1
        return value


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=1_600_000_000, max_value=1_600_000_100,
                          allow_nan=False), min_size=1, max_size=40))
def test_ts_strictly_increasing_whatever_the_clock_does(readings):
    backend = SlackBackend(default_workspace(), clock=SteppedClock(readings))
    caller = backend.caller_for_user(PUBLISHER)
    ts = [backend.post_message(caller, JOBS, f"m{i}")["ts"] for i in range(len(readings))]
    assert all(len(t) == 17 and t[10] == "." for t in ts)
    assert all(a < b for a, b in zip(ts, ts[1:]))
    assert all(float(b) > float(a) for a, b in zip(ts, ts[1:]))


@settings(max_examples=60, deadline=None)
@given(count=st.integers(0, 30), limit=st.integers(1, 12),
       threads=st.lists(st.integers(0, 29), max_size=10))
def test_history_pages_cover_every_top_level_message_once(count, limit, threads):
    backend = SlackBackend(default_workspace(), clock=SteppedClock([1_700_000_000.0]))
    caller = backend.caller_for_user(PUBLISHER)
    top = [backend.post_message(caller, JOBS, f"m{i}")["ts"] for i in range(count)]
    for parent in threads:
        if parent < count:
            backend.post_message(caller, JOBS, "reply", thread_ts=top[parent])
    seen, cursor = [], None
    for _ in range(count + 2):
        page = backend.history(caller, JOBS, latest=None, oldest=None, inclusive=False,
                               limit=limit, cursor=cursor, all_metadata=False)
        seen += [m["ts"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] == bool(cursor)
        if not cursor:
            break
    assert seen == top[::-1]


async def test_listeners_get_inner_events(async_emulator, aclients):
    events: list[tuple[dict, str]] = []
    async_emulator.backend.add_listener(lambda event, channel: events.append((event, channel)))
    alpha, bravo = aclients["alpha"], aclients["bravo"]
    parent = (await alpha.chat_postMessage(channel=JOBS, text="job"))["ts"]
    reply = (await bravo.chat_postMessage(channel=JOBS, text="r", thread_ts=parent))["ts"]
    await alpha.chat_update(channel=JOBS, ts=parent, text="job v2")
    await bravo.pins_add(channel=JOBS, timestamp=parent)
    await bravo.reactions_add(channel=JOBS, timestamp=parent, name="lock")
    await bravo.reactions_remove(channel=JOBS, timestamp=parent, name="lock")
    await bravo.pins_remove(channel=JOBS, timestamp=parent)
    await bravo.chat_delete(channel=JOBS, ts=reply)
    kinds = [(e["type"], e.get("subtype")) for e, _ in events]
    assert kinds == [("message", None), ("message", None), ("message", "message_changed"),
                     ("pin_added", None), ("reaction_added", None), ("reaction_removed", None),
                     ("pin_removed", None), ("message", "message_deleted")]
    assert all(channel == JOBS for _, channel in events)
    msg, rep, changed, pin, react, _, unpin, deleted = (e for e, _ in events)
    assert (msg["ts"], msg["event_ts"], msg["user"], msg["channel_type"]) == \
        (parent, parent, ALPHA, "channel")
    assert (rep["thread_ts"], rep["parent_user_id"]) == (parent, ALPHA)
    assert changed["message"]["text"] == "job v2" and changed["previous_message"]["text"] == "job"
    assert pin["user"] == BRAVO and pin["channel_id"] == JOBS
    assert pin["item"]["created_by"] == BRAVO and pin["item"]["message"]["ts"] == parent
    assert pin["item"]["message"]["pinned_to"] == [JOBS]
    assert react == {"type": "reaction_added", "user": BRAVO, "reaction": "lock",
                     "item_user": ALPHA, "item": {"type": "message", "channel": JOBS,
                                                  "ts": parent}, "event_ts": react["event_ts"]}
    assert react["event_ts"] > parent
    assert unpin["has_pins"] is False
    assert deleted["deleted_ts"] == reply and deleted["previous_message"]["text"] == "r"
