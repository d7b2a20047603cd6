"""Who holds what (inspect / history / locks / summary / whoami), force-release and the reaper."""

from __future__ import annotations

import time

import pytest
from core_helpers import ALPHA, BRAVO, JOBS, lock_client, marks_on, post_jobs

from slackmq_core import LockClient, LockOptions, LockState, Outcome, Primitive, make_client

pytestmark = pytest.mark.emulator(rate_limits=False)

CONSOLE = "xoxb-emu-console"


def later(seconds: float):
    return lambda: time.time() + seconds


def test_inspect_names_holders_with_since_and_age(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha = lock_client(emulator, "xoxb-emu-alpha", claim_note=True)
    alpha.acquire(JOBS, ts)
    lock = lock_client(emulator, CONSOLE).inspect("#jobs", ts)
    assert lock.state is LockState.LOCKED and lock.text == "job 0"
    assert lock.author.name == "publisher" and lock.author.is_bot
    kinds = {m.primitive: m for m in lock.marks}
    assert set(kinds) == {Primitive.PIN, Primitive.REACTION, Primitive.CLAIM}
    assert all(m.holder.user_id == ALPHA and m.holder.name == "alpha-worker" for m in lock.marks)
    assert kinds[Primitive.PIN].since is not None and kinds[Primitive.REACTION].since is None
    assert 0 <= kinds[Primitive.PIN].age(time.time()) < 60
    assert lock.lease.worker_id == alpha.worker_id and lock.lease.alive(time.time())
    assert lock.lease.pid > 0 and lock.lease.host


def test_history_pages_newest_first_with_every_state(emulator):
    pending, locked, done, failed, stale = post_jobs(emulator, 5)
    alpha = lock_client(emulator, "xoxb-emu-alpha")
    for ts in (locked, done, failed, stale):
        assert alpha.acquire(JOBS, ts).ok
    alpha.complete(JOBS, done)
    alpha.fail(JOBS, failed, "boom")
    viewer = LockClient(make_client(CONSOLE, base_url=emulator.base_url), LockOptions(stale_after=900))
    first = viewer.history(JOBS, limit=3)
    assert [m.ts for m in first.messages] == [stale, failed, done] and first.next_cursor
    second = viewer.history(JOBS, limit=3, cursor=first.next_cursor)
    assert [m.ts for m in second.messages] == [locked, pending] and second.next_cursor is None
    states = {m.ts: m.state for m in first.messages + second.messages}
    assert states == {pending: LockState.PENDING, locked: LockState.LOCKED, done: LockState.DONE,
                      failed: LockState.FAILED, stale: LockState.LOCKED}
    future = LockClient(make_client(CONSOLE, base_url=emulator.base_url), clock=later(1000))
    assert {m.ts: m.state for m in future.history(JOBS).messages}[stale] is LockState.STALE
    summary = future.summary("jobs")
    assert summary.channel.name == "jobs"
    assert summary.counts[LockState.STALE] == 2 and summary.counts[LockState.DONE] == 1
    assert {m.ts for m in future.locks(JOBS)} == {locked, stale}


def test_history_reads_threads_only_to_check_stale_candidates(emulator):
    tss = post_jobs(emulator, 4)
    alpha = lock_client(emulator, "xoxb-emu-alpha", claim_note=True)
    for ts in tss:
        alpha.acquire(JOBS, ts)
    viewer = lock_client(emulator, CONSOLE)
    viewer.history(JOBS)
    assert viewer.calls["conversations.history"] == 1 and viewer.calls["pins.list"] == 1
    assert viewer.calls["conversations.replies"] == 0   # nothing could be stale yet
    future = LockClient(make_client(CONSOLE, base_url=emulator.base_url), clock=later(1000))
    page = future.history(JOBS)
    assert future.calls["conversations.replies"] == 4
    assert all(m.state is LockState.STALE for m in page.messages)   # the 60 s leases have expired


def test_force_release_removes_what_it_can_and_says_why_not(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha = lock_client(emulator, "xoxb-emu-alpha", strategy="claim")
    alpha.acquire(JOBS, ts)
    console = lock_client(emulator, CONSOLE)
    plan = console.plan_force_release(JOBS, ts)
    assert [m.primitive for m in plan.removable] == [Primitive.PIN]
    reasons = {f.mark.primitive: f.reason for f in plan.not_removable}
    assert "only that bot can remove it" in reasons[Primitive.REACTION]
    assert "only its author can delete it" in reasons[Primitive.CLAIM]
    report = console.force_release(JOBS, ts)
    assert [m.primitive for m in report.removed] == [Primitive.PIN]
    assert len(report.not_removed) == 2
    assert marks_on(emulator.control.snapshot(), ts)["pin"] is None
    # the holder's own token can remove everything
    report = lock_client(emulator, "xoxb-emu-alpha").force_release(JOBS, ts)
    assert {m.primitive for m in report.removed} == {Primitive.REACTION, Primitive.CLAIM}
    assert report.not_removed == ()
    left = marks_on(emulator.control.snapshot(), ts)
    assert (left["pin"], left["reactions"]) == (None, {})
    # only the console's release note (naming alpha, whose reaction it could not remove) stays
    assert [n["metadata"]["event_type"] for n in left["notes"]] == ["slackmq_release"]


def test_force_release_of_a_failed_message_lets_it_be_retried(emulator):
    (ts,) = post_jobs(emulator, 1)
    alpha = lock_client(emulator, "xoxb-emu-alpha")
    alpha.acquire(JOBS, ts)
    alpha.fail(JOBS, ts, "flaky")
    assert lock_client(emulator, "xoxb-emu-alpha").force_release(JOBS, ts).removed
    assert alpha.acquire(JOBS, ts).outcome is Outcome.ACQUIRED


def test_reaper_takes_stale_locks_and_never_one_with_a_live_lease(emulator):
    no_lease, heartbeating, expired = post_jobs(emulator, 3)
    plain = lock_client(emulator, "xoxb-emu-alpha")
    long_lease = lock_client(emulator, "xoxb-emu-alpha", claim_note=True, lease_seconds=3600)
    short_lease = lock_client(emulator, "xoxb-emu-alpha", claim_note=True, lease_seconds=60)
    plain.acquire(JOBS, no_lease)
    long_lease.acquire(JOBS, heartbeating)
    long_lease.heartbeat(JOBS, heartbeating)
    short_lease.acquire(JOBS, expired)
    reaper = LockClient(make_client("xoxb-emu-alpha", base_url=emulator.base_url), clock=later(1000))
    plans = reaper.plan_reap(JOBS)
    assert {p.ts for p in plans} == {no_lease, expired}
    dry = reaper.reap(JOBS, dry_run=True)
    assert {r.ts for r in dry.reaped} == {no_lease, expired} and dry.dry_run
    assert marks_on(emulator.control.snapshot(), no_lease)["pin"] == ALPHA
    report = reaper.reap(JOBS)
    assert {r.ts for r in report.reaped} == {no_lease, expired}
    assert [ts for ts, why in report.skipped] == [heartbeating]
    assert "lease alive" in report.skipped[0][1]
    snap = emulator.control.snapshot()
    for ts in (no_lease, expired):
        assert marks_on(snap, ts) == {"pin": None, "reactions": {}, "notes": []}
    assert marks_on(snap, heartbeating)["pin"] == ALPHA
    assert reaper.reap(JOBS, older_than=5000).reaped == ()   # younger than older_than: untouched


def test_reaper_rechecks_the_lease_right_before_taking(emulator):
    """A holder that heartbeats between the plan and the reap keeps its lock."""
    (ts,) = post_jobs(emulator, 1)
    holder = lock_client(emulator, "xoxb-emu-alpha", claim_note=True, lease_seconds=60)
    holder.acquire(JOBS, ts)
    reaper = LockClient(make_client(CONSOLE, base_url=emulator.base_url), clock=later(1000))
    assert [p.ts for p in reaper.plan_reap(JOBS)] == [ts]
    holder.ctx.options = holder.options.with_(lease_seconds=3600)   # renewed for an hour
    holder.heartbeat(JOBS, ts)
    report = reaper.reap(JOBS)
    assert report.reaped == () and report.skipped[0][0] == ts
    assert marks_on(emulator.control.snapshot(), ts)["pin"] == ALPHA


def test_whoami_reports_token_type_and_strategies(emulator):
    alpha = lock_client(emulator, "xoxb-emu-alpha").whoami()
    assert (alpha.user_id, alpha.name, alpha.token_type, alpha.is_bot) == (ALPHA, "alpha-worker", "bot", True)
    assert alpha.bot_id == "B0ALPHA0001" and alpha.team_id == "T0SLACKMQ1"
    assert "user token" in alpha.strategies["pin+star"]
    dana = lock_client(emulator, "xoxp-emu-dana").whoami()
    assert dana.token_type == "user" and not dana.is_bot


def test_whoami_reads_scopes_from_the_response_header(emulator):
    nopin = lock_client(emulator, "xoxb-emu-nopin").whoami()
    assert "pins:write" not in nopin.scopes and "reactions:write" in nopin.scopes
    assert nopin.strategies["pin+reaction"] == "missing scope pins:write"
    assert lock_client(emulator, "xoxb-emu-alpha").whoami().strategies["claim"] == "ok"


def test_a_reaped_holder_learns_it_on_its_next_heartbeat(emulator):
    from slackmq_core import LeaseExpired

    (ts,) = post_jobs(emulator, 1)
    holder = lock_client(emulator, "xoxb-emu-alpha", claim_note=True, lease_seconds=60)
    holder.acquire(JOBS, ts)
    reaper = LockClient(make_client("xoxb-emu-alpha", base_url=emulator.base_url), clock=later(1000))
    assert [r.ts for r in reaper.reap(JOBS).reaped] == [ts]
    holder.ctx.clock = later(1000)          # the holder wakes up after its lease ran out
    with pytest.raises(LeaseExpired):
        holder.heartbeat(JOBS, ts)
    assert holder.release(JOBS, ts).outcome is Outcome.NOT_HELD


def test_every_mutating_operation_is_audited_without_the_token(emulator, tmp_path):
    from slackmq_core import AuditLog

    (ts,) = post_jobs(emulator, 1)
    audit = AuditLog(tmp_path / "audit.jsonl")
    alpha = LockClient(make_client("xoxb-emu-alpha", base_url=emulator.base_url), audit=audit, actor="ops")
    alpha.acquire(JOBS, ts)
    alpha.heartbeat(JOBS, ts)
    alpha.complete(JOBS, ts)
    alpha.force_release(JOBS, ts)
    alpha.inspect(JOBS, ts)                 # reads are not audited
    entries = list(audit.entries())
    assert [e["action"] for e in entries] == ["acquire", "heartbeat", "complete", "force_release"]
    assert entries[0]["result"] == "acquired" and entries[0]["actor"] == "ops"
    assert all(e["ts"] == ts and e["channel"] == JOBS for e in entries)
    assert "xoxb" not in (tmp_path / "audit.jsonl").read_text()


@pytest.mark.parametrize("strategy", ["claim", "pin+reaction"])
def test_after_the_console_reaps_a_dead_bot_another_bot_takes_the_job(emulator, strategy):
    """The console cannot remove the dead bot's reaction or note; with claim notes on, the dead
    holder's expired lease lets other workers (other users, or the same user) take the job."""
    dead_users_job, same_user_job = post_jobs(emulator, 2)
    for ts in (dead_users_job, same_user_job):
        lock_client(emulator, "xoxb-emu-alpha", strategy=strategy, claim_note=True,
                    lease_seconds=60).acquire(JOBS, ts)                        # then it dies
    console = LockClient(make_client(CONSOLE, base_url=emulator.base_url), clock=later(1000))
    report = console.reap(JOBS)
    assert {r.ts for r in report.reaped} == {dead_users_job, same_user_job}
    assert all(r.not_removed for r in report.reaped)      # alpha's reaction and note stay
    bravo = LockClient(make_client("xoxb-emu-bravo", base_url=emulator.base_url),
                       LockOptions(strategy=strategy, claim_note=True), clock=later(1000))
    res = bravo.acquire(JOBS, dead_users_job)
    assert res.outcome is Outcome.ACQUIRED, res
    assert bravo.complete(JOBS, dead_users_job).outcome is Outcome.COMPLETED
    if strategy == "claim":   # alpha's own sibling adopts the dead reaction in claim mode
        sibling = LockClient(make_client("xoxb-emu-alpha", base_url=emulator.base_url),
                             LockOptions(strategy=strategy), clock=later(1000))
        assert sibling.acquire(JOBS, same_user_job).outcome is Outcome.ACQUIRED
        assert sibling.release(JOBS, same_user_job).outcome is Outcome.RELEASED
        assert marks_on(emulator.control.snapshot(), same_user_job)["reactions"] == {}


def test_without_claim_notes_a_release_note_lets_others_past_a_dead_bots_reaction(emulator):
    """No lease: the reaper's release note is what tells workers the dead bot's reaction is a leftover."""
    (ts,) = post_jobs(emulator, 1)
    lock_client(emulator, "xoxb-emu-alpha").acquire(JOBS, ts)
    console = LockClient(make_client(CONSOLE, base_url=emulator.base_url), clock=later(1000))
    rep = console.reap(JOBS).reaped[0]
    assert rep.not_removed[0].mark.primitive is Primitive.REACTION and rep.release_note
    bravo = lock_client(emulator, "xoxb-emu-bravo")
    res = bravo.acquire(JOBS, ts)
    assert res.outcome is Outcome.ACQUIRED, res
    left = marks_on(emulator.control.snapshot(), ts)
    assert left["pin"] == BRAVO and left["reactions"] == {"lock": [ALPHA, BRAVO]}


def test_force_release_by_the_starring_user_removes_the_star(emulator):
    (ts,) = post_jobs(emulator, 1)
    dana = lock_client(emulator, "xoxp-emu-dana", strategy="pin+star+reaction")
    dana.acquire(JOBS, ts)
    console = lock_client(emulator, CONSOLE, strategy="pin+star+reaction")
    plan = console.plan_force_release(JOBS, ts)
    assert [m.primitive for m in plan.removable] == [Primitive.PIN]     # dana's star is private
    assert "only that user can remove it" in plan.not_removable[0].reason
    report = lock_client(emulator, "xoxp-emu-dana", strategy="pin+star+reaction").force_release(JOBS, ts)
    assert {m.primitive for m in report.removed} == {Primitive.PIN, Primitive.STAR, Primitive.REACTION}
    assert not any(emulator.control.snapshot()["stars"].values())
