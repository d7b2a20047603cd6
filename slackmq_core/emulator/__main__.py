"""``python -m slackmq_core.emulator`` and ``slackmq emulator``: run the emulator until SIGINT/SIGTERM.

Prints exactly one line on stdout, ``emulator listening on http://HOST:PORT/api/`` (the base_url for
slack_sdk), then serves. Bad flags or files: one line on stderr and exit status 2.
Import-light: argparse only at module level.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["add_arguments", "main", "run"]

_PROG = "slackmq emulator"

# flag -> (config field, parser, valid range text)
_FRACTIONS = ("error_rate", "ambiguous_rate", "race_probability", "socket_drop_rate")


def add_arguments(parser: argparse.ArgumentParser, name: str = "emulator") -> None:
    g = parser.add_argument_group("server")
    g.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; a warning when not loopback)")
    g.add_argument("--port", default="0", help="TCP port (default 0: any free port)")
    g.add_argument("--workspace", metavar="FILE", help="workspace TOML (see --dump-workspace)")
    g.add_argument("--dump-workspace", action="store_true",
                   help="print the workspace (default or --workspace) as TOML and exit")
    g.add_argument("--state", metavar="FILE",
                   help="keep messages, pins, stars and reactions in FILE across restarts")
    g.add_argument("--seed", default="0", help="seed for ids and faults (default 0)")
    r = parser.add_argument_group("rate limits")
    r.add_argument("--rate-limits", default="on", metavar="on|off",
                   help="enforce Slack's tiers with HTTP 429 + Retry-After (default on)")
    r.add_argument("--time-scale", default="1", metavar="X",
                   help="Slack time runs X times faster for windows, Retry-After and redelivery")
    r.add_argument("--tier1-history", action="store_true",
                   help="the 2025 rule: conversations.history/replies at Tier 1, limit 15")
    f = parser.add_argument_group("faults (reproducible with --seed)")
    f.add_argument("--latency-ms", default="0", metavar="MS", help="delay every /api/ call")
    f.add_argument("--error-rate", default="0", metavar="P", help="5xx before the call acts")
    f.add_argument("--ambiguous-rate", default="0", metavar="P",
                   help="the call acts, then 5xx or a dropped connection")
    f.add_argument("--race-probability", default="0", metavar="P",
                   help="a duplicate pin/star/reaction within the window also succeeds")
    f.add_argument("--race-window-ms", default="0", metavar="MS", help="the race window")
    f.add_argument("--socket-drop-rate", default="0", metavar="P",
                   help="drop a Socket Mode connection instead of delivering an envelope")


class _Bad(ValueError):
    pass


def _number(args: argparse.Namespace, name: str, kind: type = float) -> Any:
    raw = getattr(args, name)
    flag = "--" + name.replace("_", "-")
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise _Bad(f"{flag} must be {'an integer' if kind is int else 'a number'}, not {raw!r}"
                   ) from None
    if name in _FRACTIONS and not 0.0 <= value <= 1.0:
        raise _Bad(f"{flag} must be between 0 and 1, not {raw}")
    if name == "time_scale" and not value > 0:
        raise _Bad(f"--time-scale must be a number > 0, not {raw}")
    if name == "port" and not 0 <= value <= 65535:
        raise _Bad(f"--port must be 0..65535, not {raw}")
    if value < 0:
        raise _Bad(f"{flag} must be >= 0, not {raw}")
    return value


def build_config(args: argparse.Namespace) -> Any:
    from .server import EmulatorConfig

    if args.rate_limits not in ("on", "off"):
        raise _Bad(f"--rate-limits must be 'on' or 'off', not {args.rate_limits!r}")
    return EmulatorConfig(
        host=args.host, port=_number(args, "port", int), seed=_number(args, "seed", int),
        workspace_file=args.workspace, state_file=args.state,
        time_scale=_number(args, "time_scale"), rate_limits=args.rate_limits == "on",
        tier1_history=args.tier1_history, latency_ms=_number(args, "latency_ms"),
        error_rate=_number(args, "error_rate"), ambiguous_rate=_number(args, "ambiguous_rate"),
        race_probability=_number(args, "race_probability"),
        race_window_ms=_number(args, "race_window_ms"),
        socket_drop_rate=_number(args, "socket_drop_rate"),
    )


def _fail(message: str) -> int:
    print(f"{_PROG}: error: {message}", file=sys.stderr, flush=True)
    return 2


def run(args: argparse.Namespace) -> int:
    from .state import StateError
    from .workspace import WorkspaceError, default_workspace, dump_workspace, load_workspace

    try:
        if args.dump_workspace:
            ws = load_workspace(args.workspace) if args.workspace else default_workspace()
            sys.stdout.write(dump_workspace(ws))
            return 0
        config = build_config(args)
        import asyncio

        from .server import Emulator

        emu = Emulator(config)
    except (_Bad, WorkspaceError, StateError, ValueError) as exc:
        return _fail(str(exc))
    if not _is_loopback(config.host):
        print(f"{_PROG}: warning: bound to {config.host}, which is not a loopback address; "
              "anyone who can reach it can use the emulator's tokens", file=sys.stderr, flush=True)
    try:
        return asyncio.run(_serve(emu))
    except OSError as exc:
        return _fail(f"cannot listen on {config.host}:{config.port} ({exc.strerror or exc})")
    except KeyboardInterrupt:
        return 0


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _serve(emu: Any) -> int:
    import asyncio
    import signal

    await emu.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    print(f"emulator listening on {emu.base_url}", flush=True)
    try:
        await stop.wait()
    finally:
        await emu.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m slackmq_core.emulator",
                                     description="Run the local Slack emulator.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
