"""Live updates: rows follow Socket Mode events; a dropped socket loses nothing on screen."""

from __future__ import annotations

from tui_scenario import JOBS, main_screen, ready, settle, wait_until, worker

from slackmq_core import LockState, Secret
from slackmq_tui.app import make_app


def live_app(sc, clock, tmp_path):
    return make_app(sc.profile(app_token=Secret("xapp-emu-console")), clock=clock,
                    audit_path=tmp_path / "a.jsonl")


async def test_a_new_message_appears_at_the_top(scenario, clock, tmp_path):
    emu, sc = scenario
    app = live_app(sc, clock, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        assert screen.status.info.mode == "live"
        selected = screen.stream.selected.ts
        clock.advance(5)
        ts = emu.post(JOBS, "U0PUBLSH01", "fresh job from the publisher")
        await wait_until(pilot, lambda: screen.stream.rows[0].ts == ts, what="the new row")
        row = screen.stream.rows[0]
        assert row.state is LockState.PENDING and row.text == "fresh job from the publisher"
        assert screen.stream.selected.ts == selected          # the cursor stays on its message
        await settle(pilot)
        assert screen.model_for(JOBS).get(ts).author.name == "publisher"


async def test_another_bots_lock_and_release_show_up(scenario, clock, tmp_path):
    emu, sc = scenario
    ts = sc.roles["pending"]
    app = live_app(sc, clock, tmp_path)
    alpha = worker("xoxb-emu-alpha", emu.base_url, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        model = screen.model_for(JOBS)
        await alpha.acquire(JOBS, ts)
        await wait_until(pilot, lambda: [h.name for h in model.get(ts).holders]
                         == ["alpha-worker"], what="alpha's lock on the row")
        assert model.get(ts).state is LockState.LOCKED
        assert any("alpha-worker" in rec.text for rec in screen.events_for(JOBS, ts))
        await alpha.release(JOBS, ts)
        await wait_until(pilot, lambda: model.get(ts).state is LockState.PENDING,
                         what="the release on the row")
        await settle(pilot)
        counts = screen.channel_list.counts(JOBS)
        assert counts.states[LockState.LOCKED] == 3                 # back to the scenario's three


async def test_a_dropped_socket_reconnects_and_catches_up(scenario, clock, tmp_path):
    emu, sc = scenario
    ts = sc.roles["pending"]
    app = live_app(sc, clock, tmp_path)
    bravo = worker("xoxb-emu-bravo", emu.base_url, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        shown = len(screen.stream.rows)
        assert await emu.drop_sockets(mode="close") >= 1
        await bravo.acquire(JOBS, ts)                  # while (maybe) nobody listens
        log = screen.query_one("#activity")
        await wait_until(pilot, lambda: screen.model_for(JOBS).get(ts).state
                         is LockState.LOCKED, what="the change made during the drop")
        await settle(pilot)
        assert len(screen.stream.rows) == shown                 # nothing lost on screen
        assert screen.watch_status.reconnects >= 1
        assert any("reloading" in text for _, text in log.entries)


async def test_losing_slack_shows_offline_or_stale_since_when(scenario, clock, tmp_path):
    emu, sc = scenario
    app = live_app(sc, clock, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        rows = list(screen.stream.rows)
        clock.advance(30)
        await emu.drop_sockets(mode="close")
        emu.set_faults(error_rate=1.0)                # every API call now fails (HTTP 5xx)
        await wait_until(pilot, lambda: screen.status.info.mode in ("offline", "stale"),
                         what="the status bar to say the view is not live")
        info = screen.status.info
        assert info.since == clock()                  # since when, on the console's clock
        assert screen.stream.rows == rows             # what was on screen stays
        emu.set_faults(error_rate=0.0)
        await wait_until(pilot, lambda: screen.status.info.mode == "live", timeout=30,
                         what="live again")


async def test_a_claim_note_updates_its_parent_and_never_becomes_a_row(scenario, clock, tmp_path):
    emu, sc = scenario
    ts = sc.roles["pending"]
    app = live_app(sc, clock, tmp_path)
    charlie = worker("xoxb-emu-charlie", emu.base_url, clock, strategy="claim")
    charlie.ctx.worker_id, charlie.ctx.host, charlie.ctx.pid = "charlie-2", "worker-9", 77
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        model = screen.model_for(JOBS)
        before = {r.ts for r in screen.stream.rows}
        await charlie.acquire(JOBS, ts)
        await charlie.heartbeat(JOBS, ts)              # edits the claim note (message_changed)
        await wait_until(pilot, lambda: model.get(ts).lease is not None
                         and model.get(ts).lease.host == "worker-9", what="the lease on the row")
        await settle(pilot)
        assert {r.ts for r in screen.stream.rows} == before     # no reply became a row
        await charlie.release(JOBS, ts)                # deletes the note, removes the marks
        await wait_until(pilot, lambda: model.get(ts).state is LockState.PENDING
                         and model.get(ts).lease is None, what="the release")
        await settle(pilot)
        assert {r.ts for r in screen.stream.rows} == before
