"""Helpers for the core's tests: clients on the emulator, posting jobs, reading the raw state."""

from __future__ import annotations

from slackmq_core import AsyncLockClient, LockClient, LockOptions, RetryPolicy, make_async_client, make_client

JOBS = "C0JOBS0001"
ALPHA, BRAVO, CHARLIE, DELTA = "U0ALPHA001", "U0BRAVO001", "U0CHARL001", "U0DELTA001"
TOKENS = {ALPHA: "xoxb-emu-alpha", BRAVO: "xoxb-emu-bravo", CHARLIE: "xoxb-emu-charlie",
          DELTA: "xoxb-emu-delta"}
PUBLISHER = "U0PUBLSH01"


class Sleeps(list):
    """An injectable sleep that records how long it was asked to wait, and does not wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def lock_client(emu, token: str, *, sleeps: Sleeps | None = None, retry: RetryPolicy | None = None,
                **options) -> LockClient:
    return LockClient(make_client(token, base_url=emu.base_url), LockOptions(**options),
                      sleep=sleeps if sleeps is not None else Sleeps(), retry=retry)


def async_lock_client(emu, token: str, *, sleeps: Sleeps | None = None, **options) -> AsyncLockClient:
    return AsyncLockClient(make_async_client(token, base_url=emu.base_url), LockOptions(**options),
                           sleep=sleeps if sleeps is not None else Sleeps())


def post_jobs(emu, n: int, prefix: str = "job") -> list[str]:
    return [emu.control.post(JOBS, PUBLISHER, f"{prefix} {i}") for i in range(n)]


def channel_state(snapshot: dict, channel: str = JOBS) -> dict:
    return snapshot["channels"][channel]


def marks_on(snapshot: dict, ts: str, channel: str = JOBS) -> dict:
    """{'pin': created_by or None, 'reactions': {name: [users]}, 'notes': [reply records]}."""
    ch = channel_state(snapshot, channel)
    pin = next((p["created_by"] for p in ch["pins"] if p["ts"] == ts), None)
    reactions = {name: [u for u, _ in users] for name, users in (ch["reactions"].get(ts) or {}).items()
                 if users}
    notes = [m for m in ch["messages"] if m.get("thread_ts") == ts and m["ts"] != ts
             and not m.get("subtype") == "tombstone"]
    return {"pin": pin, "reactions": reactions, "notes": notes}
