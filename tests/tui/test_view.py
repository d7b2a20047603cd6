"""Reading the console: filter, locked-only, paging, channel switching, help, read-only."""

from __future__ import annotations

import dataclasses

from tui_scenario import (
    BUILDS,
    JOBS,
    main_screen,
    ready,
    settle,
    slack_marks,
    wait_until,
    worker,
)

from slackmq_core import LockState, make_async_client
from slackmq_tui.app import make_app
from slackmq_tui.screens.help import HelpScreen


def states(screen) -> set[LockState]:
    return {lock.state for lock in screen.stream.rows}


async def test_filter_by_holder_state_and_text_then_escape_clears(scenario, clock, tmp_path):
    emu, sc = scenario
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        await pilot.press("slash", *"holder:bravo")
        # bravo holds one lock and shares another (its reaction on alpha's pinned message)
        assert [r.ts for r in screen.stream.rows] == [sc.roles["locked"], sc.roles["shared"]]
        await pilot.press("enter")
        assert screen.stream.has_focus                              # Enter applies and leaves
        await pilot.press("slash", "ctrl+u", *"state:stale")
        assert states(screen) == {LockState.STALE} and len(screen.stream.rows) == 3
        await pilot.press("ctrl+u", *"invoice")
        assert [r.text for r in screen.stream.rows] == ["send invoice #1042 to ACME Corp"]
        await pilot.press("ctrl+u", *"state:bogus")                 # bad input: named
        label = str(screen.query_one("#filter-label").render())
        assert "'bogus'" in label and "pending, locked, stale, done, failed" in label
        await pilot.press("escape")
        assert len(screen.stream.rows) == len(sc.jobs)
        assert not screen.query_one("#filter").display


async def test_paging_loads_older_messages_as_the_cursor_nears_the_end(scenario, clock, tmp_path):
    emu, sc = scenario
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")
    app.services.page_size = 5
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        # the first page, plus what the 20-row look-ahead asked for while the screen was empty
        model = screen.model_for(JOBS)
        assert model.pages_loaded >= 1
        for _ in range(10):
            await pilot.press("end")
            await settle(pilot)
        assert [r.ts for r in screen.stream.rows] == sorted(sc.jobs, reverse=True)
        assert not model.wants_more


