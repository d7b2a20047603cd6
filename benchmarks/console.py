"""The console under a big, busy channel: first paint, event to row, keypress, RSS, Slack calls.

For each size (10,000 and 50,000 messages in #jobs, 1,000 of them locked by a pin and a :lock:
reaction, seeded in bulk without events) an emulator runs in this process (rate limits ON, real
tiers) while a load thread streams about 20 events/s into the channel: jobs posted through the
control surface, then pinned, reacted, marked done, unpinned and unreacted through the Web API by 24
load bots (each inside its own tier budget, as a real fleet would be). Two child processes are then
measured one after the other, so each size's peak RSS is its own:

* ``console``: ``make_app(profile)`` with the console's bot and app tokens (Socket Mode live), run
  headless by ``App.run_test(size=(160, 45))``. All times are taken inside the app, at the end of the
  frame that shows the change (``App._display``, after the compositor rendered it):

  - first paint: from just before the app starts to the first frame with message rows;
  - steady state: Slack calls per minute made by the console's tokens over a quiet window
    (``/_emulator/stats`` deltas), ``conversations.history`` must stay at 0 with Socket Mode live;
  - event -> row: a fresh message is posted, shown, then pinned through the Web API (a probe bot);
    time from the ``pins.add`` request to the frame whose row shows it locked;
  - keypress: a Key event handed to the driver as Pilot does (without Pilot's idle waits) to the
    frame that shows the cursor on the next row.

* ``baseline``: a plain Textual ``DataTable`` bulk-loaded with the same rows (``add_rows`` in
  ``on_mount``; rows read from a file before the clock starts), first paint and keypress measured
  the same way.

    python benchmarks/console.py [--sizes 10000,50000] [--locks 1000] [--rate 20] [--window 20]
                                 [--pins 8] [--keys 30] [--out benchmarks/results]

Prints a markdown table and writes it to ``benchmarks/results/console-<date>.md``. The two child
scenarios live in ``console_app.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

JOBS, PUBLISHER, CONSOLE_USER = "C0JOBS0001", "U0PUBLSH01", "U0CONSOL01"
LOAD_BOTS = 24
PROBE = ("U0PROBE001", "xoxb-emu-probe")
SIZE = (160, 45)
GOALS = {"first_paint": {10_000: 1.5, 50_000: 2.0}, "event_row": 0.250, "key": 0.050, "rss": 200}


# ---------------------------------------------------------------------------------------------
# the parent: emulator, seed, load, children
# ---------------------------------------------------------------------------------------------

def bench_workspace():
    """The default workspace plus 24 load bots and a probe bot, all members of #jobs."""
    from slackmq_core.emulator.workspace import (
        ALL_BOT_SCOPES,
        Token,
        User,
        default_workspace,
    )

    ws = default_workspace()
    bots = [User(id=f"U0LOAD{i:04d}", name=f"load-{i:02d}", is_bot=True, real_name=f"Load {i}",
                 bot_id=f"B0LOAD{i:05d}", app_id=f"A0LOAD{i:04d}") for i in range(LOAD_BOTS)]
    bots.append(User(id=PROBE[0], name="probe", is_bot=True, real_name="Probe",
                     bot_id="B0PROBE0001", app_id="A0PROBE001"))
    tokens = [Token(f"xoxb-emu-load{i:02d}", ALL_BOT_SCOPES, user=f"U0LOAD{i:04d}")
              for i in range(LOAD_BOTS)]
    tokens.append(Token(PROBE[1], ALL_BOT_SCOPES, user=PROBE[0]))
    channels = tuple(dataclasses.replace(c, members=c.members + tuple(b.id for b in bots))
                     if c.id == JOBS else c for c in ws.channels)
    return dataclasses.replace(ws, users=ws.users + tuple(bots), tokens=ws.tokens + tuple(tokens),
                               channels=channels)


