"""`slackmq tui` (also `slackmq-tui`): open the lock console on the configured workspace.

With no token configured it says so in one line and starts the embedded demo instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from slackmq_tui.commands._common import add_profile_options, load

#: Themes offered by --theme (any Textual theme name works; these are the tested ones).
THEMES = ("textual-dark", "textual-light", "nord", "gruvbox", "solarized-light")


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--channel", "-c", action="append", metavar="CHANNEL", dest="channels",
                        help="channel to watch, by name or id (repeatable; default: the "
                             "profile's channels)")
    parser.add_argument("--theme", metavar="NAME", default=None,
                        help=f"colour theme, e.g. {', '.join(THEMES)} (default: textual-dark)")
    add_profile_options(parser, read_only=True)


def run(args: argparse.Namespace) -> int:
    from slackmq_core import InputError

    profile = load(args)
    if profile.bot_token is None:
        print("slackmq tui: no Slack bot token configured (SLACK_BOT_TOKEN or the config file): "
              "starting the embedded demo instead", file=sys.stderr)
        from slackmq_tui.commands import demo

        return demo.run(args)
    if args.channels:
        profile = dataclasses.replace(profile, channels=tuple(args.channels))
    from slackmq_tui.app import make_app

    app = make_app(profile, read_only=profile.read_only)
    if args.theme:
        if args.theme not in app.available_themes:
            valid = ", ".join(sorted(app.available_themes))
            raise InputError(f"unknown theme {args.theme!r}: use one of {valid}")
        app.theme = args.theme
    app.run()
    return int(app.return_code or 0)
