"""Fault injection: 5xx before effect, ambiguous after effect, races, reproducibility by seed."""

from __future__ import annotations

import urllib.error

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackmq_core.emulator import EmulatorConfig, run_in_thread

JOBS, ALPHA, BRAVO, DANA = "C0JOBS0001", "U0ALPHA001", "U0BRAVO001", "U0OPSDANA1"


def _client(emu, token="xoxb-emu-alpha"):
    return WebClient(token=token, base_url=emu.base_url, retry_handlers=[])


@pytest.mark.emulator(error_rate=1.0)
def test_error_rate_fails_before_effect_and_spares_control(emulator):
    job = emulator.control.post(JOBS, "U0PUBLSH01", "job")  # control is never faulted
    with pytest.raises(SlackApiError) as info:
        _client(emulator).pins_add(channel=JOBS, timestamp=job)
    assert info.value.response.status_code in (500, 503)
    emulator.control.faults(error_rate=0)
    assert _client(emulator).pins_list(channel=JOBS)["items"] == []  # it never happened
    assert emulator.control.stats()["faults"] == 1


@pytest.mark.emulator(ambiguous_rate=1.0, seed=3)
def test_ambiguous_rate_takes_effect_then_fails(emulator):
    job = emulator.control.post(JOBS, "U0PUBLSH01", "job")
    outcomes = []
    for name in ("lock", "eyes", "tada", "zap", "fire", "star"):
        try:
            _client(emulator).reactions_add(channel=JOBS, timestamp=job, name=name)
            outcomes.append("ok")
        except SlackApiError as exc:
            outcomes.append(exc.response.status_code)
        except (urllib.error.URLError, ConnectionError, OSError):
            outcomes.append("dropped")
    assert "ok" not in outcomes and "dropped" in outcomes and 500 in outcomes
    emulator.control.faults(ambiguous_rate=0)
    reacts = _client(emulator).reactions_get(channel=JOBS, timestamp=job)["message"]["reactions"]
    assert [r["name"] for r in reacts] == ["lock", "eyes", "tada", "zap", "fire", "star"]


@pytest.mark.emulator(race_probability=1.0, race_window_ms=60_000)
def test_race_lets_conflicting_writes_both_succeed(emulator):
    job = emulator.control.post(JOBS, "U0PUBLSH01", "job")
    alpha, bravo, dana = _client(emulator), _client(emulator, "xoxb-emu-bravo"), \
        _client(emulator, "xoxp-emu-dana")
    assert alpha.pins_add(channel=JOBS, timestamp=job)["ok"]
    assert bravo.pins_add(channel=JOBS, timestamp=job)["ok"]  # both "won"
    items = alpha.pins_list(channel=JOBS)["items"]
    assert len(items) == 1 and items[0]["created_by"] == ALPHA  # the first pin stays
    assert alpha.reactions_add(channel=JOBS, timestamp=job, name="lock")["ok"]
    assert alpha.reactions_add(channel=JOBS, timestamp=job, name="lock")["ok"]
    got = alpha.reactions_get(channel=JOBS, timestamp=job)["message"]["reactions"]
    assert got == [{"name": "lock", "users": [ALPHA], "count": 1}]
    assert dana.stars_add(channel=JOBS, timestamp=job)["ok"]
    assert dana.stars_add(channel=JOBS, timestamp=job)["ok"]
    assert len(dana.stars_list()["items"]) == 1


@pytest.mark.emulator(race_probability=1.0, race_window_ms=0)
def test_race_needs_the_window(emulator):
    job = emulator.control.post(JOBS, "U0PUBLSH01", "job")
    _client(emulator).pins_add(channel=JOBS, timestamp=job)
    with pytest.raises(SlackApiError) as info:
        _client(emulator, "xoxb-emu-bravo").pins_add(channel=JOBS, timestamp=job)
    assert info.value.response["error"] == "already_pinned"


def _pattern(seed: int) -> list[int]:
    with run_in_thread(EmulatorConfig(seed=seed, error_rate=0.5, rate_limits=False)) as emu:
        out = []
        for _ in range(24):
            try:
                _client(emu).auth_test()
                out.append(200)
            except SlackApiError as exc:
                out.append(exc.response.status_code)
        return out


def test_same_seed_same_faults():
    first = _pattern(11)
    assert first == _pattern(11)
    assert 200 in first and any(code >= 500 for code in first)
    assert first != _pattern(12)
