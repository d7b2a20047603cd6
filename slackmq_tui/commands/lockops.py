"""`slackmq ack|unack|done|force-unack CHANNEL TS`: lock operations on one message.

``ack`` locks it as this token's identity (``--strategy`` overrides the profile's), ``unack``
releases what this identity holds, ``done`` marks it done and releases it. ``force-unack`` is the
operator's tool: it first shows exactly which marks will be removed and which cannot be (and why),
then asks on a terminal (typing the ts when the lock is not stale) unless ``--yes``; without a
terminal it needs ``--yes``. Every change goes to the audit log (the core writes it).

Exit: 0 done, 1 refused by the lock (held by someone else, nothing held, a mark Slack kept), 2 bad
input.
"""

from __future__ import annotations

import argparse
import sys

from slackmq_tui.commands._common import (
    about,
    add_json_option,
    add_profile_options,
    add_token_option,
    ask,
    emit_json,
    fmt_mark,
    lock_client,
    parse_ts,
)

_CODES_BAD_INPUT = {"channel_not_found", "not_in_channel", "message_not_found", "bad_timestamp",
                    "thread_not_found", "missing_scope", "not_allowed_token_type", "invalid_auth",
                    "not_authed", "token_revoked", "account_inactive", "invalid_name"}


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("channel", metavar="CHANNEL", help="channel name (jobs, #jobs) or id")
    parser.add_argument("ts", metavar="TS", help="the message's ts, e.g. 1712345678.000100")
    if name == "ack":
        parser.add_argument("--strategy", metavar="S",
                            help="pin, pin+reaction, pin+star, pin+star+reaction or claim "
                                 "(default: the profile's)")
    if name == "force-unack":
        parser.add_argument("--yes", "-y", action="store_true",
                            help="do not ask for confirmation (needed without a terminal)")
        parser.add_argument("--dry-run", action="store_true",
                            help="show what would be removed and what cannot be; change nothing")
    add_json_option(parser)
    add_token_option(parser)
    add_profile_options(parser, read_only=True)


def run(args: argparse.Namespace) -> int:
    ts = parse_ts(args.ts)
    if args.command == "force-unack":
        return _force(args, ts)
    client, _ = lock_client(args, strategy=getattr(args, "strategy", None), mutating=args.command)
    channel = client.resolve_channel(args.channel)
    op = {"ack": client.acquire, "unack": client.release, "done": client.complete}[args.command]
    result = op(channel.id, ts)
    if args.json:
        emit_json(result)
    if str(result.outcome) == "error":
        from slackmq_tui.cli import print_error

        where = f"{args.command} {ts} in #{channel.name}"
        advice = f" — {result.advice}" if result.advice and result.advice != result.error else ""
        print_error(f"{where}: {result.error or 'failed'}{advice}")
        return 2 if result.error in _CODES_BAD_INPUT else 1
    if not args.json:
        print(_describe(result, channel.name, args.command))
    return 0 if result.ok else 1


def _describe(result, channel_name: str, command: str) -> str:
    where = f"{result.ts} in #{channel_name}"
    marks = ", ".join(fmt_mark(m) for m in result.marks)
    outcome = str(result.outcome)
    if outcome == "acquired":
        return f"acquired {where}" + (f": {marks}" if marks else "")
    if outcome in ("released", "completed", "failed"):
        return f"{outcome} {where}" + (f": {marks}" if marks else "")
    if outcome == "held":
        who = result.holder.label if result.holder is not None else "someone else"
        return f"not acquired: {where} is held by {who}"
    if outcome == "done":
        return f"not acquired: {where} is done already"
    if outcome == "not_held":
        verb = "not completed" if command == "done" else "nothing to release"
        return f"{verb}: this identity holds no lock mark on {where}"
    return f"{outcome} {where}"


def _force(args: argparse.Namespace, ts: str) -> int:
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if not (args.yes or args.dry_run or interactive):
        from slackmq_core import InputError

        raise InputError("force-unack needs confirmation: re-run with --yes "
                         "(or --dry-run to see what it would remove)")
    client, _ = lock_client(args, mutating=None if args.dry_run else "force-unack")
    channel = client.resolve_channel(args.channel)
    with about(f"force-unack {ts} in #{channel.name}"):
        plan = client.plan_force_release(channel.id, ts)
    if args.json and args.dry_run:
        emit_json(plan)
        return 0
    if not args.json:
        _print_plan(plan, channel.name)
    if args.dry_run:
        return 0
    if not plan.removable:
        if args.json:
            emit_json(plan)
        print("nothing to remove with this token", file=sys.stderr)
        return 1
    if not args.yes and not _confirm(plan, channel.name):
        print("cancelled: nothing changed", file=sys.stderr)
        return 1
    with about(f"force-unack {ts} in #{channel.name}"):
        report = client.force_release(channel.id, ts)
    if args.json:
        emit_json(report)
    else:
        _print_report(report)
    planned = {(str(m.primitive), m.name, m.holder) for m in plan.removable}
    missed = [f for f in report.not_removed
              if (str(f.mark.primitive), f.mark.name, f.mark.holder) in planned]
    return 1 if missed else 0


def _print_plan(plan, channel_name: str) -> None:
    print(f"{plan.ts} in #{channel_name} is {plan.state}")
    if plan.removable:
        print("will remove:")
        for m in plan.removable:
            print(f"  - {fmt_mark(m)}")
    if plan.not_removable:
        print("cannot remove:")
        for f in plan.not_removable:
            print(f"  - {fmt_mark(f.mark)}: {f.reason}")
    if not plan.removable and not plan.not_removable:
        print("no lock marks on it")


def _confirm(plan, channel_name: str) -> bool:
    n = len(plan.removable)
    if str(plan.state) == "stale":
        return ask(f"Remove {n} mark(s) from {plan.ts} in #{channel_name}? [y/N] ").lower() in (
            "y", "yes")
    print(f"This lock is {plan.state}, not stale: its holder may still be working on it.")
    return ask(f"Type the ts ({plan.ts}) to remove {n} mark(s): ") == plan.ts


def _print_report(report) -> None:
    for m in report.removed:
        print(f"removed {fmt_mark(m)}")
    for f in report.not_removed:
        print(f"kept {fmt_mark(f.mark)}: {f.reason}" + (f" [{f.error}]" if f.error else ""))
