"""The `slackmq` command: a thin argparse front over slackmq_core and the console.

Each subcommand lives in ``slackmq_tui/commands/<name>.py`` and exposes ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported lazily by ``main`` only
for the command being run, so ``slackmq locks`` never imports Textual.

Exit codes: 0 ok, 1 failure, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: subcommand -> (module, one-line help). Order is the order of `slackmq --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "tui": ("tui", "open the lock console (the embedded demo when no token is configured)"),
    "demo": ("demo", "run the console on an embedded emulator with a worker fleet"),
    "locks": ("locks", "list a channel's messages and who holds their locks"),
    "ack": ("lockops", "lock (acquire) a message"),
    "unack": ("lockops", "release the marks this identity holds on a message"),
    "done": ("lockops", "mark a message done and release it"),
    "force-unack": ("lockops", "operator: remove every lock mark on a message that this token can"),
    "reap": ("reap", "release stale locks in a channel"),
    "emulator": ("emulator", "run the local Slack emulator"),
    "whoami": ("whoami", "show the identity, token type, scopes and usable strategies"),
    "config": ("config", "show or create the configuration file"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slackmq",
        description="SlackMQ: message locking on Slack, with a console for operators.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod = _load(module)
        mod.add_arguments(p, name)
        p.set_defaults(_module=module)
    return parser


def _version() -> str:
    from slackmq_core import __version__

    return f"slackmq {__version__}"


def _load(module: str):
    return importlib.import_module(f"slackmq_tui.commands.{module}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    return int(_load(args._module).run(args) or 0)


def tui_main(argv: Sequence[str] | None = None) -> int:
    """The `slackmq-tui` script: the same as `slackmq tui`."""
    return main(["tui", *(sys.argv[1:] if argv is None else argv)])
