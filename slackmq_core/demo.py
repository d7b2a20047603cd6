"""The embedded demo: an in-process Slack emulator, a job publisher and a fleet of real workers.

::

    with Demo(DemoConfig(seed=1)) as demo:      # emulator + history + fleet, in background threads
        demo.console_profile()                  # a Profile for the console (xoxb/xapp-emu-console)
        ...
    demo.summary()                              # what happened (stop() returns it too)

Everything talks to the emulator over HTTP and WebSocket through real slack_sdk clients; every
worker is the core's :class:`~slackmq_core.worker.Worker`. The fleet, in the order ``workers`` adds
them:

============ ======================= ========= =====================================================
name         bot user (token)        events    what it shows
============ ======================= ========= =====================================================
alpha-1      alpha-worker            Socket    app alpha, connection 1 of 2
bravo-1      bravo-worker            Socket    app bravo, connection 1 of 2
charlie      charlie-worker          polling   its own bot user, no app token: polls history
delta-slow   delta-worker            polling   only ``nightly-report`` jobs; runs long and
                                               heartbeats its claim-note lease past the stale TTL
bravo-gpu    bravo-worker (shared)   polling   only ``gpu-render`` jobs; crashes mid-job: its
                                               lock is never released and turns stale
alpha-2      alpha-worker (shared)   Socket    app alpha, connection 2: Slack gives each event to
                                               one connection per app, the locks decide between apps
bravo-2      bravo-worker (shared)   Socket    app bravo, connection 2
alpha-3 ...  (extra connections, alternating apps)
============ ======================= ========= =====================================================

Rate limits are Slack's tiers with the emulator's clock ``time_scale`` times faster (windows of
60/time_scale seconds), so a lively publisher stays inside them; lease and stale times are real
seconds. This module never imports Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slackmq_core import _demo_data as seed
from slackmq_core._demo_data import DemoSummary, WorkerReport, WorkerSpec, roster
from slackmq_core._exceptions import InputError
from slackmq_core._strategy import LockOptions
from slackmq_core.worker import Job, Worker, WorkerStats

__all__ = ["Demo", "DemoConfig", "DemoSummary", "WorkerReport", "WorkerSpec", "roster"]

log = logging.getLogger("slackmq.demo")

CHANNEL = "C0JOBS0001"
CONSOLE_BOT, CONSOLE_APP = "xoxb-emu-console", "xapp-emu-console"
_PUBLISHER = "xoxb-emu-publisher"
_RESTARTS = 5                 # a failing worker is restarted this many times, as a supervisor would


@dataclass(frozen=True)
class DemoConfig:
    """How the demo runs. Times are real seconds unless said otherwise."""

    workers: int = 7
    rate: float = 0.5                     # jobs published per second
    seed: int = 0
    faults: str = "none"                  # none | light | heavy
    time_scale: float = 5.0               # Slack's rate-limit windows run this much faster
    stale_ttl: float = 60.0               # a lock older than this with no live lease is stale
    lease_seconds: float = 20.0           # claim-note lease; heartbeats every lease/3
    job_seconds: tuple[float, float] = (1.0, 4.0)
    slow_seconds: float = 150.0           # the slow worker's report jobs
    crash_after: float = 2.0              # the GPU worker dies this long into its first job
    fail_rate: float = 0.08
    history: bool = True                  # seed an hour of history before the fleet starts
    max_jobs: int | None = None           # the publisher stops after this many (None: never)
    drain_seconds: float = 1.0            # stop(): how long running jobs get before they are released

    def __post_init__(self) -> None:
        if not isinstance(self.workers, int) or not 1 <= self.workers <= seed.MAX_WORKERS:
            raise InputError(f"--workers {self.workers!r}: give a whole number from 1 to {seed.MAX_WORKERS}")
        if not 0 < self.rate <= 10:
            raise InputError(f"--rate {self.rate!r}: give jobs per second, more than 0 and at most 10")
        if self.faults not in seed.FAULT_PRESETS:
            raise InputError(f"--faults {self.faults!r}: use one of {', '.join(seed.FAULT_PRESETS)}")
        if not 0 < self.time_scale <= 1000:
            raise InputError(f"time_scale {self.time_scale!r}: give a number from 0 (excluded) to 1000")
        for name in ("stale_ttl", "lease_seconds", "slow_seconds", "crash_after", "drain_seconds"):
            if getattr(self, name) <= 0:
                raise InputError(f"{name} {getattr(self, name)!r}: give a positive number of seconds")


class Demo:
    """The running demo (see the module docstring). ``start()`` / ``stop()``, or ``with``."""

    def __init__(self, config: DemoConfig | None = None) -> None:
        self.config = config or DemoConfig()
        self.specs = roster(self.config.workers)
        self.emulator: Any = None                   # what run_in_thread yields
        self.base_url = ""
        self.seeded: dict[str, list[str]] = {}
        self.clock = seed.ShiftedClock()
        self._rng = random.Random(self.config.seed)
        self._emu_cm: Any = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._workers: dict[str, Worker] = {}
        self._clients: dict[str, Any] = {}
        self._states: dict[str, str] = {}
        self._starts: dict[str, list[str]] = {}
        self._crashed: list[str] = []
        self._published = 0
        self._started_at = 0.0
        self._restarts: dict[str, int] = {}
        self._stopped_at: float | None = None
        self._summary: DemoSummary | None = None
        self._lock = threading.Lock()
        self._error: BaseException | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, *, ready_timeout: float = 15.0) -> Demo:
        """Start the emulator, seed the history, start the fleet; returns once the workers listen."""
        from slackmq_core.emulator import EmulatorConfig, run_in_thread

        cfg = self.config
        self._emu_cm = run_in_thread(EmulatorConfig(seed=cfg.seed, time_scale=cfg.time_scale,
                                                    clock=self.clock))
        self.emulator = self._emu_cm.__enter__()
        try:
            self.base_url = self.emulator.base_url
            if cfg.history:
                self.seeded = seed.seed_history(self.emulator, self.clock, options=self._options(),
                                                rng=self._rng)
            if seed.FAULT_PRESETS[cfg.faults]:
                self.emulator.control.faults(**seed.FAULT_PRESETS[cfg.faults])
            self._thread = threading.Thread(target=self._run_fleet, name="slackmq-demo-fleet", daemon=True)
            self._thread.start()
            if not self._ready.wait(ready_timeout):
                raise RuntimeError(f"the demo fleet did not start within {ready_timeout:.0f} s")
            if self._error is not None:
                raise self._error
        except BaseException:
            self.stop()
            raise
        log.info("demo started: %d workers, %.2f jobs/s, faults %s, emulator at %s", len(self.specs),
                 cfg.rate, cfg.faults, self.base_url)
        return self

    def stop(self, timeout: float = 20.0) -> DemoSummary:
        """Stop the publisher and the workers, then the emulator; idempotent. Returns the summary."""
        if self._summary is not None:
            return self._summary
        if self._stopped_at is None:
            self._stopped_at = time.monotonic()
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):     # the loop already ended
                loop.call_soon_threadsafe(event.set)
        if self._thread is not None:
            self._thread.join(timeout)
        stats: dict = {}
        if self._emu_cm is not None:
            with contextlib.suppress(Exception):
                stats = self.emulator.emulator.stats()
            self._emu_cm.__exit__(None, None, None)
            self._emu_cm = None
        self._summary = self._summarize(stats)
        log.info("demo stopped: %s", self._summary.lines()[0])
        return self._summary

    def __enter__(self) -> Demo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def console_profile(self):
        """A Profile for the console on this demo: the console's bot and app tokens, live events."""
        from slackmq_core.config import Profile, Secret

        cfg = self.config
        return Profile(name="demo", workspace="SlackMQ demo (embedded emulator)", api_url=self.base_url,
                       channels=("jobs",), stale_ttl=cfg.stale_ttl, lease_seconds=cfg.lease_seconds,
                       bot_token=Secret(CONSOLE_BOT, source="demo"),
                       app_token=Secret(CONSOLE_APP, source="demo"))

    # -- what happened ----------------------------------------------------------------------------
    def worker(self, name: str) -> Worker:
        return self._workers[name]

    def jobs_started(self) -> dict[str, tuple[str, ...]]:
        """ts -> the workers whose handler ran it, in order."""
        with self._lock:
            return {ts: tuple(ws) for ts, ws in self._starts.items()}

    @property
    def crashed(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._crashed)

    @property
    def published(self) -> int:
        return self._published

    def summary(self) -> DemoSummary:
        """The summary so far (the final one once stopped)."""
        if self._summary is not None:
            return self._summary
        stats: dict = {}
        if self.emulator is not None:
            with contextlib.suppress(Exception):
                stats = self.emulator.emulator.stats()
        return self._summarize(stats)

    def _summarize(self, emu_stats: dict) -> DemoSummary:
        starts = self.jobs_started()
        reports = []
        for spec in self.specs:
            w = self._workers.get(spec.name)
            reports.append(WorkerReport(spec.name, spec.mode, spec.role,
                                        self._states.get(spec.name, "not started"),
                                        w.stats if w is not None else WorkerStats()))
        return DemoSummary(
            seconds=((self._stopped_at or time.monotonic()) - self._started_at) if self._started_at else 0.0,
            published=self._published, started=sum(len(v) for v in starts.values()),
            completed=sum(r.stats.completed for r in reports), failed=sum(r.stats.failed for r in reports),
            crashed=self.crashed, duplicates={ts: ws for ts, ws in starts.items() if len(ws) > 1},
            workers=tuple(reports), api_calls=sum((emu_stats.get("calls") or {}).values()),
            ratelimited=int(emu_stats.get("ratelimited") or 0),
            faults_injected=int(emu_stats.get("faults") or 0), seeded=self.seeded)

    # -- the fleet (runs on its own event loop, in its own thread) ----------------------------------
    def _options(self) -> LockOptions:
        cfg = self.config
        return LockOptions(stale_after=cfg.stale_ttl, lease_seconds=cfg.lease_seconds, claim_note=True,
                           lookup_holder=False)

    def _run_fleet(self) -> None:
        try:
            asyncio.run(self._fleet())
        except BaseException as exc:  # reported to start() / the log; the thread must end quietly
            self._error = exc
            log.error("demo fleet failed", exc_info=exc)
        finally:
            self._ready.set()

    async def _fleet(self) -> None:
        from slackmq_core._slack import make_async_client

        cfg = self.config
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        window = 60.0 / cfg.time_scale
        tasks: dict[str, asyncio.Task] = {}
        for spec in self.specs:
            client = make_async_client(spec.bot_token, base_url=self.base_url)
            self._clients[spec.name] = client
            worker = Worker(client, CHANNEL, self._handler(spec), self._options(), app_token=spec.app_token,
                            worker_id=spec.name, filter=seed.accepts(spec.role), base_url=self.base_url,
                            drain_timeout=min(cfg.drain_seconds, 0.5 if spec.role == "crash" else 60.0),
                            watcher_options={"window": window} if not spec.socket else {})
            self._workers[spec.name] = worker
            tasks[spec.name] = asyncio.create_task(self._run_worker(spec, worker), name=f"demo-{spec.name}")
        await self._until_listening(timeout=10.0)
        self._started_at = time.monotonic()
        self._ready.set()
        publisher = asyncio.create_task(self._publish(), name="demo-publisher")
        await self._stop_event.wait()
        publisher.cancel()
        for worker in self._workers.values():
            worker.stop()
        pending = [t for t in tasks.values() if not t.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=cfg.drain_seconds + 1.0)
            for task in late:
                task.cancel()
        await asyncio.gather(publisher, *tasks.values(), return_exceptions=True)

    async def _until_listening(self, timeout: float) -> None:
        """Wait until every worker listens (or has hit an error: its supervisor restarts it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._stop_event.is_set():
            if all(self._restarts.get(name) or (w.watcher is not None and w.watcher.status.mode in
                                                ("live", "polling")) for name, w in self._workers.items()):
                return
            await asyncio.sleep(0.05)
        log.warning("demo: not every worker was listening after %.0f s; starting anyway", timeout)

    async def _run_worker(self, spec: WorkerSpec, worker: Worker) -> None:
        """Run one worker; like a process supervisor, restart it (a few times) when it fails."""
        name, states = spec.name, self._states
        states[name] = "running"
        while True:
            try:
                await worker.run()
                break
            except asyncio.CancelledError:
                if states.get(name, "").startswith("running"):
                    states[name] = "stopped"
                raise
            except Exception as exc:  # noqa: BLE001 - one worker's failure must not end the demo
                n = self._restarts[name] = self._restarts.get(name, 0) + 1
                if states.get(name) == "crashed":
                    return
                if n > _RESTARTS or self._stop_event.is_set():
                    states[name] = f"failed: {exc}"
                    log.warning("demo worker %s failed: %s", name, exc, exc_info=exc)
                    return
                states[name] = f"running (restarted {n}x, last after: {exc})"
                log.warning("demo worker %s stopped on an error (%s): restarting it in 1 s", name, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop_event.wait(), 1.0)
                if self._stop_event.is_set():
                    break
        if states.get(name, "").startswith("running"):
            n = self._restarts.get(name, 0)
            states[name] = f"stopped ({n} restart{'s' if n > 1 else ''})" if n else "stopped"

    def _handler(self, spec: WorkerSpec) -> Callable[[Job], Any]:
        cfg, rng = self.config, random.Random(f"{self.config.seed}:{spec.name}")

        async def general(job: Job) -> None:
            self._record(spec, job)
            await asyncio.sleep(rng.uniform(*cfg.job_seconds))
            if rng.random() < cfg.fail_rate:
                raise RuntimeError(rng.choice(seed.FAILURES))

        async def slow(job: Job) -> None:
            self._record(spec, job)
            await asyncio.sleep(cfg.slow_seconds)

        async def crash(job: Job) -> None:
            self._record(spec, job)
            await asyncio.sleep(cfg.crash_after)
            if self._stop_event is not None and self._stop_event.is_set():
                return                       # the demo is ending: no crash to show any more
            self._die(spec, job)
            await asyncio.Event().wait()     # hung: the worker cancels it, and nothing it sends arrives

        return {"general": general, "slow": slow, "crash": crash}[spec.role]

    def _record(self, spec: WorkerSpec, job: Job) -> None:
        with self._lock:
            self._starts.setdefault(job.ts, []).append(spec.name)

    def _die(self, spec: WorkerSpec, job: Job) -> None:
        """Simulate a crashed process: its network is cut, so nothing it sends reaches Slack, and it
        stops. Its lock stays (pin, reaction, a claim note no one renews) and turns stale."""
        log.info("demo: %s crashes mid-job on %s (simulated: its connection to Slack is cut)", spec.name,
                 job.ts)
        with self._lock:
            self._crashed.append(job.ts)
        self._states[spec.name] = "crashed"
        self._clients[spec.name].base_url = seed.dead_url()
        self._workers[spec.name].stop()

    async def _publish(self) -> None:
        from slack_sdk.errors import SlackApiError

        from slackmq_core._slack import make_async_client

        cfg = self.config
        rng = random.Random(f"{cfg.seed}:publisher")
        web = make_async_client(_PUBLISHER, base_url=self.base_url)
        roles = {s.role for s in self.specs}
        n = sum(len(v) for v in self.seeded.values())
        while cfg.max_jobs is None or self._published < cfg.max_jobs:
            n += 1
            kind = rng.choice(seed.GENERAL_KINDS)
            if "slow" in roles and self._published % 80 == 1:
                kind = seed.SLOW_KIND
            elif "crash" in roles and self._published == 2:
                kind = seed.CRASH_KIND
            text = seed.job_text(n, kind, rng)
            while True:
                try:
                    await web.chat_postMessage(channel=CHANNEL, text=text)
                    break
                except SlackApiError as exc:
                    if exc.response.status_code != 429:
                        log.warning("demo publisher: chat.postMessage failed: %s", exc.response.get("error"))
                        break
                    await asyncio.sleep(float(exc.response.headers.get("Retry-After", 1)))
                except Exception as exc:  # noqa: BLE001 - a flaky emulator (faults) must not stop it
                    log.warning("demo publisher: %s", exc)
                    break
            self._published += 1
            await asyncio.sleep(rng.expovariate(cfg.rate))
