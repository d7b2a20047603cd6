"""Lock benchmark: workers race for jobs under Slack's races, faults and (time-scaled) rate limits.

For each lock strategy of ``slackmq_core`` and for slackmq 0.1.2 (from PyPI), and for two fleets —
16 workers sharing one token, 16 workers split over 4 users — one emulator *process* is started
(loopback, port 0), the workers connect, faults are switched on, a publisher posts the jobs at a
steady pace, and the run ends once every job is done (or at a deadline). Then it reports:

* overlaps   jobs two workers processed at the same time (a shared in-process registry of
             "processing" intervals), and dups: jobs processed again later (not concurrently)
* lost       jobs never processed;  leaked: lock marks left at the end (pins, lock reactions,
             stars, claim notes), read from ``GET /_emulator/snapshot`` once every worker stopped
* calls/job  every Web API call the fleet made while the jobs ran (``GET /_emulator/stats``,
             429-refused calls included) per processed job; ``pins.add/job`` is the race for the
             channel-wide test-and-set (0.1.2's "16x")
* ack / release latency p50 / p99 (acquire that won; complete or 0.1.2's unack), real ms, and as a
             ratio to the same strategy's uncontended single-worker baseline run in the same run

    python benchmarks/locks.py                                    # the full run (~8 min, 2 cores)
    python benchmarks/locks.py --messages 40 --strategies pin+reaction --fleets split --no-write

Rate limits stay on with ``--time-scale`` (default 60: one Slack minute lasts one real second).
The fleet topology, why it is so, and what the columns mean are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import logging
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp

from locks_fleet import LEGACY, WorkerSpec, run_core, run_legacy   # benchmarks/ is sys.path[0] as a script

from slackmq_core import InputError, Strategy
from slackmq_core.emulator.workspace import (
    USER_STAR_SCOPES,
    Token,
    User,
    default_workspace,
    dump_workspace,
)

JOBS = "C0JOBS0001"
#: (user id, token, app token of the Socket Mode app its workers use)
BOTS = (("U0ALPHA001", "xoxb-emu-alpha", "xapp-emu-alpha"), ("U0BRAVO001", "xoxb-emu-bravo", "xapp-emu-bravo"),
        ("U0CHARL001", "xoxb-emu-charlie", "xapp-emu-charlie"),
        ("U0DELTA001", "xoxb-emu-delta", "xapp-emu-delta"))
#: humans with user tokens (stars): their workers get events through the bots' apps, as one Slack app
#: that holds both a bot token and its installer's user token would
HUMANS = (("U0OPSDANA1", "xoxp-emu-dana", "xapp-emu-alpha"), ("U0OUTSID01", "xoxp-emu-olga", "xapp-emu-bravo"),
          ("U0HUMANE01", "xoxp-emu-erin", "xapp-emu-charlie"),
          ("U0HUMANF01", "xoxp-emu-frank", "xapp-emu-delta"))
SOCKETS_PER_APP = 10            # Slack's cap on Socket Mode connections per app
FAULTS = {"race_probability": 0.05, "error_rate": 0.02, "ambiguous_rate": 0.01}


def bench_workspace():
    """The default workspace plus app tokens for charlie and delta, and four humans in #jobs."""
    ws = default_workspace()
    extra_users = (User("U0HUMANE01", "erin", real_name="Erin Operator"),
                   User("U0HUMANF01", "frank", real_name="Frank Operator"))
    tokens = ws.tokens + (
        Token("xoxp-emu-erin", USER_STAR_SCOPES, user="U0HUMANE01"),
        Token("xoxp-emu-frank", USER_STAR_SCOPES, user="U0HUMANF01"),
        Token("xapp-emu-charlie", ("connections:write",), app="A0CHARL001"),
        Token("xapp-emu-delta", ("connections:write",), app="A0DELTA001"),
    )
    add = ("U0OUTSID01", "U0HUMANE01", "U0HUMANF01")
    channels = tuple(replace(c, members=c.members + add) if c.id == JOBS else c for c in ws.channels)
    return replace(ws, users=ws.users + extra_users, tokens=tokens, channels=channels)


