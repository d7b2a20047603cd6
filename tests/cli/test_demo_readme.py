"""The README's promises that code can check: the two set-up commands (the second is what CI runs),
every subcommand in its CLI table exists, the demo's roster table names the demo's workers."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from slackmq_core.demo import roster
from slackmq_tui.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def first_block() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_first_screen_has_the_two_setup_commands_and_ci_runs_the_second():
    install_demo, tests = first_block()
    assert shlex.split(install_demo)[-2:] == ["slackmq", "demo"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()
    assert README.index(install_demo) < 600          # on the first screen


def test_cli_table_lists_every_subcommand_with_a_real_example():
    rows = re.findall(r"^\| `([a-z-]+)`[^|]*\| `(slackmq [^`]+)` \|", README, re.M)
    assert {name for name, _ in rows} == set(COMMANDS)
    for name, example in rows:
        assert shlex.split(example)[1] == name


def test_demo_table_names_the_fleet():
    names = {s.name for s in roster(7)}
    for name in names:
        assert f"`{name}`" in README, name


def test_every_embedded_screenshot_exists():
    shots = re.findall(r"\]\((screenshots/[^)]+\.svg)\)", README)
    assert shots, "the README embeds no screenshot"
    missing = [s for s in shots if not (ROOT / s).is_file()]
    assert not missing, f"the README embeds missing screenshots: {missing}"
