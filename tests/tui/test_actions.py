"""Every operator action, driven with Pilot and checked against what Slack itself says."""

from __future__ import annotations

import contextlib
import json

import pytest
from tui_scenario import (
    JOBS,
    ActionLog,
    main_screen,
    ready,
    select,
    slack_marks,
    wait_until,
)

from slackmq_core import LockState
from slackmq_tui.app import make_app
from slackmq_tui.screens.ack import AckDialog
from slackmq_tui.screens.clear_stale import ClearStaleDialog
from slackmq_tui.screens.force_release import ForceReleaseDialog

CONSOLE = "U0CONSOL01"


@pytest.fixture
def audit_path(tmp_path):
    return tmp_path / "audit.jsonl"


def audit_records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def start(sc, clock, audit_path, **profile):
    return make_app(sc.profile(**profile), clock=clock, audit_path=audit_path)


@contextlib.asynccontextmanager
async def on_row(sc, clock, audit_path, ts, **profile):
    """The console at 160x45, loaded, with message ``ts`` selected: yields (app, pilot, log)."""
    log = ActionLog()
    app = start(sc, clock, audit_path, **profile)
    async with app.run_test(size=(160, 45), message_hook=log) as pilot:
        await ready(pilot)
        await select(pilot, ts)
        yield app, pilot, log


async def test_ack_locks_with_the_default_strategy(scenario, clock, audit_path):
    emu, sc = scenario
    ts = sc.roles["pending"]
    async with on_row(sc, clock, audit_path, ts) as (app, pilot, log):
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog), what="the ack dialog")
        await pilot.press("enter")                      # the profile's strategy is highlighted
        done = await log.wait(pilot, "ack")
        assert done.result == "ok"
        row = main_screen(app).model_for(JOBS).get(ts)
        assert row.state is LockState.LOCKED and [h.user_id for h in row.holders] == [CONSOLE]
    marks = await slack_marks(emu.base_url, JOBS, ts)
    assert marks == {"pin": CONSOLE, "reactions": {"lock": [CONSOLE]}}
    records = audit_records(audit_path)
    assert [(r["action"], r["ts"], r["result"]) for r in records] == [("acquire", ts, "acquired")]
    assert "slackmq-console (U0CONSOL01)" in records[0]["actor"]


async def test_ack_with_a_chosen_strategy_places_only_its_marks(scenario, clock, audit_path):
    emu, sc = scenario
    ts = sc.roles["pending"]
    async with on_row(sc, clock, audit_path, ts) as (app, pilot, log):
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog), what="the ack dialog")
        await pilot.press("home", "enter")              # "pin", the first strategy
        assert (await log.wait(pilot, "ack")).result == "ok"
    assert await slack_marks(emu.base_url, JOBS, ts) == {"pin": CONSOLE, "reactions": {}}


async def test_ack_dialog_disables_strategies_the_token_cannot_use(scenario, clock, audit_path):
    emu, sc = scenario
    app = start(sc, clock, audit_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog), what="the ack dialog")
        options = app.screen.query_one("#strategies")
        disabled = {options.get_option_at_index(i).id for i in range(options.option_count)
                    if options.get_option_at_index(i).disabled}
        assert disabled == {"pin+star", "pin+star+reaction"}       # bot tokens cannot star
        await pilot.press("escape")
        assert not isinstance(app.screen, AckDialog)


async def test_ack_on_a_held_message_names_the_holder_and_changes_nothing(
        scenario, clock, audit_path):
    emu, sc = scenario
    ts = sc.roles["locked"]
    async with on_row(sc, clock, audit_path, ts) as (app, pilot, log):
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog), what="the ack dialog")
        await pilot.press("enter")
        done = await log.wait(pilot, "ack")
        assert done.result == "held" and "bravo-worker" in done.summary
    assert await slack_marks(emu.base_url, JOBS, ts) == {
        "pin": "U0BRAVO001", "reactions": {"lock": ["U0BRAVO001"]}}


async def test_unack_releases_the_consoles_own_lock(scenario, clock, audit_path):
    emu, sc = scenario
    ts = sc.roles["mine"]
    async with on_row(sc, clock, audit_path, ts) as (app, pilot, log):
        await pilot.press("u")
        assert (await log.wait(pilot, "unack")).result == "ok"
        assert main_screen(app).model_for(JOBS).get(ts).state is LockState.PENDING
    assert await slack_marks(emu.base_url, JOBS, ts) == {"pin": None, "reactions": {}}
    assert [r["action"] for r in audit_records(audit_path)] == ["release"]


async def test_unack_of_another_holders_lock_removes_nothing(scenario, clock, audit_path):
    emu, sc = scenario
    ts = sc.roles["locked"]
    async with on_row(sc, clock, audit_path, ts) as (app, pilot, log):
        await pilot.press("u")
        assert (await log.wait(pilot, "unack")).result == "not_held"
    assert (await slack_marks(emu.base_url, JOBS, ts))["pin"] == "U0BRAVO001"


