"""The control surface's bulk seed: messages, pins and reactions, with or without events."""

from __future__ import annotations

from slack_sdk import WebClient

from slackmq_core.emulator import EmulatorConfig, run_in_thread

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