def seed(emu, size: int, locks: int, rng: random.Random) -> list[list]:
    """``size`` messages, ``locks`` of them (spread evenly) pinned and :lock:ed by load bots, 5 %
    of those older than the stale TTL. Returns the rows as the console would show them."""
    emu.control.timeout = 120
    tss = emu.control.seed(channel=JOBS, count=size, user=PUBLISHER, events=False)
    now = time.time()
    step = max(1, size // locks)
    pins, reactions, held = [], [], {}
    for n, ts in enumerate(tss[::step][:locks]):
        user = f"U0LOAD{n % LOAD_BOTS:04d}"
        created = int(now - (2000 if n % 20 == 0 else rng.uniform(5, 600)))
        pins.append({"channel": JOBS, "ts": ts, "user": user, "created": created})
        reactions.append({"channel": JOBS, "ts": ts, "user": user, "name": "lock", "at": created})
        held[ts] = (f"load-{n % LOAD_BOTS:02d}", "stale" if n % 20 == 0 else "locked", created)
    emu.control.seed(pins=pins, reactions=reactions)
    rows = []
    for i, ts in enumerate(reversed(tss)):                     # newest first, like the console
        holder, state, since = held.get(ts, ("", "pending", None))
        t = float(ts)
        rows.append([time.strftime("%H:%M:%S", time.localtime(t)), "publisher",
                     f"job {size - i}", state, holder,
                     f"{int(now - (since or t))}s"])
    return rows


class Load(threading.Thread):
    """About ``rate`` events per second into #jobs until stopped: each job is posted (control
    surface), pinned, :lock:ed, :white_check_mark:ed, unpinned and un-:lock:ed (Web API) by one of
    the load bots: six events per job, jobs interleaved."""

    def __init__(self, emu, rate: float) -> None:
        super().__init__(name="load", daemon=True)
        from slack_sdk import WebClient

        self.emu, self.rate = emu, rate
        self.clients = [WebClient(f"xoxb-emu-load{i:02d}", base_url=emu.base_url, timeout=10)
                        for i in range(LOAD_BOTS)]
        self.stop_flag = threading.Event()
        self.sent = 0
        self.errors: list[str] = []
        self.started = self.ended = 0.0

    def run(self) -> None:
        from slack_sdk.errors import SlackApiError

        jobs: list[list] = []       # [ts, client, step]
        n = made = 0
        period = 1.0 / self.rate
        self.started = time.monotonic()
        nxt = self.started
        while not self.stop_flag.is_set():
            if len(jobs) < 4:
                made += 1
                ts = self.emu.control.post(JOBS, PUBLISHER, f"live job {made}")
                jobs.append([ts, self.clients[made % LOAD_BOTS], 0])
            else:
                job = jobs[n % len(jobs)]
                n += 1
                ts, c, step = job
                try:
                    if step == 0:
                        c.pins_add(channel=JOBS, timestamp=ts)
                    elif step == 1:
                        c.reactions_add(channel=JOBS, timestamp=ts, name="lock")
                    elif step == 2:
                        c.reactions_add(channel=JOBS, timestamp=ts, name="white_check_mark")
                    elif step == 3:
                        c.pins_remove(channel=JOBS, timestamp=ts)
                    else:
                        c.reactions_remove(channel=JOBS, timestamp=ts, name="lock")
                except SlackApiError as exc:
                    self.errors.append(str(exc.response.get("error")))
                job[2] += 1
                if job[2] == 5:
                    jobs.remove(job)
            self.sent += 1
            nxt += period
            delay = nxt - time.monotonic()
            if delay > 0:
                self.stop_flag.wait(delay)
            else:
                nxt = time.monotonic()
        self.ended = time.monotonic()

    @property
    def achieved(self) -> float:
        return self.sent / max(1e-9, (self.ended or time.monotonic()) - self.started)


def child(kind: str, args: argparse.Namespace, extra: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, *extra, "--keys", str(args.keys),
           "--pins", str(args.pins), "--window", str(args.window)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{kind} child failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_size(size: int, args: argparse.Namespace) -> dict:
    from slackmq_core.emulator import EmulatorConfig, run_in_thread

    rng = random.Random(size)
    config = EmulatorConfig(workspace=bench_workspace(), seed=1, rate_limits=not args.no_rate_limits)
    with run_in_thread(config) as emu:
        t = time.perf_counter()
        rows = seed(emu, size, args.locks, rng)
        seeded = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as tmp:
            rows_file = Path(tmp, "rows.json")
            rows_file.write_text(json.dumps(rows))
            del rows
            load = Load(emu, args.rate)
            load.start()
            try:
                time.sleep(2.0)                    # the stream is flowing before the console starts
                console = child("console", args, ["--api", emu.base_url, "--root", emu.root_url,
                                                   "--tmp", tmp])
            finally:
                load.stop_flag.set()
                load.join(10)
            baseline = child("baseline", args, ["--rows", str(rows_file)])
    return {"size": size, "seeded_s": seeded, "load_rate": load.achieved,
            "load_errors": len(load.errors), "console": console, "baseline": baseline}


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------

def ms(v: float | None) -> str:
    return "—" if v is None else f"{v * 1000:.0f} ms"


def verdict(ok: bool) -> str:
    return "✅" if ok else "❌"


def table(results: list[dict], args: argparse.Namespace) -> str:
    setup = (f"`{' '.join(['python', 'benchmarks/console.py', *sys.argv[1:]])}` · "
             f"{os.cpu_count()} cores · terminal {SIZE[0]}x{SIZE[1]} headless · "
             f"{args.locks} locks · load {args.rate}/s requested · emulator rate limits "
             f"{'OFF (diagnosis)' if args.no_rate_limits else 'on (Slack tiers)'}")
    lines = [f"# Console benchmark, {datetime.date.today().isoformat()}", "", setup, ""]
    head = "| measure | goal |" + "".join(f" {r['size']:,} msgs |" for r in results)
    lines += [head, "|---|---|" + "---|" * len(results)]

    def row(name: str, goal: str, cells: list[str]) -> None:
        lines.append(f"| {name} | {goal} |" + "".join(f" {c} |" for c in cells))

    cells = []
    for r in results:
        fp = r["console"]["first_paint"]
        cells.append(f"{ms(fp)} {verdict(fp is not None and fp < GOALS['first_paint'][r['size']])}"
                     if r["size"] in GOALS["first_paint"] else ms(fp))
    row("first paint (console)", "< 1.5 s / < 2 s", cells)
    row("first paint (baseline DataTable, all rows)", "—",
        [ms(r["baseline"]["first_paint"]) for r in results])
    row("first paint ratio console / baseline", "—",
        [f"{r['console']['first_paint'] / r['baseline']['first_paint']:.2f}"
         if r["console"]["first_paint"] and r["baseline"]["first_paint"] else "—"
         for r in results])
    cells = []
    for r in results:
        ev = r["console"]["event_row"]
        ok = ev.get("n") and not ev["missed"] and ev["median"] < GOALS["event_row"]
        cells.append(f"median {ms(ev.get('median'))}, p90 {ms(ev.get('p90'))}, max "
                     f"{ms(ev.get('max'))} ({ev['n']} ok, {ev['missed']} missed) {verdict(ok)}")
    row("pin_added → row shows it", "< 250 ms", cells)
    cells = []
    for r in results:
        k = r["console"]["key"]
        ok = k.get("n") and k["median"] < GOALS["key"]
        cells.append(f"median {ms(k.get('median'))}, p90 {ms(k.get('p90'))} {verdict(ok)}")
    row("keypress → frame (console)", "< 50 ms", cells)
    row("keypress → frame (baseline DataTable)", "—",
        [f"median {ms(r['baseline']['key'].get('median'))}, p90 "
         f"{ms(r['baseline']['key'].get('p90'))}" for r in results])
    row("peak RSS (console process)", "< 200 MB",
        [f"{r['console']['rss_mb']:.0f} MB {verdict(r['console']['rss_mb'] < GOALS['rss'])}"
         for r in results])
    row("peak RSS (baseline process)", "—", [f"{r['baseline']['rss_mb']:.0f} MB"
                                             for r in results])
    cells = []
    for r in results:
        c = r["console"]["calls_per_min"]
        total = sum(c.values())
        hist = c.get("conversations.history", 0)
        detail = ", ".join(f"{m} {v:g}" for m, v in sorted(c.items())) or "none"
        cells.append(f"{total:g}/min ({detail}); history {hist:g}/min "
                     f"{verdict(hist == 0 and r['console']['mode'] == 'live')}")
    row("Slack calls at steady state (console)", "no history polling", cells)
    row("429s at steady state (all callers) · console's Retry-After waits · re-reads queued", "—",
        [f"{r['console']['ratelimited_per_min']:g}/min · "
         f"{r['console']['retry_after_waits_total']['n']} waits, "
         f"{r['console']['retry_after_waits_total']['seconds']:g} s in all · "
         f"{r['console']['dirty_backlog']} after the window, "
         f"{r['console']['dirty_backlog_end']} at the end" for r in results])
    row("console's calls from start to steady state", "—",
        [", ".join(f"{m} {v}" for m, v in sorted(r["console"]["start_calls"].items()))
         for r in results])
    row("watcher mode", "live", [str(r["console"]["mode"]) for r in results])
    row("events streamed (achieved)", f"{args.rate}/s",
        [f"{r['load_rate']:.1f}/s ({r['load_errors']} load errors)" for r in results])
    row("rows loaded by the console at the end", "—",
        [str(r["console"]["rows_loaded"]) for r in results])
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,50000")
    p.add_argument("--locks", type=int, default=1000)
    p.add_argument("--rate", type=float, default=20.0, help="events per second")
    p.add_argument("--window", type=float, default=20.0, help="steady-state window, seconds")
    p.add_argument("--pins", type=int, default=8, help="event -> row samples")
    p.add_argument("--pin-timeout", type=float, default=10.0)
    p.add_argument("--keys", type=int, default=30, help="keypress samples")
    p.add_argument("--no-rate-limits", action="store_true",
                   help="diagnosis only: the emulator enforces no tiers (not Slack's behaviour)")
    p.add_argument("--out", default=str(Path(__file__).parent / "results"))
    p.add_argument("--child", choices=("console", "baseline"), help=argparse.SUPPRESS)
    p.add_argument("--api", help=argparse.SUPPRESS)
    p.add_argument("--root", help=argparse.SUPPRESS)
    p.add_argument("--tmp", help=argparse.SUPPRESS)
    p.add_argument("--rows", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        from console_app import baseline_child, console_child

        run = console_child if a.child == "console" else baseline_child
        print(json.dumps(asyncio.run(run(a))))
        return 0
    try:
        sizes = [int(s) for s in a.sizes.split(",")]
    except ValueError:
        p.error(f"--sizes {a.sizes!r}: give comma-separated whole numbers, e.g. 10000,50000")
    results = []
    for size in sizes:
        started = time.perf_counter()
        results.append(run_size(size, a))
        print(f"[{size:,} messages: {time.perf_counter() - started:.0f} s]", file=sys.stderr)
    report = table(results, a)
    print(report)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"console-{datetime.date.today().isoformat()}.md"
    path.write_text(report + "\n<details><summary>raw</summary>\n\n```json\n"
                    + json.dumps(results, indent=1) + "\n```\n</details>\n")
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