async def test_done_marks_the_message_done_and_releases_it(scenario, clock, audit_path):
    emu, sc = scenario
    ts = sc.roles["mine"]
    async with on_row(sc, clock, audit_path, ts) as (app, pilot, log):
        await pilot.press("d")
        assert (await log.wait(pilot, "done")).result == "ok"
        row = main_screen(app).model_for(JOBS).get(ts)
        assert row.state is LockState.DONE and row.holders == ()
    # the pin goes; the console's :lock: stays beside the done mark as the record of who did it
    assert await slack_marks(emu.base_url, JOBS, ts) == {
        "pin": None, "reactions": {"lock": [CONSOLE], "white_check_mark": [CONSOLE]}}


async def test_force_unack_of_a_stale_lock_lists_what_it_cannot_remove(
        scenario, clock, audit_path):
    emu, sc = scenario
    ts = sc.roles["shared"]            # alpha's pin and reaction, plus bravo's reaction
    async with on_row(sc, clock, audit_path, ts) as (app, pilot, log):
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, ForceReleaseDialog),
                         what="the force-unack dialog")
        dialog = app.screen
        assert not dialog.needs_typing                   # stale: no typed confirmation
        assert [m.primitive.value for m in dialog.plan.removable] == ["pin"]
        reasons = [f.reason for f in dialog.plan.not_removable]
        assert len(reasons) == 2 and all("only that bot can remove it" in r for r in reasons)
        await pilot.click("#confirm")
        done = await log.wait(pilot, "force-unack")
        assert done.result == "partial" and "only that bot can remove it" in done.summary
    marks = await slack_marks(emu.base_url, JOBS, ts)
    assert marks["pin"] is None
    assert marks["reactions"] == {"lock": ["U0ALPHA001", "U0BRAVO001"]}
    assert [(r["action"], r["result"]) for r in audit_records(audit_path)] == [
        ("force_release", "partial")]


async def test_force_unack_of_a_live_lock_needs_the_ts_typed(scenario, clock, audit_path):
    emu, sc = scenario
    ts = sc.roles["mine"]              # the console's own fresh lock: every mark is removable
    async with on_row(sc, clock, audit_path, ts) as (app, pilot, log):
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, ForceReleaseDialog),
                         what="the force-unack dialog")
        dialog = app.screen
        assert dialog.needs_typing
        confirm = dialog.query_one("#confirm")
        assert confirm.disabled
        await pilot.press(*"1234", "enter")               # wrong: nothing happens
        assert confirm.disabled and app.screen is dialog
        for _ in range(4):
            await pilot.press("backspace")
        await pilot.press(*ts)
        assert not confirm.disabled
        await pilot.press("enter")
        assert (await log.wait(pilot, "force-unack")).result == "ok"
    assert await slack_marks(emu.base_url, JOBS, ts) == {"pin": None, "reactions": {}}


async def test_force_unack_cancelled_changes_nothing_and_is_audited(scenario, clock, audit_path):
    emu, sc = scenario
    ts = sc.roles["locked"]
    app = start(sc, clock, audit_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await ready(pilot)
        await select(pilot, ts)
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, ForceReleaseDialog),
                         what="the force-unack dialog")
        await pilot.press("escape")
        await wait_until(pilot, lambda: audit_records(audit_path), what="the audit record")
    assert (await slack_marks(emu.base_url, JOBS, ts))["pin"] == "U0BRAVO001"
    assert [(r["action"], r["ts"], r["result"]) for r in audit_records(audit_path)] == [
        ("force-unack", ts, "cancelled")]


async def test_clear_stale_lists_every_stale_lock_and_clears_them(scenario, clock, audit_path):
    emu, sc = scenario
    stale = {sc.roles["stale"], sc.roles["shared"], sc.roles["human"]}
    log = ActionLog()
    app = start(sc, clock, audit_path)
    async with app.run_test(size=(160, 45), message_hook=log) as pilot:
        await ready(pilot)
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, ClearStaleDialog),
                         what="the clear-stale dialog")
        assert {p.ts for p in app.screen.plans} == stale
        await pilot.click("#confirm")
        assert (await log.wait(pilot, "clear-stale")).result == "partial"   # reactions stay
        rows = main_screen(app).model_for(JOBS)
        assert all(rows.get(ts).state is not LockState.STALE for ts in stale)
    for ts in stale:
        assert (await slack_marks(emu.base_url, JOBS, ts))["pin"] is None
    # not stale: untouched
    assert (await slack_marks(emu.base_url, JOBS, sc.roles["lease"]))["pin"] == "U0CHARL001"
    assert (await slack_marks(emu.base_url, JOBS, sc.roles["locked"]))["pin"] == "U0BRAVO001"


async def test_the_status_bar_says_what_a_slow_action_waits_for(scenario, clock, audit_path):
    emu, sc = scenario
    app = start(sc, clock, audit_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        emu.set_faults(latency_ms=400)                 # Slack is slow today
        await pilot.press("S")
        await wait_until(pilot, lambda: screen.status.info.busy, what="the busy note")
        assert screen.status.info.busy == "finding stale locks in #jobs"
        await wait_until(pilot, lambda: isinstance(app.screen, ClearStaleDialog),
                         what="the clear-stale dialog")
        assert screen.status.info.busy == ""
