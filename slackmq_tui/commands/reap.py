"""`slackmq reap CHANNEL [--older-than 15m] [--dry-run] [--json]`: release stale locks.

For cron: no prompt. A lock is reaped when it is older than ``--older-than`` (default: the
profile's stale_ttl) and has no live lease. Each reaped message goes to the audit log. Exit 1 when
Slack refused to remove a mark that the plan said was removable.
"""

from __future__ import annotations

import argparse

from slackmq_tui.commands._common import (
    add_json_option,
    add_profile_options,
    add_token_option,
    emit_json,
    fmt_mark,
    lock_client,
)


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("channel", metavar="CHANNEL", help="channel name (jobs, #jobs) or id")
    parser.add_argument("--older-than", metavar="AGE",
                        help="reap locks older than this: 900, 900s, 15m, 1h30m "
                             "(default: the profile's stale_ttl)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be reaped")
    add_json_option(parser)
    add_token_option(parser)
    add_profile_options(parser, read_only=True)


def run(args: argparse.Namespace) -> int:
    from slackmq_core import parse_duration

    older = parse_duration(args.older_than, what="--older-than") if args.older_than else None
    client, profile = lock_client(args, mutating=None if args.dry_run else "reap")
    older = profile.stale_ttl if older is None else older
    channel = client.resolve_channel(args.channel)
    if args.dry_run:
        plans = client.plan_reap(channel.id, older_than=older)
        if args.json:
            emit_json({"channel": channel, "older_than": older, "dry_run": True, "plans": plans})
            return 0
        if not plans:
            print(f"nothing to reap in #{channel.name}")
        for plan in plans:
            print(f"would reap {plan.ts} ({plan.state}):")
            for m in plan.removable:
                print(f"  remove {fmt_mark(m)}")
            for f in plan.not_removable:
                print(f"  cannot remove {fmt_mark(f.mark)}: {f.reason}")
        return 0
    report = client.reap(channel.id, older_than=older)
    if args.json:
        emit_json(report)
    else:
        for r in report.reaped:
            removed = ", ".join(fmt_mark(m) for m in r.removed) or "nothing"
            print(f"reaped {r.ts}: removed {removed}")
            for f in r.not_removed:
                print(f"  kept {fmt_mark(f.mark)}: {f.reason}")
        for ts, why in report.skipped:
            print(f"skipped {ts}: {why}")
        print(f"{len(report.reaped)} reaped, {len(report.skipped)} skipped in #{channel.name}")
    refused = any(f.error for r in report.reaped for f in r.not_removed)
    return 1 if refused else 0
