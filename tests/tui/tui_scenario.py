"""A seeded, demo-like workspace state for the console's tests, snapshots and screenshots.

Everything goes through the emulator's Web API with real slack_sdk clients (the workers lock
with the core's AsyncLockClient under their own bot tokens), on a fake clock shared by the
emulator and the console, so every ts, age and "stale" verdict is the same on every run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from slackmq_core import (
    AsyncLockClient,
    LockOptions,
    Profile,
    Secret,
    make_async_client,
)

#: 2026-03-02 09:00:00 UTC: the scenario's first message.
T0 = 1_772_442_000.0
JOBS = "C0JOBS0001"
BUILDS = "C0BUILDS01"

TEXTS = [
    "resize product images batch 3412 (1,204 files)",
    "send invoice #1042 to ACME Corp",
    "rebuild search index shard 3",
    "nightly backup of db-prod-2 to cold storage",
    "transcode upload 88f2.mp4 to 720p and 1080p",
    "generate the monthly revenue report for finance",
    "sync CRM contacts from HubSpot",
    "purge CDN cache for /static/app-7.js",
    "run schema migration 0142 on staging",
    "email the weekly digest to 9,512 subscribers",
    "thumbnail PDFs in bucket reports-2026",
    "recompute recommendations for segment B",
    "rotate TLS certificate for api.example.com",
    "import 18 supplier price lists",
    "re-send failed webhooks from 08:40",
    "archive closed tickets older than 90 days",
    "warm caches after deploy 2026.03.02-1",
    "compress logs of 01 March",
]


class FakeClock:
    """Epoch seconds that move only when told to."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@dataclass
class Scenario:
    """What ``populate`` made: ts of interesting messages in #jobs, by role."""

    clock: FakeClock
    base_url: str
    jobs: list[str] = field(default_factory=list)        # newest last
    builds: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # role -> ts in #jobs

    def profile(self, **changes) -> Profile:
        """The console's profile: the console bot in #jobs and #builds, no app token (polling)."""
        base = Profile(name="test", workspace="", api_url=self.base_url,
                       channels=("jobs", "builds"), bot_token=Secret("xoxb-emu-console"))
        return dataclasses.replace(base, **changes)


def worker(token: str, base_url: str, clock: FakeClock, **options) -> AsyncLockClient:
    return AsyncLockClient(make_async_client(token, base_url=base_url), LockOptions(**options),
                           clock=clock)


async def populate(emu, clock: FakeClock) -> Scenario:
    """#jobs gets 18 jobs over ~40 minutes in every lock state; #builds a few more.

    roles: ``stale`` (alpha, pinned 38 min ago), ``locked`` (bravo, 6 min), ``lease`` (charlie in
    claim mode with a long lease: held 30 min but not stale), ``done``, ``failed``, ``mine`` (the
    console), ``shared`` (alpha's pin plus bravo's reaction: a force-unack cannot remove bravo's
    reaction), ``human`` (dana, a user token), ``pending`` (the newest).
    """
    sc = Scenario(clock, emu.base_url)
    publisher = make_async_client("xoxb-emu-publisher", base_url=emu.base_url)
    alpha = worker("xoxb-emu-alpha", emu.base_url, clock)
    bravo = worker("xoxb-emu-bravo", emu.base_url, clock)
    charlie = worker("xoxb-emu-charlie", emu.base_url, clock, strategy="claim",
                     lease_seconds=3600)
    # The claim note names the worker process: make it the same on every machine and run.
    charlie.ctx.worker_id, charlie.ctx.host, charlie.ctx.pid = "charlie-1", "worker-3", 4242
    delta = worker("xoxb-emu-delta", emu.base_url, clock)
    console = worker("xoxb-emu-console", emu.base_url, clock)
    dana = worker("xoxp-emu-dana", emu.base_url, clock)
    bravo_web = make_async_client("xoxb-emu-bravo", base_url=emu.base_url)

    alpha_web = make_async_client("xoxb-emu-alpha", base_url=emu.base_url)

    async def post(channel: str, text: str) -> str:
        poster = publisher if channel == JOBS else alpha_web    # the publisher is not in #builds
        resp = await poster.chat_postMessage(channel=channel, text=text)
        return resp["ts"]

    for i, text in enumerate(TEXTS[:6]):
        sc.jobs.append(await post(JOBS, text))
        clock.advance(41 + i)
    sc.roles["stale"] = sc.jobs[1]
    await alpha.acquire(JOBS, sc.jobs[1])
    sc.roles["shared"] = sc.jobs[2]
    await alpha.acquire(JOBS, sc.jobs[2])
    await bravo_web.reactions_add(channel=JOBS, timestamp=sc.jobs[2], name="lock")
    sc.roles["done"] = sc.jobs[0]
    await delta.acquire(JOBS, sc.jobs[0])
    await delta.complete(JOBS, sc.jobs[0])
    clock.advance(300)
    for i, text in enumerate(TEXTS[6:12]):
        sc.jobs.append(await post(JOBS, text))
        clock.advance(53 + 3 * i)
    sc.roles["lease"] = sc.jobs[6]
    await charlie.acquire(JOBS, sc.jobs[6])
    sc.roles["failed"] = sc.jobs[4]
    await delta.acquire(JOBS, sc.jobs[4])
    await delta.fail(JOBS, sc.jobs[4], "S3 upload timed out after 3 retries")
    sc.roles["human"] = sc.jobs[8]
    await dana.acquire(JOBS, sc.jobs[8])
    sc.builds.append(await post(BUILDS, "build web-frontend @ 9f3c2e1"))
    sc.builds.append(await post(BUILDS, "build api @ 51aa0d7"))
    await alpha.acquire(BUILDS, sc.builds[0])
    await alpha.complete(BUILDS, sc.builds[0])
    clock.advance(900)
    for i, text in enumerate(TEXTS[12:]):
        sc.jobs.append(await post(JOBS, text))
        clock.advance(37 + 5 * i)
    sc.roles["locked"] = sc.jobs[13]
    await bravo.acquire(JOBS, sc.jobs[13])
    sc.roles["mine"] = sc.jobs[15]
    await console.acquire(JOBS, sc.jobs[15])
    sc.builds.append(await post(BUILDS, "build worker @ 77b01c4"))
    await bravo.acquire(BUILDS, sc.builds[2])
    sc.roles["pending"] = sc.jobs[-1]
    clock.advance(95)
    for client in (publisher, bravo_web, alpha_web, alpha.client, bravo.client, charlie.client, delta.client,
                   console.client, dana.client):
        if getattr(client, "session", None) is not None:
            await client.session.close()
    return sc


