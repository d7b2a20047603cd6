"""What every Socket Mode test file shares: a handle on the real emulator's Socket Mode side, bounded
waits, and the envelope check (Slack's Events API wrapper schema).

Tests run the real emulator (the ``emulator`` fixture from tests/conftest.py, ``run_in_thread``:
its own loop in a thread, 127.0.0.1 port 0). Messages are posted through its control surface or
the Web API; drops and counters go through ``/_emulator/sockets/drop`` and ``/_emulator/stats``.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from slackmq_core.emulator.workspace import Workspace, default_workspace

# ../shared beside the checkout, as in CI (a fresh clone with a copy of shared/ next to it).
SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "slack-api-specs"
JOBS = "C0JOBS0001"
PRIVATE = "G0PRIVATE1"
ALPHA, BRAVO, CONSOLE = "A0ALPHA001", "A0BRAVO001", "A0CONSOL01"
APP_TOKENS = {ALPHA: "xapp-emu-alpha", BRAVO: "xapp-emu-bravo", CONSOLE: "xapp-emu-console"}
DANA = "U0OPSDANA1"


def only_apps(*app_ids: str, **events: tuple[str, ...]) -> Workspace:
    """The default workspace with only these apps; ``A0BRAVO001=("pin_added",)`` sets subscriptions."""
    ws = default_workspace()
    apps = tuple(dataclasses.replace(a, events=events.get(a.id, a.events)) for a in ws.apps if a.id in app_ids)
    return dataclasses.replace(ws, apps=apps)


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``predicate`` (bounded); return its first truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


async def async_wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """``wait_until`` for async tests; the predicate runs in a thread (it may call the control surface)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(predicate)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


class Sockets:
    """The Socket Mode side of a running emulator, through its control surface."""

    def __init__(self, emu: Any) -> None:
        self.emu = emu
        self.control = emu.control
        self.base_url: str = emu.base_url
        self.port: int = emu.port

    def stats(self) -> dict[str, Any]:
        return self.control.stats()["socket_mode"]

    def connections(self, app_id: str) -> int:
        return self.stats()["connections"].get(app_id, 0)

    def in_flight(self, app_id: str | None = None) -> int:
        stats = self.stats()
        return stats["in_flight"] if app_id is None else stats["in_flight_by_app"].get(app_id, 0)

    def drop(self, app_id: str | None = None, mode: str = "close") -> int:
        return self.control.drop_sockets(app_id, mode)

    def post(self, text: str, *, channel: str = "jobs", user: str = DANA, thread_ts: str | None = None) -> str:
        return self.control.post(channel, user, text, thread_ts=thread_ts)


@pytest.fixture
def sockets(emulator: Any) -> Sockets:
    """The ``emulator`` fixture (configure it with ``@pytest.mark.emulator(...)``), Socket Mode view."""
    return Sockets(emulator)


def envelope_schema() -> dict[str, Any]:
    """Slack's GenericEventWrapper, minus ``authed_users`` in ``required``.

    Real Slack follows the 2021 change over the 2020 spec: payloads carry ``authorizations`` (one
    entry) instead of ``authed_users`` (changelog 2020-09-15-events-api-truncate-authed-users), and
    Socket Mode payloads seen from real workspaces have no ``authed_users`` at all.
    """
    spec = json.loads((SPECS / "slack_events_api_async_v1.json").read_text())
    schema = copy.deepcopy(spec["components"]["schemas"]["GenericEventWrapper"])
    schema["required"] = [r for r in schema["required"] if r != "authed_users"]
    return schema


def check_envelope(envelope: dict[str, Any], app_id: str, *, attempt: int = 0) -> dict[str, Any]:
    """Assert the Socket Mode envelope and its Events API body are what Slack sends; return the event."""
    assert set(envelope) == {"envelope_id", "payload", "type", "accepts_response_payload",
                             "retry_attempt", "retry_reason"}
    assert envelope["type"] == "events_api"
    assert envelope["accepts_response_payload"] is False
    assert envelope["retry_attempt"] == attempt
    assert envelope["retry_reason"] == ("timeout" if attempt else "")
    body = envelope["payload"]
    jsonschema.validate(body, envelope_schema())
    assert body["type"] == "event_callback"
    assert body["api_app_id"] == app_id
    assert body["event_id"].startswith("Ev") and len(body["event_id"]) == 12
    assert body["event_context"].startswith("4-")
    assert body["is_ext_shared_channel"] is False
    [auth] = body["authorizations"]
    bot = next(a.bot_user for a in default_workspace().apps if a.id == app_id)
    assert auth == {"enterprise_id": None, "team_id": body["team_id"], "user_id": bot, "is_bot": True,
                    "is_enterprise_install": False}
    return body["event"]


def test_envelope_schema_is_slacks_wrapper_without_authed_users() -> None:
    schema = envelope_schema()
    common = json.loads((SPECS / "slack_common_event_wrapper_schema.json").read_text())
    assert set(common["required"]) == set(schema["required"]) | {"authed_users"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"token": "t", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                             "event_id": "Ev1", "event_time": 1, "event": {"type": "message"}}, schema)
