"""What the `slackmq` subcommands share: profile options, the lock client, channel / ts input,
JSON and table output, confirmation. Import-light: slackmq_core is imported inside the functions.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import getpass
import json
import re
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

__all__ = [
    "about", "add_json_option", "add_profile_options", "add_token_option", "actor", "ask", "emit_json",
    "fmt_age", "fmt_mark", "load", "lock_client", "parse_ts", "pick_token", "preview",
    "print_table", "require_writable",
]


def add_profile_options(parser: argparse.ArgumentParser, *, read_only: bool = False) -> None:
    """--profile and --api-url (and --read-only for commands that can change Slack)."""
    g = parser.add_argument_group("profile")
    g.add_argument("--profile", metavar="NAME",
                   help="config profile (default: $SLACKMQ_PROFILE, the file's default_profile, "
                        "or 'default')")
    g.add_argument("--api-url", metavar="URL",
                   help="Slack Web API base URL (default: $SLACKMQ_API_URL, the profile's "
                        "api_url, or https://slack.com/api/)")
    if read_only:
        g.add_argument("--read-only", action="store_true",
                       help="refuse anything that would change Slack (as the profile's read_only)")


def add_token_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token", choices=("bot", "user"), dest="token_kind",
                        help="which configured token to act with (default: the bot token; the "
                             "user token for star strategies or when there is no bot token)")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (for scripts)")


def load(args: argparse.Namespace):
    """The profile named by the options, with --api-url and --read-only applied."""
    from slackmq_core import load_profile, resolve_base_url

    profile = load_profile(getattr(args, "profile", None))
    changes: dict[str, Any] = {}
    if getattr(args, "api_url", None):
        changes["api_url"] = resolve_base_url(args.api_url)
    if getattr(args, "read_only", False):
        changes["read_only"] = True
    return dataclasses.replace(profile, **changes) if changes else profile


def require_writable(profile, action: str) -> None:
    """Refuse before any Slack call when the profile or --read-only says read-only."""
    from slackmq_core import ReadOnlyError

    if profile.read_only:
        raise ReadOnlyError(f"{action} refused: profile {profile.name!r} is read-only "
                            f"(read_only = true or --read-only)")


def pick_token(profile, kind: str | None = None, strategy: Any = None):
    """The Secret to act with: as asked, else user for star strategies, else bot, else user."""
    from slackmq_core import ConfigError

    needs_user = bool(getattr(strategy, "needs_user_token", False))
    wanted = kind or ("user" if needs_user and profile.user_token else None)
    if wanted:
        secret = getattr(profile, f"{wanted}_token")
        if secret is None:
            var = f"SLACK_{wanted.upper()}_TOKEN"
            raise ConfigError(f"no {wanted} token in profile {profile.name!r}: set {var} or "
                              f"{wanted}_token / token_command in the config file")
        return secret
    secret = profile.bot_token or profile.user_token
    if secret is None:
        where = profile.config_file or "the config file (slackmq config init)"
        raise ConfigError(f"no Slack token for profile {profile.name!r}: set SLACK_BOT_TOKEN (or "
                          f"SLACK_USER_TOKEN), or add a token_command to {where}")
    return secret


def actor(slack_identity: str = "") -> str:
    """Who runs this command, for the audit log: the OS user and host, and the Slack identity
    acting (``olga@ops-1 as slackmq-console (U0CONSOL01) via slackmq cli``); never a token."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    as_ = f" as {slack_identity}" if slack_identity else ""
    return f"{user}@{socket.gethostname()}{as_} via slackmq cli"


def lock_client(args: argparse.Namespace, profile=None, *, strategy: str | None = None,
                mutating: str | None = None):
    """(LockClient, profile) for the options: profile, --api-url, --token, --strategy, audit.

    ``mutating`` names the action when the command will change Slack: a read-only profile is
    refused before anything is built or called.
    """
    from slackmq_core import AuditLog, LockClient, Strategy, make_client

    profile = profile or load(args)
    options = profile.lock_options()
    if strategy:
        options = dataclasses.replace(options, strategy=Strategy.parse(strategy))
    if mutating:
        require_writable(profile, mutating)
    token = pick_token(profile, getattr(args, "token_kind", None), options.strategy)
    client = make_client(token.reveal(), base_url=profile.api_url)
    args.resolved_api_url = client.base_url  # named by the CLI's error line if it is unreachable
    # One stable worker id per OS user and host, so that a lock taken by one `slackmq ack` run (its
    # claim note names this id) can be released or completed by a later run of the same operator.
    lock = LockClient(client, options, audit=AuditLog(), actor=actor(), worker_id=cli_worker_id())
    if mutating:
        # auth.test first (the core caches it): a bad token fails before anything changes, and
        # the audit log names the Slack identity that acted, not only the OS user.
        me = lock.whoami()
        lock.actor = actor(f"{me.name} ({me.user_id})")
    return lock, profile


_TS = re.compile(r"^\d{9,10}\.\d{6}$")
_PERMALINK_TS = re.compile(r"^p?(\d{10})(\d{6})$")


def parse_ts(text: str) -> str:
    """A message ts (``1712345678.000100``; the ``p1712345678000100`` of a permalink works too)."""
    from slackmq_core import InputError

    raw = text.strip().rstrip("/").rsplit("/", 1)[-1]
    if _TS.match(raw):
        return raw
    m = _PERMALINK_TS.match(raw)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    raise InputError(f"malformed ts {text!r}: give a Slack message timestamp such as "
                     f"1712345678.000100 (or the p1712345678000100 of its permalink)")


def emit_json(value: Any) -> None:
    from slackmq_core.audit import jsonable

    json.dump(jsonable(value), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def fmt_age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(max(0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def fmt_mark(mark) -> str:
    """``pin by alpha-bot``, ``reaction :lock: by bravo-bot``, ``claim note by alpha-bot``."""
    what = {"pin": "pin", "star": "star", "reaction": f"reaction :{mark.name}:",
            "claim": "claim note"}.get(str(mark.primitive), str(mark.primitive))
    who = mark.holder.label if mark.holder is not None else "someone"
    return f"{what} by {who}"


def preview(text: str, width: int) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"


def print_table(headers: list[str], rows: list[list[str]], *, wrap_last: bool = True) -> None:
    """Left-aligned columns; the last column is cut to the terminal width."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    term = shutil.get_terminal_size((120, 24)).columns
    lead = sum(w + 2 for w in widths[:-1])
    last = max(20, term - lead) if wrap_last else widths[-1]
    for r in [headers, *rows]:
        cells = [c.ljust(w) for c, w in zip(r[:-1], widths[:-1], strict=True)]
        print("  ".join([*cells, preview(r[-1], last)]).rstrip())


@contextlib.contextmanager
def about(what: str) -> Iterator[None]:
    """Prefix the message of a slackmq error raised inside with ``what`` (the command, ts, channel)
    so the one error line says which message it was about."""
    from slackmq_core import SlackMQError

    try:
        yield
    except SlackMQError as e:
        if e.args and isinstance(e.args[0], str) and not e.args[0].startswith(what):
            e.args = (f"{what}: {e.args[0]}", *e.args[1:])
        raise


def ask(prompt: str) -> str:
    """One line from the terminal ('' at end of input)."""
    try:
        return input(prompt).strip()
    except EOFError:
        return ""


def now() -> float:
    return time.time()


def cli_worker_id() -> str:
    """``cli:USER@HOST``: the CLI's claim-note identity, the same for every run of one operator."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}@{socket.gethostname()}"
