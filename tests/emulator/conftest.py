"""Fixtures for the emulator's own tests: slack_sdk clients bound to a fresh emulator."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient

TOKENS = {
    "alpha": "xoxb-emu-alpha",
    "bravo": "xoxb-emu-bravo",
    "console": "xoxb-emu-console",
    "nopin": "xoxb-emu-nopin",
    "publisher": "xoxb-emu-publisher",
    "dana": "xoxp-emu-dana",
    "olga": "xoxp-emu-olga",
}
JOBS = "C0JOBS0001"
PUBLISHER = "U0PUBLSH01"


@pytest.fixture
def clients(emulator):
    """name -> sync WebClient on the thread emulator (names as in TOKENS)."""
    return {name: WebClient(token=tok, base_url=emulator.base_url) for name, tok in TOKENS.items()}


@pytest.fixture
def aclients(async_emulator):
    """name -> AsyncWebClient on the in-loop emulator."""
    return {name: AsyncWebClient(token=tok, base_url=async_emulator.base_url)
            for name, tok in TOKENS.items()}


@pytest.fixture
def job(emulator):
    """A message in #jobs posted by the publisher; returns its ts."""
    return emulator.control.post(JOBS, PUBLISHER, "job 1")
