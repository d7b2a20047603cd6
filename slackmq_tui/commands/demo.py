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
    """A DemoConfig from the options; the defaults for any option the namespace lacks (the
    `slackmq tui` fallback passes its own namespace)."""
    from slackmq_core import InputError
    from slackmq_core.demo import DemoConfig

    opt = {k: getattr(args, k, v) for k, v in _defaults().items()}
    if opt["faults"] not in FAULTS:
        raise InputError(f"--faults {opt['faults']!r}: use one of {', '.join(FAULTS)}")
    if not 0 < opt["duration"] <= 86_400:
        raise InputError(f"--duration {opt['duration']!r}: give seconds, more than 0 and at most 86400")
    return DemoConfig(workers=opt["workers"], rate=opt["rate"], seed=opt["seed"], faults=opt["faults"],
                      time_scale=opt["time_scale"])


def _defaults() -> dict:
    parser = argparse.ArgumentParser()
    add_demo_options(parser)
    return vars(parser.parse_args([]))


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    if getattr(args, "headless", False):
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
            await _in_thread(demo.stop)

    app.services.close = close
    return app


async def _in_thread(fn) -> None:
    """Run a blocking ``fn`` in a thread of its own (not the loop's executor, whose threads would
    outlive the console) and wait for it without blocking the UI."""
    import asyncio
    import threading

    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def target() -> None:
        try:
            fn()
        finally:
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))

    thread = threading.Thread(target=target, name="slackmq-demo-stop", daemon=True)
    thread.start()
    await done
    thread.join()


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

