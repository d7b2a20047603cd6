"""The main screen's operator actions: ack, unack, done, force-unack, clear stale.

Each action gathers input (a dialog where one is needed), calls one core function in the exclusive
"action" worker, then records the outcome in the audit log, the activity log and a toast, and
re-reads the message so its row shows what Slack now says.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from textual import work

from slackmq_core import LockResult, MessageLock, Outcome, SlackMQError
from slackmq_tui.messages import ActionFinished
from slackmq_tui.screens.ack import AckDialog
from slackmq_tui.screens.clear_stale import ClearStaleDialog
from slackmq_tui.screens.force_release import ForceReleaseDialog
from slackmq_tui.widgets._format import holder_label

if TYPE_CHECKING:
    from slackmq_tui.screens.main import MainScreen


def describe_result(action: str, result: LockResult) -> tuple[str, str]:
    """(severity, text) for a LockResult."""
    ts = result.ts
    n = len(result.marks)
    match result.outcome:
        case Outcome.ACQUIRED:
            return "information", f"Acquired {ts} ({n} mark{'s' * (n != 1)} placed)"
        case Outcome.RELEASED:
            return "information", f"Released {ts} ({n} mark{'s' * (n != 1)} removed)"
        case Outcome.COMPLETED:
            return "information", f"Marked {ts} done"
        case Outcome.FAILED:
            return "information", f"Marked {ts} failed"
        case Outcome.HELD:
            return "warning", f"{ts} is held by {holder_label(result.holder)}: not acquired"
        case Outcome.DONE:
            return "warning", f"{ts} is already done: not acquired"
        case Outcome.NOT_HELD:
            return "warning", f"The console holds nothing on {ts}: nothing to {action}"
    return "error", f"{action} {ts} failed: {result.advice or result.error or 'unknown error'}"


class LockActions:
    """Mixin for MainScreen: the mutating actions (hidden when read-only)."""

    @contextmanager
    def busy(self: MainScreen, what: str) -> Iterator[None]:
        """Say in the status bar what the console is waiting for (Slack may be slow: 429s)."""
        self.status.set_status(busy=what)
        try:
            yield
        finally:
            self.status.set_status(busy="")

    def finish(self: MainScreen, action: str, channel: str, ts: str | None, result: str,
               summary: str, severity: str = "information") -> None:
        """One place for the end of every action: activity, toast, message. (The core's lock
        client has already written the audit record.)"""
        kind = {"information": "ok", "warning": "warning", "error": "error"}[severity]
        self.activity(summary, kind)
        if ts is not None:
            self.remember(channel, ts, f"{action} by the console: {result}")
        self.app.notify(summary, title=action, severity=severity,
                        timeout=8 if severity == "error" else 5)
        self.post_message(ActionFinished(action, channel, ts, result, summary))

    async def failed(self: MainScreen, action: str, channel: str, ts: str | None,
                     error: SlackMQError) -> None:
        advice = self.app.report_error(error, f"{action} {ts or ''}".strip())
        code = getattr(error, "error", "") or type(error).__name__
        await self.app.audit(action=action, channel=channel, ts=ts, result=f"error:{code}",
                             detail={"advice": advice})
        self.post_message(ActionFinished(action, channel, ts, f"error:{code}", advice))

    async def _lock_op(self: MainScreen, action: str, lock: MessageLock, op) -> None:
        try:
            with self.busy(f"{action} {lock.ts}"):
                result: LockResult = await op
        except SlackMQError as exc:
            await self.failed(action, lock.channel, lock.ts, exc)
        else:
            severity, text = describe_result(action, result)
            word = "ok" if result.ok else (f"error:{result.error}" if result.outcome is
                                           Outcome.ERROR else result.outcome.value)
            self.finish(action, lock.channel, lock.ts, word, text, severity)
        await self.reread(lock.channel, lock.ts)

    # -- ack / unack / done ------------------------------------------------------------------

    def action_ack(self: MainScreen) -> None:
        lock = self.selected
        if lock is None:
            return
        from slackmq_tui.app import STRATEGIES

        usable = dict(self.identity.strategies) if self.identity else {}
        who = f"@{self.identity.name}" if self.identity else "the console"
        dialog = AckDialog(lock.ts, lock.text, who, STRATEGIES, self.services.default_strategy,
                           usable)
        self.app.push_screen(dialog, callback=lambda s: s and self.ack(lock, s))

    @work(exclusive=True, group="action")
    async def ack(self: MainScreen, lock: MessageLock, strategy: str) -> None:
        factory = self.services.client_for
        client = factory(strategy) if factory is not None else self.services.client
        await self._lock_op("ack", lock, client.acquire(lock.channel, lock.ts))

    def action_unack(self: MainScreen) -> None:
        if self.selected is not None:
            self.unack(self.selected)

    @work(exclusive=True, group="action")
    async def unack(self: MainScreen, lock: MessageLock) -> None:
        await self._lock_op("unack", lock, self.services.client.release(lock.channel, lock.ts))

    def action_done(self: MainScreen) -> None:
        if self.selected is not None:
            self.done(self.selected)

    @work(exclusive=True, group="action")
    async def done(self: MainScreen, lock: MessageLock) -> None:
        await self._lock_op("done", lock, self.services.client.complete(lock.channel, lock.ts))

    # -- force-unack -------------------------------------------------------------------------

    def action_force_unack(self: MainScreen) -> None:
        if self.selected is not None:
            self.force_unack(self.selected)

    @work(exclusive=True, group="action")
    async def force_unack(self: MainScreen, lock: MessageLock) -> None:
        client = self.services.client
        channel, ts = lock.channel, lock.ts
        try:
            with self.busy(f"reading the marks on {ts}"):
                plan = await client.plan_force_release(channel, ts)
        except SlackMQError as exc:
            await self.failed("force-unack", channel, ts, exc)
            return
        dialog = ForceReleaseDialog(plan, self.model_for(channel).get(ts) or lock,
                                    self.channel_name(channel), clock=self.clock)
        if not await self.app.push_screen_wait(dialog):
            self.activity(f"force-unack {ts}: cancelled")
            await self.app.audit(action="force-unack", channel=channel, ts=ts, result="cancelled",
                                 detail={"removable": len(plan.removable)})
            return
        try:
            with self.busy(f"force-unack {ts}"):
                report = await client.force_release(channel, ts)
        except SlackMQError as exc:
            await self.failed("force-unack", channel, ts, exc)
        else:
            text = f"Removed {len(report.removed)} mark(s) from {ts}"
            if report.not_removed:
                reasons = "; ".join(f.reason for f in report.not_removed)
                text += f"; {len(report.not_removed)} could not be removed: {reasons}"
            result = "ok" if not report.not_removed else "partial"
            self.finish("force-unack", channel, ts, result, text,
                              "information" if result == "ok" else "warning")
        await self.reread(channel, ts)

    # -- clear stale -------------------------------------------------------------------------

    def action_clear_stale(self: MainScreen) -> None:
        if self.current is not None:
            self.clear_stale(self.current)

    @work(exclusive=True, group="action")
    async def clear_stale(self: MainScreen, channel: str) -> None:
        client = self.services.client
        older_than = self.services.stale_after
        try:
            with self.busy(f"finding stale locks in #{self.channel_name(channel)}"):
                plans = await client.plan_reap(channel, older_than=older_than)
        except SlackMQError as exc:
            await self.failed("clear-stale", channel, None, exc)
            return
        model = self.model_for(channel)
        locks = {p.ts: model.get(p.ts) for p in plans if model.get(p.ts) is not None}
        dialog = ClearStaleDialog(plans, locks, self.channel_name(channel), older_than,
                                  clock=self.clock)
        if not await self.app.push_screen_wait(dialog) or not plans:
            self.activity("clear stale: cancelled" if plans else "clear stale: no stale locks")
            if plans:
                await self.app.audit(action="clear-stale", channel=channel, ts=None,
                                     result="cancelled", detail={"stale": [p.ts for p in plans]})
            return
        try:
            with self.busy(f"clearing stale locks in #{self.channel_name(channel)}"):
                report = await client.reap(channel, older_than=older_than)
        except SlackMQError as exc:
            await self.failed("clear-stale", channel, None, exc)
        else:
            marks = sum(len(r.removed) for r in report.reaped)
            text = f"Cleared {len(report.reaped)} stale lock(s) in #{self.channel_name(channel)}" \
                   f" ({marks} mark(s) removed)"
            stuck = sum(len(r.not_removed) for r in report.reaped)
            if stuck:
                text += f"; {stuck} mark(s) could not be removed"
            if report.skipped:
                text += f"; skipped {len(report.skipped)}: " + \
                        "; ".join(f"{ts} ({why})" for ts, why in report.skipped)
            result = "ok" if not (stuck or report.skipped) else "partial"
            self.finish("clear-stale", channel, None, result, text,
                              "information" if result == "ok" else "warning")
            for r in report.reaped:
                self.remember(channel, r.ts, "stale lock cleared by the console")
        for plan in plans:
            await self.reread(channel, plan.ts)
