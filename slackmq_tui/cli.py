"""The `slackmq` command: a thin argparse front over slackmq_core and the console.

Each subcommand lives in ``slackmq_tui/commands/<name>.py`` and exposes ``add_arguments(parser,
name)`` and ``run(args) -> int``. Building the parser imports every command module, so they stay
import-light: no Textual, no slack_sdk at module level (they import what they need inside ``run``).

Exit codes: 0 ok, 1 failure (the lock is held, a mark could not be removed, Slack failed),
2 bad usage or input (argparse errors, config, channel, ts, token, scope, unreachable API URL),
130 interrupted. Errors are one line on stderr (``slackmq: error: ...``), never a traceback (the
traceback goes to the log file), never a token.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

#: subcommand -> (module, one-line help). Order is the order of `slackmq --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "tui": ("tui", "open the lock console (the embedded demo when no token is configured)"),
    "demo": ("demo", "run the console on an embedded emulator with a worker fleet"),
    "locks": ("locks", "list a channel's locked messages and who holds them"),
    "ack": ("lockops", "lock (acquire) a message"),
    "unack": ("lockops", "release the marks this identity holds on a message"),
    "done": ("lockops", "mark a message done and release it"),
    "force-unack": ("lockops", "operator: remove every lock mark on a message that this token can"),
    "reap": ("reap", "release stale locks in a channel"),
    "emulator": ("emulator", "run the local Slack emulator"),
    "whoami": ("whoami", "show the identity, token type, scopes and usable strategies"),
    "config": ("config", "show or create the configuration file"),
}

EPILOG = """\
configuration: `slackmq config path` shows the file; tokens come from SLACK_BOT_TOKEN,
SLACK_APP_TOKEN, SLACK_USER_TOKEN, a token_command, or the (private) file. SLACKMQ_PROFILE,
SLACKMQ_API_URL, SLACKMQ_CONFIG and SLACKMQ_LOG_LEVEL are honoured.
exit codes: 0 ok, 1 failure, 2 bad usage or input, 130 interrupted."""

log = logging.getLogger("slackmq_tui.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slackmq",
        description="SlackMQ: message locking on Slack, with a console for operators.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
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
    # from the installed metadata, so that `slackmq --help` does not import the core (and slack_sdk)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"slackmq {version('slackmq-console')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree, not installed
        from slackmq_core import __version__

        return f"slackmq {__version__}"


def _load(module: str):
    return importlib.import_module(f"slackmq_tui.commands.{module}")


def exit_code(err: BaseException) -> int:
    """2 for bad input (the user can fix the command, config or token), 1 for other failures."""
    from slackmq_core import (
        AuthError,
        ChannelNotFound,
        ConfigError,
        InputError,
        MessageNotFound,
        MissingScope,
        ReadOnlyError,
        TransportError,
        WrongTokenType,
    )

    if isinstance(err, TransportError):
        # unreachable / not Slack at all: a bad API URL; an HTTP 5xx from Slack is a failure
        return 1 if getattr(err, "status", 0) else 2
    bad_input = (ConfigError, InputError, ReadOnlyError, AuthError, ChannelNotFound,
                 MessageNotFound, MissingScope, WrongTokenType)
    return 2 if isinstance(err, bad_input) else 1


def error_line(err: BaseException, api_url: str | None = None) -> str:
    """The one line printed for an error: its message plus its advice (print_error hides tokens)."""
    from slackmq_core import TransportError

    text = " ".join(str(err).split()) or type(err).__name__
    advice = " ".join(str(getattr(err, "advice", "") or "").split())
    if isinstance(err, TransportError) and not getattr(err, "status", 0):
        where = f" {api_url}" if api_url else ""
        text = f"cannot reach the Slack API{where}: {text}"
        advice = "check the API URL (--api-url, SLACKMQ_API_URL or the profile's api_url)"
    if advice and advice not in text:
        tail = text.rsplit(": ", 1)[-1]
        text = text[: len(text) - len(tail)] + advice if advice.startswith(tail) else \
            f"{text} ({advice})"
    return text


def print_error(message: str) -> None:
    """``slackmq: error: <message>`` on stderr, on one line, with anything token-shaped hidden."""
    from slackmq_core._logging import redact

    print(f"slackmq: error: {redact(' '.join(message.split()))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help / --version (0) and usage errors (2): return, do not raise
        return e.code if isinstance(e.code, int) else 2
    if not args.command:
        parser.print_help(sys.stderr)
        return 2

    from slackmq_core import SlackMQError, setup_logging

    try:
        setup_logging()
        log.debug("slackmq %s", args.command)
        return int(_load(args._module).run(args) or 0)
    except SlackMQError as e:
        log.info("slackmq %s failed", args.command, exc_info=True)
        print_error(error_line(e, getattr(args, "resolved_api_url", None)))
        return exit_code(e)
    except KeyboardInterrupt:
        print("slackmq: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `slackmq locks jobs | head`: the reader left; say nothing
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep the exit flush quiet
        except OSError:
            pass
        return 1


def tui_main(argv: Sequence[str] | None = None) -> int:
    """The `slackmq-tui` script: the same as `slackmq tui`."""
    return main(["tui", *(sys.argv[1:] if argv is None else argv)])
