"""`slackmq demo`: the console on an embedded emulator with a worker fleet (no Slack workspace needed).

The fleet lives in slackmq_core.demo (no Textual there); this command builds it, opens the console
on it with the console's own tokens (live Socket Mode), and tears it all down when the console
quits. ``--headless`` runs the fleet without the console for ``--duration`` seconds and prints a
summary (for tests, CI and machines without a terminal).
"""

from __future__ import annotations

import argparse
import sys

FAULTS = ("none", "light", "heavy")


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    add_demo_options(parser)


def add_demo_options(parser: argparse.ArgumentParser) -> None:
    """The demo's options (shared with `slackmq tui`'s fallback, which takes the defaults)."""
    g = parser.add_argument_group("demo")
    g.add_argument("--workers", type=int, default=7, metavar="N",
                   help="workers in the fleet, 1-16 (default 7: every kind of worker once)")
    g.add_argument("--rate", type=float, default=0.5, metavar="R",
                   help="jobs published per second (default 0.5)")
    g.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed for job texts, durations, failures and faults (default 0)")
    g.add_argument("--faults", default="none", metavar="LEVEL",
                   help="inject Slack failures: none, light (a little latency, 1%% errors, rare "
                        "socket drops) or heavy (5%% errors, lost answers, pin races); default none")
    g.add_argument("--time-scale", type=float, default=5.0, metavar="X",
                   help="Slack's rate-limit windows run X times faster (default 5); locks, "
                        "leases and the 60 s stale TTL stay in real seconds")
    g.add_argument("--headless", action="store_true",
                   help="run the fleet without the console and print a summary")
    g.add_argument("--duration", type=float, default=30.0, metavar="SECONDS",
                   help="with --headless: how long to run (default 30)")
    g.add_argument("--json", action="store_true", help="with --headless: print the summary as JSON")


def config_from(args: argparse.Namespace):
    from slackmq_core import InputError
    from slackmq_core.demo import DemoConfig

    if args.faults not in FAULTS:
        raise InputError(f"--faults {args.faults!r}: use one of {', '.join(FAULTS)}")
    if args.duration <= 0 or args.duration > 86_400:
        raise InputError(f"--duration {args.duration!r}: give seconds, more than 0 and at most 86400")
    return DemoConfig(workers=args.workers, rate=args.rate, seed=args.seed, faults=args.faults,
                      time_scale=args.time_scale)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    if args.headless:
        return run_headless(config, args.duration, as_json=args.json)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        from slackmq_core import InputError

        raise InputError("slackmq demo needs a terminal for the console: run it in one, or use "
                         "--headless --duration SECONDS for a summary")
    return run_console(config)


def run_console(config) -> int:
    """Start the demo, run the console on it until `q`, stop everything. Exit code 0."""
    from slackmq_core.demo import Demo

    demo = Demo(config).start()
    try:
        open_console(demo).run()
    finally:
        demo.stop()
    return 0


def open_console(demo):
    """The console app on a started demo; quitting it stops the demo (fleet, then emulator)."""
    import asyncio

    from slackmq_core.audit import default_audit_path
    from slackmq_tui.app import make_app

    app = make_app(demo.console_profile(), audit_path=default_audit_path().with_name("audit-demo.jsonl"))
    inner = app.services.close

    async def close() -> None:
        try:
            if inner is not None:
                result = inner()
                if hasattr(result, "__await__"):
                    await result
        finally:
            await asyncio.to_thread(demo.stop)

    app.services.close = close
    app.sub_title = (f"demo: {len(demo.specs)} workers, {demo.config.rate:g} jobs/s, "
                     f"faults {demo.config.faults}, stale after {demo.config.stale_ttl:g} s")
    return app


def run_headless(config, duration: float, *, as_json: bool = False) -> int:
    import threading

    from slackmq_core.demo import Demo

    demo = Demo(config)
    done = threading.Event()
    demo.start()
    try:
        done.wait(duration)      # ^C ends it early (KeyboardInterrupt), the summary still prints
    except KeyboardInterrupt:
        pass
    finally:
        summary = demo.stop()
    if as_json:
        from slackmq_tui.commands._common import emit_json

        emit_json(summary)
    else:
        print("\n".join(summary.lines()))
    return 1 if summary.duplicates else 0


def run_fallback(reason: str) -> int:
    """`slackmq tui` with no token configured: say so in one line, then run the demo console."""
    print(f"slackmq: {reason}: opening the embedded demo instead (`slackmq config init` sets one up)",
          file=sys.stderr)
    from slackmq_core.demo import DemoConfig

    return run_console(DemoConfig())
