"""`slackmq whoami`: auth.test for the token in use, its type and scopes, and what each lock
strategy can do with them; plus whether an app token (Socket Mode) is configured."""

from __future__ import annotations

import argparse

from slackmq_tui.commands._common import (
    add_json_option,
    add_profile_options,
    add_token_option,
    emit_json,
    load,
    lock_client,
    pick_token,
)


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    add_token_option(parser)
    add_json_option(parser)
    add_profile_options(parser)


def run(args: argparse.Namespace) -> int:
    from slackmq_core.config import describe_token

    profile = load(args)
    secret = pick_token(profile, args.token_kind, profile.lock_options().strategy)
    client, _ = lock_client(args, profile)
    me = client.whoami()
    app = describe_token(profile.app_token)
    if args.json:
        emit_json({**_identity(me), "token_source": secret.source, "profile": profile.name,
                   "api_url": profile.api_url or "https://slack.com/api/", "app_token": app})
        return 0
    kind = "bot" if me.is_bot else "human"
    rows = [
        ("user", f"{me.name} ({me.user_id}), {kind}" + (f", bot id {me.bot_id}" if me.bot_id else "")),
        ("team", f"{me.team} ({me.team_id})" + (f"  {me.url}" if me.url else "")),
        ("token", f"{me.token_type} token (from {secret.source})"),
        ("scopes", ", ".join(me.scopes) or "(Slack did not say)"),
        ("app token", app + ("  -> live updates over Socket Mode" if profile.app_token
                             else "  -> the console polls")),
    ]
    for label, value in rows:
        print(f"{label:<11}{value}")
    print("strategies")
    width = max((len(s) for s in me.strategies), default=0)
    for strategy, verdict in me.strategies.items():
        print(f"  {strategy:<{width}}  {verdict}")
    return 0


def _identity(me) -> dict:
    from slackmq_core.audit import jsonable

    return jsonable(me)