async def test_locked_only_shows_every_lock_even_beyond_loaded_pages(scenario, clock, tmp_path):
    emu, sc = scenario
    for i in range(60):                                           # bury the locks under pages
        emu.post(JOBS, "U0PUBLSH01", f"later job {i}")
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")
    app.services.page_size = 5
    async with app.run_test(size=(120, 24)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        model = screen.model_for(JOBS)
        assert model.wants_more and model.loaded < 60             # older pages not loaded
        await pilot.press("o")
        await settle(pilot)
        held = {sc.roles[r] for r in ("stale", "shared", "lease", "human", "locked", "mine")}
        assert {r.ts for r in screen.stream.rows} == held
        assert states(screen) <= {LockState.LOCKED, LockState.STALE}
        await pilot.press("o")
        assert LockState.PENDING in states(screen)


async def test_switching_channels_keeps_each_channels_counts(scenario, clock, tmp_path):
    emu, sc = scenario
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.current == BUILDS
        assert [r.ts for r in screen.stream.rows] == sorted(sc.builds, reverse=True)
        assert screen.channel_list.counts(BUILDS).states == {
            LockState.PENDING: 1, LockState.LOCKED: 1, LockState.STALE: 0, LockState.DONE: 1,
            LockState.FAILED: 0}
        await pilot.press("left_square_bracket")
        assert screen.current == JOBS and len(screen.stream.rows) == len(sc.jobs)


async def test_the_activity_log_takes_the_detail_panels_place_when_narrow(
        scenario, clock, tmp_path):
    emu, sc = scenario
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        detail, log = screen.query_one("#detail"), screen.query_one("#activity")
        assert detail.display and not log.display
        await pilot.press("L")
        assert log.display and not detail.display
        await pilot.press("L")
        assert detail.display and not log.display


async def test_help_lists_the_keys(scenario, clock, tmp_path):
    emu, sc = scenario
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        assert "force-unack" in text and "clear stale" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_read_only_hides_every_mutating_action(scenario, clock, tmp_path):
    emu, sc = scenario
    app = make_app(sc.profile(), read_only=True, clock=clock, audit_path=tmp_path / "a.jsonl")
    async with app.run_test(size=(160, 45)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        shown = {b.binding.action for b in screen.active_bindings.values()}
        assert {"filter", "only_locked", "help"} <= shown
        assert shown.isdisjoint({"ack", "unack", "done", "force_unack", "clear_stale"})
        assert screen.status.info.read_only
        titles = {c.title for c in app.get_system_commands(screen)}
        assert "Filter" in titles and not {"Ack message", "Force-unack",
                                           "Clear stale locks"} & titles
        screen.stream.focus()
        screen.stream.select_ts(sc.roles["pending"])
        await pilot.press("a", "F", "S", "d")
        await settle(pilot)
        assert app.screen is screen                               # no dialog opened
        await pilot.press("question_mark")
        text = str(app.screen.query_one("#help-text").render())
        assert "force-unack: remove" not in text and "Read-only" in text
    assert await slack_marks(emu.base_url, JOBS, sc.roles["pending"]) == {
        "pin": None, "reactions": {}}
    # the core refuses too: a read-only client raises before any Slack call
    assert app.services.client.options.read_only


async def test_ack_dialog_says_why_a_token_cannot_lock(scenario, clock, tmp_path):
    """A bot token without pins:write: every strategy is offered disabled, with the reason."""
    from slackmq_core import Secret
    from slackmq_tui.screens.ack import AckDialog

    emu, sc = scenario
    profile = dataclasses.replace(sc.profile(), bot_token=Secret("xoxb-emu-nopin"),
                                  channels=("jobs",))
    app = make_app(profile, clock=clock, audit_path=tmp_path / "a.jsonl")
    async with app.run_test(size=(160, 45)) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AckDialog), what="the ack dialog")
        options = app.screen.query_one("#strategies")
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(5)]
        assert all(options.get_option_at_index(i).disabled for i in range(5))
        assert "pin+reaction — missing scope pins:write" in prompts
        await pilot.press("enter")
        assert isinstance(app.screen, AckDialog)                  # nothing to choose


async def test_a_slack_error_shows_its_advice(scenario, clock, tmp_path):
    """The message vanished after it was listed: ack reports Slack's reason in plain words."""
    emu, sc = scenario
    ts = sc.roles["pending"]
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")
    app.services.watcher_factory = None          # no live update may remove the row first
    async with app.run_test(size=(160, 45)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        assert screen.status.info.mode == "manual"
        publisher = make_async_client("xoxb-emu-publisher", base_url=emu.base_url)
        await publisher.chat_delete(channel=JOBS, ts=ts)
        await pilot.press("a")
        await wait_until(pilot, lambda: app.screen is not screen, what="the ack dialog")
        await pilot.press("enter")
        log = screen.query_one("#activity")
        await wait_until(pilot, lambda: any(k == "error" for k, _ in log.entries),
                         what="the error in the activity log")
        text = next(t for k, t in log.entries if k == "error")
        assert "message" in text.lower() and ts in text
        await settle(pilot)
        assert screen.model_for(JOBS).get(ts) is None             # re-read: it is gone


async def test_the_palette_offers_actions_and_channels(scenario, clock, tmp_path):
    emu, sc = scenario
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        commands = {c.title: c for c in app.get_system_commands(screen)}
        assert {"Ack message", "Force-unack", "Clear stale locks", "Filter", "Refresh",
                "Switch to #builds", "Theme", "Quit"} <= set(commands)
        commands["Switch to #builds"].callback()
        await settle(pilot)
        assert screen.current == BUILDS and len(screen.stream.rows) == len(sc.builds)


async def test_refresh_reloads_what_changed_behind_the_consoles_back(scenario, clock, tmp_path):
    """No watcher: a lock taken elsewhere shows after `r`."""
    emu, sc = scenario
    ts = sc.roles["pending"]
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")
    app.services.watcher_factory = None
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        await worker("xoxb-emu-delta", emu.base_url, clock).acquire(JOBS, ts)
        assert screen.model_for(JOBS).get(ts).state is LockState.PENDING
        await pilot.press("r")
        await settle(pilot)
        assert screen.model_for(JOBS).get(ts).state is LockState.LOCKED
        assert screen.channel_list.counts(JOBS).states[LockState.LOCKED] == 4
