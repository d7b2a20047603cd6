"""The two drivers of the one protocol: ``LockClient`` (WebClient) and ``AsyncLockClient``.

Both run the same generators (``_acquire``, ``_release``, ``_inspect``, ``_reap``) and differ only
in how a :class:`~slackmq_core._protocol.Call` is executed and how they wait. The retry policy lives
here (:class:`RetryPolicy`):

* HTTP 429: wait ``Retry-After`` (integer seconds) and resend; never reported as contention. After
  ``rate_limit_waits`` waits the call raises RateLimited.
* 5xx, timeouts, connection errors, ``internal_error``: bounded exponential backoff with jitter.
  For a write this makes the outcome *ambiguous*; the answer of the retry (or the final error) is
  marked ``after_ambiguous`` so the protocol settles it by reading state.
* Anything else is thrown into the generator at once.

Release, complete and fail never sleep unless Slack itself asks (429) or fails (5xx).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from types import MappingProxyType
from typing import Any

from slackmq_core import _acquire, _inspect, _reap, _release
from slackmq_core._exceptions import (
    AlreadyDone,
    InputError,
    LockHeld,
    ReadOnlyError,
    SlackAPIError,
    SlackMQError,
    TransportError,
)
from slackmq_core._lease import default_worker_id
from slackmq_core._model import Holder, LockResult, Outcome
from slackmq_core._protocol import Call, Ctx, Reply
from slackmq_core._retry import Attempts, RetryPolicy
from slackmq_core._slack import response_parts, token_type_of
from slackmq_core._strategy import LockOptions

__all__ = ["AsyncLockClient", "LockClient", "RetryPolicy"]

log = logging.getLogger("slackmq_core")


_PASS_THROUGH = (InputError, ReadOnlyError)


def _error_result(exc: SlackMQError, channel: str, ts: str) -> LockResult:
    if isinstance(exc, SlackAPIError):
        code = exc.error
    elif isinstance(exc, TransportError):
        code = "transport"
    else:
        code = type(exc).__name__.lower()
    return LockResult(Outcome.ERROR, channel, ts, error=code, advice=exc.advice or str(exc))


class _Base:
    def __init__(self, client: Any, options: LockOptions | None = None, *, worker_id: str | None = None,
                 clock: Callable[[], float] = time.time, audit: Any = None, actor: str | None = None,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], Any] | None = None,
                 rng: Callable[[], float] | None = None) -> None:
        self.client = client
        self.ctx = Ctx(options if options is not None else LockOptions(), worker_id or default_worker_id(), socket.gethostname(), os.getpid(),
                       clock, token_type_of(getattr(client, "token", None)))
        self.audit = audit
        self.actor = actor
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.random
        self.calls: Counter[str] = Counter()   # API calls made, by method (attempts included)

    @property
    def options(self) -> LockOptions:
        return self.ctx.options

    @property
    def worker_id(self) -> str:
        return self.ctx.worker_id

    def __repr__(self) -> str:
        return f"<{type(self).__name__} worker={self.worker_id!r} strategy={self.options.strategy.value}>"

    @property
    def users(self) -> Mapping[str, Holder]:
        """Every user this client has named so far (users.info, cached): for ``apply_event``."""
        return MappingProxyType(self.ctx.users)

    def _before(self, c: Call) -> None:
        if c.write and self.options.read_only:
            raise ReadOnlyError(f"{c.method} refused: this client is read-only")
        if c.method in ("pins.add", "pins.remove"):   # our own pin change: the snapshot is out of date
            self.ctx.pins_cache.pop(str(c.args.get("channel")), None)

    def _check_writable(self, action: str) -> None:
        if self.options.read_only:
            raise ReadOnlyError(f"{action} refused: this client is read-only (read_only=True)")

    def _record(self, action: str, channel: str, ts: str | None, result: str, detail: Any = None) -> None:
        if self.audit is None:
            return
        actor = self.actor or (self.ctx.me.name if self.ctx.me else "") or self.worker_id
        try:
            self.audit.record(actor=actor, action=action, channel=channel, ts=ts, result=result,
                              detail=detail)
        except Exception as exc:  # noqa: BLE001 - an audit failure must not break a lock operation
            log.warning("audit log failed for %s %s %s: %s", action, channel, ts, exc)

    @staticmethod
    def _result_detail(res: LockResult) -> dict:
        d: dict[str, Any] = {"marks": [m.primitive.value for m in res.marks]}
        if res.holder:
            d["holder"] = res.holder.user_id
        if res.error:
            d["error"] = res.error
        return d


def _gen_for(name: str) -> Callable[..., Any]:
    return {"acquire": _acquire.acquire, "release": _release.release, "complete": _release.complete,
            "fail": _release.fail}[name]


class LockClient(_Base):
    """Sync lock client over a ``slack_sdk.WebClient`` (see ``make_client``)."""

    def _execute(self, c: Call) -> Reply:
        self._before(c)
        tries = Attempts(self.retry, c, self._rng)
        while True:
            self.calls[c.method] += 1
            try:
                resp = getattr(self.client, c.sdk_name)(**c.args)
            except Exception as raw:  # noqa: BLE001 - translated, then retried or re-raised
                step = tries.on_error(raw)
                if isinstance(step, SlackMQError):
                    raise step from None
                (self._sleep if self._sleep is not None else time.sleep)(step)
                continue
            data, headers = response_parts(resp)
            return Reply(data, headers, tries.ambiguous)

    def _run(self, gen: Any) -> Any:
        value: Any = None
        exc: BaseException | None = None
        while True:
            try:
                c = gen.throw(exc) if exc is not None else gen.send(value)
            except StopIteration as stop:
                return stop.value
            try:
                value, exc = self._execute(c), None
            except SlackMQError as err:
                value, exc = None, err

    def _lock_op(self, name: str, channel: str, ts: str, *args: Any) -> LockResult:
        self._check_writable(name)
        try:
            res = self._run(_gen_for(name)(self.ctx, channel, ts, *args))
        except _PASS_THROUGH:
            raise
        except SlackMQError as exc:
            res = _error_result(exc, str(channel), str(ts))
        self._record(name, res.channel, res.ts, res.outcome.value, self._result_detail(res))
        return res

    # -- lock operations ------------------------------------------------------------------------
    def acquire(self, channel: str, ts: str) -> LockResult:
        return self._lock_op("acquire", channel, ts)

    def release(self, channel: str, ts: str) -> LockResult:
        return self._lock_op("release", channel, ts)

    def complete(self, channel: str, ts: str) -> LockResult:
        return self._lock_op("complete", channel, ts)

    def fail(self, channel: str, ts: str, reason: str = "") -> LockResult:
        return self._lock_op("fail", channel, ts, reason)

    def heartbeat(self, channel: str, ts: str):  # -> Lease
        self._check_writable("heartbeat")
        lease = self._run(_release.heartbeat(self.ctx, channel, ts))
        self._record("heartbeat", channel, ts, "ok", {"expires_at": lease.expires_at})
        return lease

    @contextmanager
    def held(self, channel: str, ts: str, *, on_error: str = "release") -> Iterator[LockResult]:
        """``with client.held(ch, ts) as lock:`` — acquire, run the block, release.

        Raises LockHeld (``.holder``) or AlreadyDone instead of entering, or the typed Slack error.
        On a normal exit the lock is released unless the block completed or failed it already. On
        an exception it is released too (default: another worker may retry the job), or marked
        failed with the exception as reason when ``on_error="fail"``; the exception propagates.
        """
        _check_on_error(on_error)
        self._check_writable("acquire")
        res = self._run(_acquire.acquire(self.ctx, channel, ts))
        self._record("acquire", res.channel, res.ts, res.outcome.value, self._result_detail(res))
        _raise_unless_acquired(res)
        try:
            yield res
        except BaseException as exc:
            if (res.channel, res.ts) in self.ctx.held:
                if on_error == "fail":
                    self.fail(res.channel, res.ts, f"{type(exc).__name__}: {exc}")
                else:
                    self.release(res.channel, res.ts)
            raise
        if (res.channel, res.ts) in self.ctx.held:
            self.release(res.channel, res.ts)

    # -- operators ------------------------------------------------------------------------------
    def plan_force_release(self, channel: str, ts: str):
        return self._run(_reap.plan_force_release(self.ctx, channel, ts))

    def force_release(self, channel: str, ts: str):
        self._check_writable("force_release")
        rep = self._run(_reap.force_release(self.ctx, channel, ts))
        self._record("force_release", rep.channel, rep.ts, "ok" if not rep.not_removed else "partial",
                     _reap.report_detail(rep))
        return rep

    def plan_reap(self, channel: str, *, older_than: float | None = None):
        return self._run(_reap.plan_reap(self.ctx, channel, older_than))

    def reap(self, channel: str, *, older_than: float | None = None, dry_run: bool = False):
        if not dry_run:
            self._check_writable("reap")
        rep = self._run(_reap.reap(self.ctx, channel, older_than, dry_run))
        if not dry_run:
            for r in rep.reaped:
                self._record("reap", r.channel, r.ts, "ok" if not r.not_removed else "partial",
                             _reap.report_detail(r))
        return rep

    # -- who holds what -------------------------------------------------------------------------
    def inspect(self, channel: str, ts: str):
        return self._run(_inspect.inspect(self.ctx, channel, ts))

    def inspect_many(self, channel: str, ts_list: Iterable[str], *, max_age: float = 0.0):
        """{ts: MessageLock}, gone messages left out; ONE pins.list for them all (see _inspect)."""
        return self._run(_inspect.inspect_many(self.ctx, channel, list(ts_list), max_age))

    def history(self, channel: str, *, limit: int = 100, cursor: str | None = None):
        return self._run(_inspect.history(self.ctx, channel, limit, cursor))

    def locks(self, channel: str):
        return self._run(_inspect.locks(self.ctx, channel))

    def summary(self, channel: str):
        return self._run(_inspect.summary(self.ctx, channel))

    def resolve_channel(self, name_or_id: str):
        return self._run(_inspect.resolve(self.ctx, name_or_id))

    def channels(self):
        return self._run(_inspect.channels(self.ctx))

    def whoami(self):
        return self._run(_inspect.whoami(self.ctx))


class AsyncLockClient(_Base):
    """Async lock client over a ``slack_sdk.web.async_client.AsyncWebClient``: same methods, awaited."""

    async def _execute(self, c: Call) -> Reply:
        self._before(c)
        tries = Attempts(self.retry, c, self._rng)
        while True:
            self.calls[c.method] += 1
            try:
                resp = await getattr(self.client, c.sdk_name)(**c.args)
            except asyncio.CancelledError:
                raise
            except Exception as raw:  # noqa: BLE001 - translated, then retried or re-raised
                step = tries.on_error(raw)
                if isinstance(step, SlackMQError):
                    raise step from None
                if self._sleep is not None:
                    waited = self._sleep(step)
                    if asyncio.iscoroutine(waited):
                        await waited
                else:
                    await asyncio.sleep(step)
                continue
            data, headers = response_parts(resp)
            return Reply(data, headers, tries.ambiguous)

    async def _run(self, gen: Any) -> Any:
        value: Any = None
        exc: BaseException | None = None
        while True:
            try:
                c = gen.throw(exc) if exc is not None else gen.send(value)
            except StopIteration as stop:
                return stop.value
            try:
                value, exc = await self._execute(c), None
            except SlackMQError as err:
                value, exc = None, err

    async def _lock_op(self, name: str, channel: str, ts: str, *args: Any) -> LockResult:
        self._check_writable(name)
        try:
            res = await self._run(_gen_for(name)(self.ctx, channel, ts, *args))
        except _PASS_THROUGH:
            raise
        except SlackMQError as exc:
            res = _error_result(exc, str(channel), str(ts))
        self._record(name, res.channel, res.ts, res.outcome.value, self._result_detail(res))
        return res

    async def acquire(self, channel: str, ts: str) -> LockResult:
        return await self._lock_op("acquire", channel, ts)

    async def release(self, channel: str, ts: str) -> LockResult:
        return await self._lock_op("release", channel, ts)

    async def complete(self, channel: str, ts: str) -> LockResult:
        return await self._lock_op("complete", channel, ts)

    async def fail(self, channel: str, ts: str, reason: str = "") -> LockResult:
        return await self._lock_op("fail", channel, ts, reason)

    async def heartbeat(self, channel: str, ts: str):
        self._check_writable("heartbeat")
        lease = await self._run(_release.heartbeat(self.ctx, channel, ts))
        self._record("heartbeat", channel, ts, "ok", {"expires_at": lease.expires_at})
        return lease

    @asynccontextmanager
    async def held(self, channel: str, ts: str, *, on_error: str = "release") -> AsyncIterator[LockResult]:
        """``async with client.held(ch, ts) as lock:`` — same rules as the sync one."""
        _check_on_error(on_error)
        self._check_writable("acquire")
        res = await self._run(_acquire.acquire(self.ctx, channel, ts))
        self._record("acquire", res.channel, res.ts, res.outcome.value, self._result_detail(res))
        _raise_unless_acquired(res)
        try:
            yield res
        except BaseException as exc:
            if (res.channel, res.ts) in self.ctx.held:
                if on_error == "fail":
                    await self.fail(res.channel, res.ts, f"{type(exc).__name__}: {exc}")
                else:
                    await self.release(res.channel, res.ts)
            raise
        if (res.channel, res.ts) in self.ctx.held:
            await self.release(res.channel, res.ts)

    async def plan_force_release(self, channel: str, ts: str):
        return await self._run(_reap.plan_force_release(self.ctx, channel, ts))

    async def force_release(self, channel: str, ts: str):
        self._check_writable("force_release")
        rep = await self._run(_reap.force_release(self.ctx, channel, ts))
        self._record("force_release", rep.channel, rep.ts, "ok" if not rep.not_removed else "partial",
                     _reap.report_detail(rep))
        return rep

    async def plan_reap(self, channel: str, *, older_than: float | None = None):
        return await self._run(_reap.plan_reap(self.ctx, channel, older_than))

    async def reap(self, channel: str, *, older_than: float | None = None, dry_run: bool = False):
        if not dry_run:
            self._check_writable("reap")
        rep = await self._run(_reap.reap(self.ctx, channel, older_than, dry_run))
        if not dry_run:
            for r in rep.reaped:
                self._record("reap", r.channel, r.ts, "ok" if not r.not_removed else "partial",
                             _reap.report_detail(r))
        return rep

    async def inspect(self, channel: str, ts: str):
        return await self._run(_inspect.inspect(self.ctx, channel, ts))

    async def inspect_many(self, channel: str, ts_list: Iterable[str], *, max_age: float = 0.0):
        """{ts: MessageLock}, gone messages left out; ONE pins.list for them all (see _inspect)."""
        return await self._run(_inspect.inspect_many(self.ctx, channel, list(ts_list), max_age))

    async def history(self, channel: str, *, limit: int = 100, cursor: str | None = None):
        return await self._run(_inspect.history(self.ctx, channel, limit, cursor))

    async def locks(self, channel: str):
        return await self._run(_inspect.locks(self.ctx, channel))

    async def summary(self, channel: str):
        return await self._run(_inspect.summary(self.ctx, channel))

    async def resolve_channel(self, name_or_id: str):
        return await self._run(_inspect.resolve(self.ctx, name_or_id))

    async def channels(self):
        return await self._run(_inspect.channels(self.ctx))

    async def whoami(self):
        return await self._run(_inspect.whoami(self.ctx))


def _check_on_error(on_error: str) -> None:
    if on_error not in ("release", "fail"):
        raise InputError(f"bad on_error {on_error!r}: use 'release' (default) or 'fail'")


def _raise_unless_acquired(res: LockResult) -> None:
    """held(): HELD -> LockHeld, DONE -> AlreadyDone; errors were raised by the protocol already."""
    if res.outcome is Outcome.ACQUIRED:
        return
    if res.outcome is Outcome.DONE:
        raise AlreadyDone(f"message {res.ts} in {res.channel} is already done"
                          + (f" ({res.advice})" if res.advice else ""))
    who = res.holder.label if res.holder else "someone else"
    raise LockHeld(f"message {res.ts} in {res.channel} is held by {who}", holder=res.holder)
