"""The control surface's bulk seed: messages, pins and reactions, with or without events."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from slackmq_core.emulator import EmulatorConfig, run_in_thread
from slackmq_core.emulator.control import ControlError

JOBS = "C0JOBS0001"


def test_seed_without_events_leaves_nothing_for_socket_mode_and_seeds_locks():
    with run_in_thread(EmulatorConfig(rate_limits=False)) as emu:
        ts = emu.control.seed(channel=JOBS, count=30, user="U0PUBLSH01", events=False)
        assert len(ts) == 30
        assert emu.control.stats()["socket_mode"]["in_flight"] == 0
        emu.control.seed(pins=[{"channel": JOBS, "ts": ts[3], "user": "U0ALPHA001"}],
                         reactions=[{"channel": JOBS, "ts": ts[3], "user": "U0ALPHA001",
                                     "name": "lock"}])
        c = WebClient(token="xoxb-emu-console", base_url=emu.base_url)
        assert len(c.conversations_history(channel=JOBS, limit=100)["messages"]) == 30
        [item] = c.pins_list(channel=JOBS)["items"]
        assert item["message"]["ts"] == ts[3] and item["created_by"] == "U0ALPHA001"
        assert item["message"]["reactions"][0]["users"] == ["U0ALPHA001"]
        # the default still fires one event per message: apps without a socket wait for retries
        emu.control.seed(channel=JOBS, count=2, user="U0PUBLSH01")
        assert emu.control.stats()["socket_mode"]["in_flight"] > 0


def test_events_can_be_held_back_while_history_is_written():
    with run_in_thread(EmulatorConfig(rate_limits=False)) as emu:
        assert emu.control.events(False) is False
        c = WebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
        ts = c.chat_postMessage(channel=JOBS, text="an old job")["ts"]
        c.pins_add(channel=JOBS, timestamp=ts)
        c.reactions_add(channel=JOBS, timestamp=ts, name="lock")
        # the calls changed the state, and no event waits for a socket to deliver it to
        assert c.pins_list(channel=JOBS)["items"][0]["message"]["ts"] == ts
        assert emu.control.stats()["socket_mode"]["in_flight"] == 0
        assert emu.control.events(True) is True
        c.reactions_remove(channel=JOBS, timestamp=ts, name="lock")
        assert emu.control.stats()["socket_mode"]["in_flight"] > 0      # one per app
        with pytest.raises(ControlError, match="true or false, not 'yes'"):
            emu.control._call("POST", "events", {"enabled": "yes"})
