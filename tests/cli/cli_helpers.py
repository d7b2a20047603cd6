"""Plain helpers for the CLI tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

JOBS = "C0JOBS0001"
PUBLISHER = "U0PUBLSH01"
#: every token of the default emulator workspace: none may appear in any output, log or audit line
ALL_TOKENS = ("xoxb-emu-alpha", "xoxb-emu-bravo", "xoxb-emu-charlie", "xoxb-emu-delta",
              "xoxb-emu-console", "xoxb-emu-nopin", "xoxb-emu-publisher", "xoxp-emu-dana",
              "xoxp-emu-olga", "xapp-emu-alpha", "xapp-emu-bravo", "xapp-emu-console")



def files_text(state_dir: Path) -> list[str]:
    return [p.read_text() for p in state_dir.rglob("*") if p.is_file()]


def assert_no_tokens(*texts: str) -> None:
    for text in texts:
        for token in ALL_TOKENS:
            assert token not in text, f"{token} leaked"


def audit_entries(state_dir: Path) -> list[dict]:
    path = state_dir / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def pins(web, channel: str = JOBS) -> dict[str, str]:
    """ts -> who pinned it."""
    return {i["message"]["ts"]: i["created_by"] for i in web.pins_list(channel=channel)["items"]}


def reactions(web, ts: str, channel: str = JOBS) -> dict[str, list[str]]:
    msg = web.reactions_get(channel=channel, timestamp=ts)["message"]
    return {r["name"]: r["users"] for r in msg.get("reactions", [])}
