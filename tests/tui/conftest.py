"""Fixtures for the console's tests: a seeded emulator on a fake clock, populated with the
demo-like scenario of ``tui_scenario``, in the test's loop (Pilot tests) or in a thread
(snapshot tests, whose harness runs the app on a loop of its own)."""

from __future__ import annotations

import asyncio
import time

import pytest
from tui_scenario import FakeClock, populate


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    """Times on screen are local: make local = UTC so snapshots match everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def scenario(clock):
    """(emulator, Scenario) on the test's event loop."""
    from slackmq_core.emulator import Emulator, EmulatorConfig

    async with Emulator(EmulatorConfig(seed=1, rate_limits=False, clock=clock)) as emu:
        yield emu, await populate(emu, clock)


@pytest.fixture
def threaded_scenario(clock):
    """(emulator, Scenario) with the emulator in a thread, for sync (snapshot) tests."""
    from slackmq_core.emulator import EmulatorConfig, run_in_thread

    with run_in_thread(EmulatorConfig(seed=1, rate_limits=False, clock=clock)) as emu:
        yield emu, asyncio.run(populate(emu, clock))
