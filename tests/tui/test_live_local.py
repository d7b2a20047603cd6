"""Live rows change from the events alone (no Slack call), time turns locks stale on screen,
activity lines name users, and the channel counts say what they count."""

from __future__ import annotations

import aiohttp
from tui_scenario import JOBS, main_screen, ready, select, settle, wait_until, worker

from slackmq_core import LockState, Secret, make_async_client
from slackmq_tui.app import make_app
from slackmq_tui.widgets.channel_list import channel_prompt

CONSOLE_USER = "U0CONSOL01"


def live_app(sc, clock, tmp_path):
    return make_app(sc.profile(app_token=Secret("xapp-emu-console")), clock=clock,
                    audit_path=tmp_path / "a.jsonl")


def control_url(base_url: str, route: str) -> str:
    return base_url.rstrip("/").removesuffix("/api") + "/_emulator/" + route


async def console_calls(base_url: str) -> dict[str, int]:
    """Web API calls made with the console's bot token, from GET /_emulator/stats."""
    async with aiohttp.ClientSession() as http, http.get(control_url(base_url, "stats")) as r:
        stats = await r.json()
    return dict(stats["calls_by_user"].get(CONSOLE_USER, {}))


async def reset_stats(base_url: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(control_url(base_url,
                                                                      "stats/reset")) as r:
        assert r.status == 200


async def as_bot(token: str, base_url: str, method: str, **args) -> None:
    web = make_async_client(token, base_url=base_url)
    try:
        await getattr(web, method)(**args)
    finally:
        if web.session is not None:
            await web.session.close()


def stream_text(screen) -> str:
    """What the message stream shows right now, line by line."""
    height = screen.stream.scrollable_content_region.height
    return "\n".join(screen.stream.render_line(y).text for y in range(height))


async def test_another_bots_pin_changes_the_row_with_no_slack_call(scenario, clock, tmp_path):
    emu, sc = scenario
    ts = sc.roles["pending"]
    app = live_app(sc, clock, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        model = screen.model_for(JOBS)
        locked_before = screen.channel_list.counts(JOBS).states[LockState.LOCKED]
        await reset_stats(emu.base_url)
        await as_bot("xoxb-emu-alpha", emu.base_url, "pins_add", channel=JOBS, timestamp=ts)
        await as_bot("xoxb-emu-alpha", emu.base_url, "reactions_add", channel=JOBS,
                     timestamp=ts, name="lock")
        await wait_until(pilot, lambda: model.get(ts).state is LockState.LOCKED
                         and len(model.get(ts).marks) == 2, what="alpha's pin and reaction")
        await settle(pilot)
        row = model.get(ts)
        assert [h.name for h in row.holders] == ["alpha-worker"]
        assert row.locked_since == clock()                  # the pin's own time, from the event
        assert "alpha-worker" in stream_text(screen)
        assert screen.channel_list.counts(JOBS).states[LockState.LOCKED] == locked_before + 1
        assert await console_calls(emu.base_url) == {}      # not one Slack call: no pins.list
        assert screen.live_stats["applied"] >= 2 and screen.live_stats["reread"] == 0


async def test_a_lock_turns_stale_on_screen_when_its_ttl_passes(scenario, clock, tmp_path):
    emu, sc = scenario
    app = live_app(sc, clock, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        model = screen.model_for(JOBS)
        ts = sc.roles["locked"]                     # bravo's lock, 6 minutes old
        assert model.get(ts).state is LockState.LOCKED
        counts = screen.channel_list.counts(JOBS).states
        await reset_stats(emu.base_url)
        clock.advance(app.services.stale_after)     # bravo's worker crashed: nothing happens
        await wait_until(pilot, lambda: model.get(ts).state is LockState.STALE,
                         what="the lock to turn stale")
        await settle(pilot)
        assert model.get(sc.roles["lease"]).state is LockState.LOCKED   # its lease still runs
        moved = sum(1 for r in model.view() if r.state is LockState.STALE) - counts[LockState.STALE]
        after = screen.channel_list.counts(JOBS).states
        assert moved >= 1
        assert after[LockState.STALE] == counts[LockState.STALE] + moved
        assert after[LockState.LOCKED] == counts[LockState.LOCKED] - moved
        line = next(t for t in stream_text(screen).splitlines() if "bravo-worker" in t)
        assert "stale" in line
        assert await console_calls(emu.base_url) == {}      # time alone: no Slack call
        # the same verdict as a fresh read of Slack at that time
        fresh = worker("xoxb-emu-console", emu.base_url, clock)
        try:
            for lock in model.view():
                assert (await fresh.inspect(JOBS, lock.ts)).state is lock.state, lock.text
        finally:
            if fresh.client.session is not None:
                await fresh.client.session.close()


async def test_activity_lines_name_a_bot_the_console_had_not_met(scenario, clock, tmp_path):
    emu, sc = scenario
    ts = sc.roles["pending"]
    app = live_app(sc, clock, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        assert not screen.knows("U0NOPIN001")              # nopin appears nowhere in the scenario
        await as_bot("xoxb-emu-nopin", emu.base_url, "reactions_add", channel=JOBS, timestamp=ts, name="lock")
        log = screen.activity_log
        await wait_until(pilot, lambda: any(":lock: added by" in t for _, t in log.entries),
                         what="the reaction in the activity log")
        await settle(pilot)
        lines = [t for _, t in log.entries if ":lock: added by" in t]
        assert lines and all(":lock: added by nopin-bot" in t for t in lines), lines
        assert not any("U0NOPIN001" in t for _, t in log.entries)
        assert [h.name for h in screen.model_for(JOBS).get(ts).holders] == ["nopin-bot"]
        assert any(":lock: added by nopin-bot" in r.text for r in screen.events_for(JOBS, ts))


async def test_counts_say_which_part_of_the_channel_they_cover(scenario, clock, tmp_path):
    emu, sc = scenario
    emu.seed(JOBS, count=120, user="U0PUBLSH01", events=False)   # the scenario's jobs are
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")  # past page 1
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        counts = screen.channel_list.counts(JOBS)
        assert counts.locks_exact and not counts.complete
        fresh = worker("xoxb-emu-console", emu.base_url, clock)
        try:
            locks = await fresh.locks(JOBS)
        finally:
            if fresh.client.session is not None:
                await fresh.client.session.close()
        pinned = {lock.ts for lock in locks}
        assert pinned and not pinned <= {r.ts for r in screen.stream.rows}  # older locks too
        held = {LockState.LOCKED, LockState.STALE}
        for state in held:                        # every lock of the channel (pins.list) ...
            assert counts.states[state] >= sum(1 for lock in locks if lock.state is state)
        others = sum(n for s, n in counts.states.items() if s not in held)
        assert others <= counts.loaded < 120 + len(sc.jobs)    # ... the rest over what is loaded
        prompt = channel_prompt(screen.infos[JOBS], counts).plain
        assert f"of {counts.loaded}" in prompt.splitlines()[2]


async def test_a_late_redelivered_event_does_not_undo_newer_ones(scenario, clock, tmp_path):
    """Slack redelivers an unacknowledged envelope later: a pin_added that arrives after the
    pin_removed it preceded must not show the message pinned again (the row is re-read)."""
    from slackmq_core.watch import ChannelEvent
    from slackmq_tui.messages import ChannelEventReceived

    emu, sc = scenario
    ts = sc.roles["pending"]
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")
    app.services.watcher_factory = None            # the test delivers the events itself
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        model = screen.model_for(JOBS)
        await as_bot("xoxb-emu-alpha", emu.base_url, "pins_add", channel=JOBS, timestamp=ts)
        pinned_at = clock()
        clock.advance(2)
        await as_bot("xoxb-emu-alpha", emu.base_url, "pins_remove", channel=JOBS, timestamp=ts)
        removed = ChannelEvent("pin_removed", JOBS, ts, user="U0ALPHA001",
                               event_ts=f"{clock():.6f}")
        late = ChannelEvent("pin_added", JOBS, ts, user="U0ALPHA001", event_ts=f"{pinned_at:.6f}",
                            pinned_by="U0ALPHA001", pinned_at=pinned_at)
        screen.post_message(ChannelEventReceived(removed))
        screen.post_message(ChannelEventReceived(late))       # the first one, delivered late
        await wait_until(pilot, lambda: sum(1 for _, t in screen.activity_log.entries
                                            if ": pinned by" in t) == 1, what="both events")
        await settle(pilot)
        assert model.get(ts).state is LockState.PENDING and not model.get(ts).marks


async def test_a_burst_of_events_is_applied_in_one_batch(scenario, clock, tmp_path):
    """Thirty events delivered at once: one batch, one repaint, each row as the events say."""
    from slackmq_core.watch import ChannelEvent
    from slackmq_tui.messages import ChannelEventReceived

    emu, sc = scenario
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "a.jsonl")
    app.services.watcher_factory = None            # the test delivers the events itself
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        model = screen.model_for(JOBS)
        pending = [r.ts for r in model.view() if r.state is LockState.PENDING][:10]
        flushes = screen.live_stats["flushes"]
        view = model.view()
        await reset_stats(emu.base_url)
        for i, ts in enumerate(pending):
            for kind, extra in (("pin_added", {"pinned_by": "U0BRAVO001", "pinned_at": clock()}),
                                ("reaction_added", {"reaction": "lock"}),
                                ("reaction_added", {"reaction": "white_check_mark"})):
                screen.post_message(ChannelEventReceived(ChannelEvent(
                    kind, JOBS, ts, user="U0BRAVO001", event_ts=f"{clock() + i / 100:.6f}",
                    **extra)))
        await wait_until(pilot, lambda: all(model.get(ts).state is LockState.DONE
                                            for ts in pending), what="the burst applied")
        await settle(pilot)
        assert screen.live_stats["flushes"] == flushes + 1      # one batch, one repaint
        assert model.view() is view                             # rows patched in place
        assert await console_calls(emu.base_url) == {}


async def test_a_lease_that_runs_out_turns_stale_and_is_confirmed_by_one_read(
        scenario, clock, tmp_path):
    emu, sc = scenario
    ts = sc.roles["lease"]                       # charlie's claim note, a one-hour lease
    app = live_app(sc, clock, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        model = screen.model_for(JOBS)
        await select(pilot, ts)                  # the detail reads its thread: the lease is known
        assert model.get(ts).state is LockState.LOCKED and model.get(ts).lease is not None
        rereads = screen.live_stats["reread"]
        clock.advance(3700)                      # the lease ran out: charlie died
        await wait_until(pilot, lambda: model.get(ts).state is LockState.STALE,
                         what="the lease row to turn stale")
        await settle(pilot)
        assert screen.live_stats["reread"] == rereads + 1     # confirmed by one batched read
        assert model.get(ts).state is LockState.STALE
        assert screen.detail.shown.state is LockState.STALE
