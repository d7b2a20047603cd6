"""The embedded demo's data: job texts, fault presets, the fleet's roster, the history seeded before
the fleet starts, and the summary of a run.

The demo workspace is the emulator's default one. Seeding moves the emulator's clock back (the
emulator takes an injected clock) so the channel opens with an hour of believable history: jobs done
by different bots, two failures with their reasons, and one lock whose holder died long ago (a pin
from 25 minutes back and a claim note whose lease ran out): the console has a stale lock to show
from its first frame.
"""

from __future__ import annotations

import random
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from slackmq_core.worker import WorkerStats

__all__ = ["FAILURES", "DemoSummary", "FAULT_PRESETS", "GENERAL_KINDS", "MAX_WORKERS", "ShiftedClock", "WorkerReport",
           "WorkerSpec", "accepts", "dead_url", "job_text", "kind_of", "roster", "seed_history"]

#: Kinds every general worker takes.
GENERAL_KINDS = ("resize-image", "send-invoice", "sync-crm", "rebuild-search-index",
                 "transcode-video", "export-csv")
#: Routed kinds: only the slow worker takes reports, only the GPU worker takes renders.
SLOW_KIND = "nightly-report"
CRASH_KIND = "gpu-render"

_SUBJECTS = {
    "resize-image": lambda r: f"photos/IMG_{r.randint(1000, 9999)}.jpg to 3 sizes",
    "send-invoice": lambda r: f"invoice INV-{r.randint(20000, 29999)} to {r.choice(_CUSTOMERS)}",
    "sync-crm": lambda r: f"account {r.choice(_CUSTOMERS)} from the CRM",
    "rebuild-search-index": lambda r: f"shard {r.randint(1, 24)} of the product index",
    "transcode-video": lambda r: f"upload {r.randint(100, 999)}.mov to 720p and 1080p",
    "export-csv": lambda r: f"orders of {r.choice(_MONTHS)} for {r.choice(_CUSTOMERS)}",
    SLOW_KIND: lambda r: f"sales report for {r.choice(_MONTHS)} (long: heartbeats its lease)",
    CRASH_KIND: lambda r: f"scene {r.randint(10, 99)} on the GPU box",
}
_CUSTOMERS = ("acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
MAX_WORKERS = 16
_KIND_RE = re.compile(r"^job \d+ · ([a-z-]+)")

#: ``--faults``: what the emulator injects (see emulator/faults.py).
FAULT_PRESETS: dict[str, dict[str, float]] = {
    "none": {},
    "light": {"latency_ms": 15.0, "error_rate": 0.01, "ambiguous_rate": 0.005,
              "socket_drop_rate": 0.002},
    "heavy": {"latency_ms": 60.0, "error_rate": 0.05, "ambiguous_rate": 0.02,
              "race_probability": 0.2, "race_window_ms": 50.0, "socket_drop_rate": 0.01},
}


def job_text(n: int, kind: str, rng: random.Random) -> str:
    """``job 0007 · resize-image · photos/IMG_4412.jpg to 3 sizes``."""
    return f"job {n:04d} · {kind} · {_SUBJECTS[kind](rng)}"


def kind_of(text: str | None) -> str:
    """The job kind in a job text, or ``""`` for any other message."""
    m = _KIND_RE.match(text or "")
    return m.group(1) if m else ""


#: Why a general job fails (``fail_rate`` of them).
FAILURES = ("upstream answered 503 three times", "input file is corrupt (bad CRC)",
            "timed out after 30 s waiting for the database", "permission denied on the bucket")


def accepts(role: str) -> Callable[[dict], bool]:
    """The worker's filter: which job kinds a worker of this role takes."""
    if role == "slow":
        return lambda msg: kind_of(msg.get("text")) == SLOW_KIND
    if role == "crash":
        return lambda msg: kind_of(msg.get("text")) == CRASH_KIND
    return lambda msg: kind_of(msg.get("text")) in GENERAL_KINDS


def dead_url() -> str:
    """An API URL nothing listens on (a port just bound and closed): connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


class ShiftedClock:
    """Epoch seconds minus ``offset``: the emulator's clock, moved back while history is seeded."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() - self.offset


@dataclass(frozen=True)
class _Past:
    minutes_ago: float
    kind: str
    bot: str                 # the token's name: alpha, bravo, charlie, delta
    worker_id: str
    outcome: str             # done | failed | stale | pending
    reason: str = ""


_HISTORY = (
    _Past(95, SLOW_KIND, "delta", "delta-slow", "done"),
    _Past(80, "resize-image", "alpha", "alpha-1", "done"),
    _Past(70, "send-invoice", "bravo", "bravo-2", "failed", "billing-api answered 503 three times"),
    _Past(55, "sync-crm", "charlie", "charlie", "done"),
    _Past(40, "transcode-video", "alpha", "alpha-2", "failed", "ffmpeg exited 137 (out of memory)"),
    _Past(30, "export-csv", "bravo", "bravo-1", "done"),
    _Past(25, "rebuild-search-index", "charlie", "charlie@batch-07", "stale"),
    _Past(10, "resize-image", "alpha", "alpha-2", "done"),
    _Past(2, "sync-crm", "", "", "pending"),
    _Past(1, "export-csv", "", "", "pending"),
)


def seed_history(emu, clock: ShiftedClock, *, options, rng: random.Random, channel: str = "jobs",
                 publisher: str = "U0PUBLSH01") -> dict[str, list[str]]:
    """Post the history and lock it as it would have been; returns ``{outcome: [ts, ...]}``.

    ``emu`` is what ``run_in_thread`` yields; ``clock`` the emulator's clock. The locks are placed by
    the core's own LockClient over HTTP (real slack_sdk WebClients), so they look exactly like the
    fleet's; only the stale pin is back-dated, through the clock.
    """
    from slackmq_core._client import LockClient
    from slackmq_core._slack import make_client

    out: dict[str, list[str]] = {}
    # history, not news: no Socket Mode event for it (nobody was listening an hour ago), so the
    # console and the workers learn it from their first read, never from late redeliveries
    emu.control.events(False)
    try:
        for i, past in enumerate(_HISTORY, 1):
            clock.offset = past.minutes_ago * 60.0
            ts = emu.control.post(channel, publisher, job_text(i, past.kind, rng))
            out.setdefault(past.outcome, []).append(ts)
            if past.outcome == "pending":
                continue
            opts = options.with_(claim_note=past.outcome == "stale", lease_seconds=60.0)
            web = make_client(f"xoxb-emu-{past.bot}", base_url=emu.base_url)
            lock = LockClient(web, opts, worker_id=past.worker_id, clock=clock)
            lock.acquire(channel, ts)
            clock.offset -= 45.0     # the job ran for a while
            if past.outcome == "done":
                lock.complete(channel, ts)
            elif past.outcome == "failed":
                lock.fail(channel, ts, reason=past.reason)
    finally:
        clock.offset = 0.0
        emu.control.events(True)
    return out


# -- the fleet's roster and the summary of a run ------------------------------------------------
@dataclass(frozen=True)
class WorkerSpec:
    name: str
    bot: str                  # alpha | bravo | charlie | delta
    socket: bool              # Socket Mode with the bot's app token, else polling
    role: str = "general"     # general | slow | crash

    @property
    def bot_token(self) -> str:
        return f"xoxb-emu-{self.bot}"

    @property
    def app_token(self) -> str | None:
        return f"xapp-emu-{self.bot}" if self.socket else None

    @property
    def mode(self) -> str:
        return f"socket ({self.bot} app)" if self.socket else "polling"


def roster(n: int) -> list[WorkerSpec]:
    """The first ``n`` workers of the fleet (see the module docstring)."""
    base = [WorkerSpec("alpha-1", "alpha", True), WorkerSpec("bravo-1", "bravo", True),
            WorkerSpec("charlie", "charlie", False), WorkerSpec("delta-slow", "delta", False, "slow"),
            WorkerSpec("bravo-gpu", "bravo", False, "crash"), WorkerSpec("alpha-2", "alpha", True),
            WorkerSpec("bravo-2", "bravo", True)]
    extra = [WorkerSpec(f"{bot}-{i}", bot, True) for i in range(3, 11) for bot in ("alpha", "bravo")]
    return (base + extra)[:n]


@dataclass(frozen=True)
class WorkerReport:
    name: str
    mode: str
    role: str
    state: str                # running | stopped | crashed | failed: <error>
    stats: WorkerStats


@dataclass(frozen=True)
class DemoSummary:
    seconds: float
    published: int
    started: int                          # handler starts (jobs taken)
    completed: int
    failed: int
    crashed: tuple[str, ...]              # ts of the jobs a worker died on
    duplicates: dict[str, tuple[str, ...]]  # ts -> the workers that each ran it (should be empty)
    workers: tuple[WorkerReport, ...]
    api_calls: int
    ratelimited: int
    faults_injected: int
    seeded: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The headless summary, as printed by ``slackmq demo --headless``."""
        out = [f"demo ran {self.seconds:.0f} s: {self.published} jobs published, {self.started} taken, "
               f"{self.completed} done, {self.failed} failed, {len(self.crashed)} left by a crashed worker"]
        width = max(len(w.name) for w in self.workers) if self.workers else 6
        out.append(f"  {'worker':<{width}}  {'events':<17} {'won':>4} {'done':>4} {'fail':>4} "
                   f"{'lost':>4} {'skip':>4} {'beats':>5}  state")
        for w in self.workers:
            s = w.stats
            out.append(f"  {w.name:<{width}}  {w.mode:<17} {s.acquired:>4} {s.completed:>4} {s.failed:>4} "
                       f"{s.lost:>4} {s.skipped:>4} {s.heartbeats:>5}  {w.state}")
        if self.duplicates:
            out.append(f"PROCESSED TWICE: {len(self.duplicates)} message(s): " + ", ".join(
                f"{ts} by {' and '.join(ws)}" for ts, ws in sorted(self.duplicates.items())))
        else:
            out.append("no message was processed twice")
        out.append(f"emulator: {self.api_calls} API calls, {self.ratelimited} rate-limited (429), "
                   f"{self.faults_injected} faults injected")
        return out
