"""Regenerate the console's screenshots: ``python scripts/screenshots.py`` (from the repo root).

Starts a seeded emulator on a frozen clock, fills it with the demo-like workspace the console's
tests use (``tests/tui/tui_scenario.py``: worker bots holding, completing, failing and abandoning
jobs through the real lock core), opens the console on it with Socket Mode, drives it with Pilot
and saves SVGs the app renders of itself into ``screenshots/``. Same input, same pictures: run it
after changing how the console looks, then look at the files before committing them.

    python scripts/screenshots.py [--out DIR] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "tui"))

from tui_scenario import FakeClock, no_blink, populate, ready, select, wait_until

from slackmq_core import Secret
from slackmq_core.emulator import Emulator, EmulatorConfig
from slackmq_tui.app import make_app
from slackmq_tui.screens.clear_stale import ClearStaleDialog
from slackmq_tui.screens.force_release import ForceReleaseDialog
from slackmq_tui.screens.help import HelpScreen


async def _open(pilot, key: str, kind) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind), what=kind.__name__)
    await pilot.pause()
    no_blink(pilot.app)


def _shots(roles: dict[str, str]) -> dict[str, tuple[tuple[int, int], str, Callable]]:
    """name -> (terminal size, theme, what to do after start-up)."""

    async def nothing(pilot) -> None:
        pass

    async def detail(pilot) -> None:
        await select(pilot, roles["lease"])

    async def force(pilot) -> None:
        await select(pilot, roles["locked"])
        await _open(pilot, "F", ForceReleaseDialog)

    async def stale(pilot) -> None:
        await _open(pilot, "S", ClearStaleDialog)

    async def help_(pilot) -> None:
        await _open(pilot, "question_mark", HelpScreen)

    return {
        "main": ((160, 45), "textual-dark", nothing),
        "main-80x24": ((80, 24), "textual-dark", nothing),
        "main-light": ((160, 45), "textual-light", nothing),
        "detail": ((160, 45), "textual-dark", detail),
        "force-unack": ((120, 36), "textual-dark", force),
        "clear-stale": ((160, 45), "textual-dark", stale),
        "help": ((100, 36), "textual-dark", help_),
    }


async def take(name: str, out: Path, size: tuple[int, int], theme: str,
               action: Callable[..., Awaitable[None]]) -> Path:
    clock = FakeClock()
    async with Emulator(EmulatorConfig(seed=1, rate_limits=False, clock=clock)) as emu:
        sc = await populate(emu, clock)
        with tempfile.TemporaryDirectory() as tmp:
            app = make_app(sc.profile(app_token=Secret("xapp-emu-console")), clock=clock,
                           audit_path=Path(tmp) / "audit.jsonl")
            app.theme = theme
            async with app.run_test(size=size) as pilot:
                await ready(pilot)
                await _shots(sc.roles)[name][2](pilot)
                await pilot.pause()
                return Path(app.save_screenshot(f"{name}.svg", str(out)))


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots",
                        help="directory for the SVGs (default: screenshots/)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="take only these shots")
    args = parser.parse_args(argv)
    os.environ["TZ"] = "UTC"           # times on screen are local: the same everywhere
    time.tzset()
    os.environ.setdefault("SLACKCLIENT_SKIP_DEPRECATION", "1")
    names = list(_shots({}))
    unknown = sorted(set(args.only or ()) - set(names))
    if unknown:
        parser.error(f"unknown shot {unknown[0]!r}: choose from {', '.join(names)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or names:
        size, theme, action = _shots({})[name]
        path = await take(name, args.out, size, theme, action)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  "
              f"{size[0]}x{size[1]} {theme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
