"""The console starts on the seeded workspace and shows what Slack holds."""

from __future__ import annotations

from tui_scenario import JOBS, main_screen, ready

from slackmq_core import LockState
from slackmq_tui.app import make_app


async def test_first_page_shows_every_state_with_holders(scenario, clock, tmp_path):
    emu, sc = scenario
    app = make_app(sc.profile(), clock=clock, audit_path=tmp_path / "audit.jsonl")
    async with app.run_test(size=(160, 45)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        rows = {lock.ts: lock for lock in screen.stream.rows}
        assert list(rows) == sorted(rows, reverse=True)          # newest first
        assert rows[sc.roles["stale"]].state is LockState.STALE
        assert rows[sc.roles["locked"]].state is LockState.LOCKED
        assert [h.name for h in rows[sc.roles["locked"]].holders] == ["bravo-worker"]
        assert rows[sc.roles["lease"]].state is LockState.LOCKED   # past the TTL, live lease
        assert rows[sc.roles["done"]].state is LockState.DONE
        assert rows[sc.roles["failed"]].state is LockState.FAILED
        assert rows[sc.roles["pending"]].state is LockState.PENDING
        assert screen.stream.selected.ts == sc.roles["pending"]     # cursor on the newest
        counts = screen.channel_list.counts(JOBS)
        assert counts is not None and sum(counts.states.values()) == len(sc.jobs) == counts.loaded
        assert counts.complete and counts.locks_exact
        assert screen.status.info.identity == "@slackmq-console"
        assert screen.status.info.mode == "polling"
