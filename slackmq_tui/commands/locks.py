"""`slackmq locks CHANNEL [--stale] [--json]`: the channel's locked messages and who holds them.

Columns: ts, state, holder(s), age of the lock, lease (host/pid and time left), text preview.
"""

from __future__ import annotations

import argparse

from slackmq_tui.commands._common import (
    add_json_option,
    add_profile_options,
    add_token_option,
    emit_json,
    fmt_age,
    lock_client,
    now,
    print_table,
)


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("channel", metavar="CHANNEL", help="channel name (jobs, #jobs) or id")
    parser.add_argument("--stale", action="store_true",
                        help="only stale locks (held past the profile's stale_ttl, no live lease)")
    add_json_option(parser)
    add_token_option(parser)
    add_profile_options(parser)


def run(args: argparse.Namespace) -> int:
    from slackmq_core import LockState

    client, _profile = lock_client(args)
    channel = client.resolve_channel(args.channel)
    locks = client.locks(channel.id)
    if args.stale:
        locks = [m for m in locks if m.state is LockState.STALE]
    t = now()
    if args.json:
        emit_json({"channel": channel, "now": t, "locks": [as_dict(m, t) for m in locks]})
        return 0
    what = "stale locks" if args.stale else "locks"
    if not locks:
        print(f"no {what} in #{channel.name} ({channel.id})")
        return 0
    rows = [[m.ts, str(m.state), ", ".join(h.label for h in m.holders) or "-",
             fmt_age(None if m.locked_since is None else t - m.locked_since),
             lease_text(m.lease, t), m.text] for m in locks]
    print_table(["TS", "STATE", "HOLDER(S)", "AGE", "LEASE", "TEXT"], rows)
    print(f"{len(locks)} {what} in #{channel.name} ({channel.id})")
    return 0


def lease_text(lease, t: float) -> str:
    if lease is None:
        return "-"
    left = lease.expires_at - t
    when = f"{fmt_age(left)} left" if left > 0 else f"expired {fmt_age(-left)} ago"
    return f"{lease.host}/{lease.pid} ({when})"


def as_dict(m, t: float) -> dict:
    """A MessageLock for --json, with the derived holders and age."""
    from slackmq_core.audit import jsonable

    d = jsonable(m)
    d["holders"] = jsonable(m.holders)
    d["age"] = None if m.locked_since is None else round(t - m.locked_since, 3)
    return d
