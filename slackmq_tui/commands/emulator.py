"""`slackmq emulator`: run the local Slack emulator (flags and behaviour live in the emulator).

Delegates to ``slackmq_core.emulator.__main__``, which imports only argparse until it runs.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    from slackmq_core.emulator.__main__ import add_arguments as add

    add(parser, name)


def run(args: argparse.Namespace) -> int:
    from slackmq_core.emulator.__main__ import run as run_emulator

    return run_emulator(args)
