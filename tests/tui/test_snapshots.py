"""Snapshots of the main screens at 80×24 and 160×45, the main view also at 100×30 and 120×36
(pytest-textual-snapshot).

Deterministic by construction: a seeded emulator on a frozen fake clock, times in UTC, Socket
Mode so the status bar says "live", and the Pilot waits for start-up and for every Slack call to
finish (never a sleep). Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and
look at the report before committing.
"""

from __future__ import annotations

import pytest
from tui_scenario import no_blink, ready, select, settle, wait_until

from slackmq_core import Secret
from slackmq_tui.app import make_app
from slackmq_tui.screens.ack import AckDialog
from slackmq_tui.screens.clear_stale import ClearStaleDialog
from slackmq_tui.screens.force_release import ForceReleaseDialog
from slackmq_tui.screens.help import HelpScreen

SMALL = (80, 24)
LARGE = (160, 45)


@pytest.fixture
def console(threaded_scenario, clock, tmp_path):
    """A factory of live console apps on the seeded workspace."""
    emu, sc = threaded_scenario

    def build(**kwargs):
        return make_app(sc.profile(app_token=Secret("xapp-emu-console")), clock=clock,
                        audit_path=tmp_path / "audit.jsonl", **kwargs)

    build.roles = sc.roles
    return build


async def _dialog(pilot, key: str, kind) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind), what=f"{kind.__name__}")
    await pilot.pause()
    no_blink(pilot.app)


class TestMain:
    @pytest.mark.parametrize("size", [SMALL, (100, 30), (120, 36), LARGE],
                             ids=["80x24", "100x30", "120x36", "160x45"])
    def test_main_view(self, snap_compare, console, size):
        assert snap_compare(console(), terminal_size=size, run_before=ready)

    def test_light_theme(self, snap_compare, console):
        app = console()
        app.theme = "textual-light"
        assert snap_compare(app, terminal_size=LARGE, run_before=ready)

    def test_read_only(self, snap_compare, console):
        assert snap_compare(console(read_only=True), terminal_size=SMALL, run_before=ready)


class TestDetail:
    @pytest.mark.parametrize("role", ["lease", "shared", "done"])
    def test_detail(self, snap_compare, console, role):
        async def run_before(pilot):
            await ready(pilot)
            await select(pilot, console.roles[role])

        assert snap_compare(console(), terminal_size=LARGE, run_before=run_before)


class TestFilter:
    def test_filter_stale(self, snap_compare, console):
        async def run_before(pilot):
            await ready(pilot)
            await pilot.press("slash", *"state:stale")
            no_blink(pilot.app)

        assert snap_compare(console(), terminal_size=SMALL, run_before=run_before)

    def test_locked_only(self, snap_compare, console):
        async def run_before(pilot):
            await ready(pilot)
            await pilot.press("o")
            await settle(pilot)

        assert snap_compare(console(), terminal_size=LARGE, run_before=run_before)


class TestDialogs:
    @pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x45"])
    def test_force_unack_needs_typing(self, snap_compare, console, size):
        async def run_before(pilot):
            await ready(pilot)
            await select(pilot, console.roles["locked"])
            await _dialog(pilot, "F", ForceReleaseDialog)

        assert snap_compare(console(), terminal_size=size, run_before=run_before)

    def test_force_unack_stale_shared(self, snap_compare, console):
        async def run_before(pilot):
            await ready(pilot)
            await select(pilot, console.roles["shared"])
            await _dialog(pilot, "F", ForceReleaseDialog)

        assert snap_compare(console(), terminal_size=LARGE, run_before=run_before)

    def test_clear_stale(self, snap_compare, console):
        async def run_before(pilot):
            await ready(pilot)
            await _dialog(pilot, "S", ClearStaleDialog)

        assert snap_compare(console(), terminal_size=LARGE, run_before=run_before)

    def test_ack(self, snap_compare, console):
        async def run_before(pilot):
            await ready(pilot)
            await _dialog(pilot, "a", AckDialog)

        assert snap_compare(console(), terminal_size=SMALL, run_before=run_before)

    def test_help(self, snap_compare, console):
        async def run_before(pilot):
            await ready(pilot)
            await _dialog(pilot, "question_mark", HelpScreen)

        assert snap_compare(console(), terminal_size=SMALL, run_before=run_before)