def fleet(fleet_name: str, workers: int, *, humans: bool, sockets: bool = True) -> list[WorkerSpec]:
    """Who runs each worker: one token for all, or four tokens; Socket Mode up to Slack's cap per app,
    polling for the rest (each poller takes an equal part of half of every tier of its token)."""
    owners = HUMANS if humans else BOTS
    chosen = [owners[0] if fleet_name in ("shared", "single") else owners[i % len(owners)]
              for i in range(workers)]
    per_app: collections.Counter[str] = collections.Counter()
    specs = []
    for i, (user, token, app) in enumerate(chosen):
        socket = sockets and per_app[app] < SOCKETS_PER_APP
        per_app[app] += socket
        specs.append(WorkerSpec(f"w{i:02d}", user, token, app if socket else None))
    pollers = collections.Counter(s.token for s in specs if s.app is None)
    return [replace(s, poll_share=0.5 / pollers[s.token]) if s.app is None else s for s in specs]


class EmulatorProcess:
    """``python -m slackmq_core.emulator`` on 127.0.0.1:0 with the bench workspace; async control."""

    def __init__(self, workspace_file: str, *, time_scale: float, seed: int) -> None:
        cmd = [sys.executable, "-m", "slackmq_core.emulator", "--workspace", workspace_file,
               "--time-scale", str(time_scale), "--seed", str(seed)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = (self.proc.stdout.readline() if self.proc.stdout else "").strip()
        if not line.startswith("emulator listening on "):
            self.close()
            raise SystemExit(f"the emulator did not start: {line!r}")
        self.base_url = line.rsplit(" ", 1)[1]
        self.root_url = self.base_url.removesuffix("api/")
        self.session: aiohttp.ClientSession | None = None

    async def control(self, verb: str, name: str, body: dict | None = None) -> dict:
        if self.session is None:
            self.session = aiohttp.ClientSession()
        async with self.session.request(verb, f"{self.root_url}_emulator/{name}", json=body) as resp:
            data = await resp.json()
        if resp.status != 200 or data.get("ok") is False:
            raise RuntimeError(f"/_emulator/{name}: {data}")
        return data

    async def post_job(self, text: str) -> str:
        return (await self.control("POST", "post", {"channel": JOBS, "user": "U0PUBLSH01", "text": text}))["ts"]

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()
        self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@dataclass
class Outcome:
    """What one scenario measured (see the module docstring for each figure)."""

    client: str
    fleet: str
    workers: int
    primitives: int
    messages: int = 0
    processed: int = 0
    lost: int = 0
    not_done: int = 0
    overlaps: int = 0
    dups: int = 0
    leaked: collections.Counter = field(default_factory=collections.Counter)
    parts: collections.Counter = field(default_factory=collections.Counter)   # find / lock / record
    calls: collections.Counter = field(default_factory=collections.Counter)
    ratelimited: int = 0
    faults: int = 0
    acks: list[float] = field(default_factory=list)
    releases: list[float] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    def per_job(self, n: int) -> float:
        return n / self.processed if self.processed else math.nan


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def leaks(snapshot: dict, feed: list[str], reaction: str = "lock") -> collections.Counter:
    """Lock marks left on the jobs once every worker stopped: nobody holds anything, so all are leaks —
    but for the lock reaction and star that ``complete`` leaves next to the done mark on purpose (the
    record of who did the job): on a done job those are not leaks."""
    chan = snapshot["channels"][JOBS]
    jobs = set(feed)
    open_jobs = jobs - done_jobs(snapshot, feed)
    out: collections.Counter[str] = collections.Counter()
    out["pin"] = sum(p["ts"] in jobs for p in chan["pins"])
    out["reaction"] = sum(len(r.get(reaction, ())) for ts, r in chan["reactions"].items() if ts in open_jobs)
    out["star"] = sum(ts in open_jobs for items in snapshot.get("stars", {}).values() for cid, ts, _ in items
                      if cid == JOBS)
    out["claim note"] = sum(1 for m in chan["messages"] if m.get("thread_ts") in jobs
                            and (m.get("metadata") or {}).get("event_type") == "slackmq_claim")
    return +out


def done_jobs(snapshot: dict, feed: list[str], done: str = "white_check_mark") -> set[str]:
    reactions = snapshot["channels"][JOBS]["reactions"]
    return {ts for ts in feed if done in reactions.get(ts, {})}


async def scenario(name: str, fleet_name: str, specs: list[WorkerSpec], args: argparse.Namespace,
                   wsfile: str, messages: int, faults: bool = True) -> Outcome:
    strategy = None if name == LEGACY else Strategy.parse(name)
    prims = 1 if strategy is None else len(strategy.primitives)
    out = Outcome(name, fleet_name, len(specs), prims)
    emu = EmulatorProcess(wsfile, time_scale=args.time_scale, seed=args.seed)
    try:
        runner = run_legacy if strategy is None else run_core
        await runner(emu, strategy, specs, messages, args, out, FAULTS if faults else {})
        snap = await emu.control("GET", "snapshot")
        feed = out.feed  # type: ignore[attr-defined]
        out.leaked = leaks(snap, feed)
        if strategy is not None:
            out.not_done = len(feed) - len(done_jobs(snap, feed))
    finally:
        await emu.aclose()
    return out


# -- the report ------------------------------------------------------------------------------------
def _ms(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{pct(values, 0.5) * 1000:.0f} / {pct(values, 0.99) * 1000:.0f}"


def _ratio(values: list[float], base: list[float]) -> str:
    if not values or not base:
        return "–"
    return f"{pct(values, 0.5) / pct(base, 0.5):.1f}× / {pct(values, 0.99) / pct(base, 0.99):.1f}×"


def _parts(r: Outcome) -> str:
    if not r.parts:
        return "–"
    return " / ".join(f"{r.per_job(r.parts[k]):.2f}" for k in ("find", "lock", "record"))


def _lock_ratio(r: Outcome) -> str:
    return f"{r.per_job(r.parts['lock']) / r.primitives:.2f}" if r.parts else "–"


def table(results: list[Outcome], baselines: dict[str, Outcome]) -> str:
    head = ("| client / strategy | fleet | jobs | processed | lost | overlaps | dups | leaked | "
            "calls/job (base) | find / lock / record per job | pins.add/job | calls/job ÷ prims "
            "| lock calls/job ÷ prims | ack ms p50/p99 | release ms p50/p99 "
            "| ack ÷ base p50/p99 | release ÷ base p50/p99 |")
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        base = baselines.get(r.client)
        total = sum(r.calls.values())
        base_calls = f" ({base.per_job(sum(base.calls.values())):.1f})" if base else ""
        leaked = ", ".join(f"{n} {k}" for k, n in sorted(r.leaked.items())) or "0"
        rows.append(
            f"| {r.client} | {r.fleet} ×{r.workers} | {r.messages} | {r.processed} | {r.lost} | {r.overlaps} "
            f"| {r.dups} | {leaked} | {r.per_job(total):.1f}{base_calls} | {_parts(r)} "
            f"| {r.per_job(r.calls['pins.add']):.1f} "
            f"| {r.per_job(total) / r.primitives:.2f} | {_lock_ratio(r)} | {_ms(r.acks)} | {_ms(r.releases)} "
            f"| {_ratio(r.acks, base.acks if base else [])} | {_ratio(r.releases, base.releases if base else [])} |")
    return "\n".join(rows)


def details(results: list[Outcome]) -> str:
    lines = []
    for r in results:
        top = ", ".join(f"{m} {n}" for m, n in r.calls.most_common())
        lines.append(f"- **{r.client} / {r.fleet}** ({r.seconds:.0f} s, {r.ratelimited} calls answered 429, "
                     f"{r.faults} faults injected, {r.not_done} not marked done){': ' + r.note if r.note else ''}"
                     f" — calls: {top}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=500, help="jobs per scenario (default 500)")
    p.add_argument("--workers", type=int, default=16, help="workers per fleet (default 16)")
    p.add_argument("--strategies", default="pin,pin+reaction,pin+star,pin+star+reaction,claim,0.1.2",
                   help="comma-separated: core strategies and/or 0.1.2")
    p.add_argument("--fleets", default="shared,split", help="shared (one token) and/or split (4 users)")
    p.add_argument("--baseline-messages", type=int, default=40,
                   help="jobs for each 1-worker, fault-free baseline (0: none)")
    p.add_argument("--time-scale", type=float, default=60.0, help="emulator --time-scale (default 60)")
    p.add_argument("--rate", type=float, default=15.0, help="jobs posted per Slack minute (default 15)")
    p.add_argument("--work", type=float, default=3.0, help="Slack seconds each job's handler takes")
    p.add_argument("--race-window-ms", type=float, default=100.0, help="emulator race window (real ms)")
    p.add_argument("--grace", type=float, default=60.0, help="real seconds to wait after the last post")
    p.add_argument("--turn", type=float, default=1.0,
                   help="Slack seconds each Socket Mode worker ahead in a job's order gets before the next "
                        "tries (the Worker's turn, scaled like everything else; 0: no turns; default 1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-write", action="store_true", help="print only; do not write benchmarks/results/")
    args = p.parse_args(argv)
    args.strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    for s in args.strategies:
        try:
            s == LEGACY or Strategy.parse(s)
        except InputError as exc:
            p.error(f"{exc} (or 0.1.2)")
    args.fleets = [f.strip() for f in args.fleets.split(",") if f.strip()]
    for f in args.fleets:
        if f not in ("shared", "split"):
            p.error(f"unknown fleet {f!r}: use shared and/or split")
    if args.messages < 1 or args.workers < 1 or args.time_scale <= 0 or args.rate <= 0:
        p.error("--messages, --workers, --time-scale and --rate must be positive")
    return args


async def run_all(args: argparse.Namespace) -> tuple[list[Outcome], dict[str, Outcome]]:
    with tempfile.TemporaryDirectory(prefix="slackmq-bench-") as tmp:
        wsfile = str(Path(tmp) / "workspace.toml")
        Path(wsfile).write_text(dump_workspace(bench_workspace()), encoding="utf-8")
        baselines: dict[str, Outcome] = {}
        results: list[Outcome] = []
        for name in args.strategies:
            humans = name != LEGACY and Strategy.parse(name).needs_user_token
            if args.baseline_messages:
                specs = fleet("single", 1, humans=humans)
                baselines[name] = await scenario(name, "single", specs, args, wsfile, args.baseline_messages,
                                                 faults=False)
                _progress(baselines[name])
            for fleet_name in args.fleets:
                specs = fleet(fleet_name, args.workers, humans=humans)
                results.append(await scenario(name, fleet_name, specs, args, wsfile, args.messages))
                _progress(results[-1])
        return results, baselines


def _progress(r: Outcome) -> None:
    print(f"# {r.client} / {r.fleet} x{r.workers}: {r.processed}/{r.messages} processed, lost {r.lost}, "
          f"overlaps {r.overlaps}, leaked {sum(r.leaked.values())}, {sum(r.calls.values())} calls, "
          f"{r.seconds:.0f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in ("slackmq", "slackmq_core"):   # retries under injected faults are expected: keep stderr short
        logging.getLogger(name).setLevel(logging.ERROR)
    started = time.monotonic()
    results, baselines = asyncio.run(run_all(args))
    command = "python benchmarks/locks.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    report = "\n\n".join([
        f"# Lock benchmark — {datetime.date.today().isoformat()}",
        f"Command: `{command.strip()}` — {time.monotonic() - started:.0f} s wall on this machine.",
        f"Emulator: one process per scenario, time_scale {args.time_scale:g} (rate limits on, in Slack time), "
        f"race_probability {FAULTS['race_probability']}, race_window_ms {args.race_window_ms:g}, "
        f"error_rate {FAULTS['error_rate']}, ambiguous_rate {FAULTS['ambiguous_rate']}, seed {args.seed}; "
        f"jobs posted at {args.rate:g}/Slack-minute, each handler runs {args.work:g} Slack s. Baselines "
        f"(calls/job in brackets, latency ratios): 1 worker, no faults, {args.baseline_messages} jobs.",
        table(results, baselines),
        details(list(baselines.values()) + results),
    ])
    print(report)
    if not args.no_write:
        out = Path(__file__).resolve().parent / "results" / f"locks-{datetime.date.today().isoformat()}.md"
        out.parent.mkdir(exist_ok=True)
        out.write_text(report + "\n", encoding="utf-8")
        print(f"\nwritten to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
