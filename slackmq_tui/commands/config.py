"""`slackmq config` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    print(f"slackmq {args.command}: not available yet", file=sys.stderr)
    return 1