# -- driving the app ------------------------------------------------------------------------------

async def wait_until(pilot, predicate, *, timeout: float = 15.0, what: str = "a condition") -> None:
    """Poll ``predicate`` between UI turns until it holds; fail after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.02)


def main_screen(app):
    from slackmq_tui.screens.main import MainScreen

    for screen in app.screen_stack:
        if isinstance(screen, MainScreen):
            return screen
    raise AssertionError("the main screen is not on the stack")


async def settle(pilot, *, timeout: float = 15.0) -> None:
    """Wait until no Slack call is in flight or queued, then let the screen repaint."""
    screen = main_screen(pilot.app)
    await wait_until(pilot, lambda: screen.idle, timeout=timeout, what="the console to be idle")
    await pilot.pause()


async def ready(pilot, *, timeout: float = 15.0) -> None:
    """Wait for start-up to finish (identity, channels, first page, live updates), then settle;
    no cursor blinks, so screenshots are the same every time."""
    screen = main_screen(pilot.app)
    await wait_until(pilot, lambda: screen.ready, timeout=timeout, what="the console to start")
    await settle(pilot, timeout=timeout)
    no_blink(pilot.app)


def no_blink(app) -> None:
    from textual.widgets import Input

    for screen in app.screen_stack:
        for widget in screen.query(Input):
            widget.cursor_blink = False


async def select(pilot, ts: str) -> None:
    """Put the stream's cursor on the message ``ts`` and wait for its detail to load."""
    screen = main_screen(pilot.app)
    assert screen.stream.select_ts(ts), f"{ts} is not in the stream"
    await pilot.pause()
    await settle(pilot)


async def slack_marks(base_url: str, channel: str, ts: str) -> dict:
    """What Slack itself says is on a message, read with the console's own token:
    ``{"pin": created_by or None, "reactions": {name: [user, ...]}}``."""
    web = make_async_client("xoxb-emu-console", base_url=base_url)
    try:
        pins = await web.pins_list(channel=channel)
        pin = next((item.get("created_by") for item in pins["items"]
                    if item.get("message", {}).get("ts") == ts), None)
        got = await web.reactions_get(channel=channel, timestamp=ts, full=True)
        reactions = {r["name"]: list(r["users"]) for r in got["message"].get("reactions", [])}
    finally:
        if web.session is not None:
            await web.session.close()
    return {"pin": pin, "reactions": reactions}


class ActionLog:
    """A Pilot ``message_hook`` that keeps every ActionFinished the console posts."""

    def __init__(self) -> None:
        self.finished: list = []

    def __call__(self, message) -> None:
        from slackmq_tui.messages import ActionFinished

        if isinstance(message, ActionFinished):
            self.finished.append(message)

    async def wait(self, pilot, action: str, *, count: int = 1):
        """The ``count``-th finished ``action``, once its row has been re-read."""
        await wait_until(pilot, lambda: len(self.of(action)) >= count, what=f"{action} to finish")
        await settle(pilot)
        return self.of(action)[count - 1]

    def of(self, action: str) -> list:
        return [m for m in self.finished if m.action == action]
