"""`slackmq config path|show|init`: where the configuration is, what it resolves to, a template.

``show`` never prints a token: each one reads ``set (from env SLACK_BOT_TOKEN)`` or ``not set``.
``init`` writes a commented template with mode 0600 and refuses to overwrite without ``--force``.
"""

from __future__ import annotations

import argparse

from slackmq_tui.commands._common import add_json_option, add_profile_options, emit_json, load


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("path", help="print the config file's path",
                   description="Print the config file's path ($SLACKMQ_CONFIG or the platform's "
                               "config dir), whether or not it exists.")
    show = sub.add_parser("show", help="print the resolved profile (tokens never shown)",
                          description="Print the profile as slackmq resolves it: file, "
                                      "environment and options. Tokens show only where they come "
                                      "from.")
    add_profile_options(show, read_only=True)
    add_json_option(show)
    init = sub.add_parser("init", help="write a commented template (mode 0600)",
                          description="Write a commented config template, readable only by you.")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")


def run(args: argparse.Namespace) -> int:
    from slackmq_core.config import config_path, write_template

    if args.action == "path":
        print(config_path())
        return 0
    if args.action == "init":
        path = write_template(config_path(), force=args.force)
        print(f"wrote {path} (mode 0600); edit it, then check with: slackmq config show")
        return 0
    return _show(args)


def describe(profile, *, api_url_source: str = "") -> dict:
    """The profile as shown by `config show` (and its --json): no token values."""
    from slackmq_core._logging import default_log_dir
    from slackmq_core.audit import default_audit_path
    from slackmq_core.config import config_path, describe_token

    path = config_path()
    api_from = f" (from {api_url_source})" if api_url_source else ""
    return {
        "config_file": str(path),
        "config_file_exists": path.exists(),
        "profile": profile.name,
        "workspace": profile.workspace,
        "api_url": (profile.api_url or "https://slack.com/api/") + api_from,
        "channels": list(profile.channels),
        "strategy": profile.strategy,
        "reaction": profile.reaction,
        "done_reaction": profile.done_reaction,
        "failed_reaction": profile.failed_reaction,
        "stale_ttl": profile.stale_ttl,
        "lease_seconds": profile.lease_seconds,
        "claim_note": profile.claim_note,
        "single_user": profile.single_user,
        "clear_done": profile.clear_done,
        "read_only": profile.read_only,
        "bot_token": describe_token(profile.bot_token),
        "app_token": describe_token(profile.app_token),
        "user_token": describe_token(profile.user_token),
        "log_file": str(default_log_dir() / "slackmq.log"),
        "audit_log": str(default_audit_path()),
    }


def _show(args: argparse.Namespace) -> int:
    import os

    source = "--api-url" if args.api_url else (
        "SLACKMQ_API_URL" if os.environ.get("SLACKMQ_API_URL") else "")
    info = describe(load(args), api_url_source=source)
    if args.json:
        emit_json(info)
        return 0
    if not info["config_file_exists"]:
        info["config_file"] += "  (not found: defaults and environment; create it with "
        info["config_file"] += "`slackmq config init`)"
    for key, value in info.items():
        if key == "config_file_exists":
            continue
        if isinstance(value, list):
            value = ", ".join(value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif key in ("stale_ttl", "lease_seconds"):
            value = f"{value:g} s"
        print(f"{key.replace('_', ' '):<16}{value}")
    return 0
