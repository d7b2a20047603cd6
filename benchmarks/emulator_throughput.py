"""How many simple Web API calls per second the emulator sustains (goal: >= 2,000/s on 2 cores).

Runs the emulator as its own process (``python -m slackmq_core.emulator --rate-limits off``), then
N concurrent aiohttp clients on loopback call auth.test and reactions.get (alternating, each with a
Bearer token, as slack_sdk does) for a bounded time. As a baseline measured in the same run, the same
clients hit a bare aiohttp server answering a fixed JSON body: the ratio shows the emulator's own cost.

    python benchmarks/emulator_throughput.py [--seconds 10] [--clients 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import time

import aiohttp

JOBS = "C0JOBS0001"

_BASELINE = """
import sys
from aiohttp import web
body = b'{"ok":true,"url":"https://x.slack.com/","team":"T","user":"u","team_id":"T1","user_id":"U1"}'
async def h(request):
    await request.read()
    return web.Response(body=body, content_type="application/json", charset="utf-8")
app = web.Application()
app.router.add_route("*", "/api/{m}", h)
async def main():
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    print(f"emulator listening on http://{host}:{port}/api/", flush=True)
    import asyncio
    await asyncio.Event().wait()
import asyncio
asyncio.run(main())
"""


def _start(cmd: list[str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()  # type: ignore[union-attr]
    if not line.startswith("emulator listening on "):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1]


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


async def _load(base_url: str, seconds: float, clients: int, ts: str) -> tuple[int, int]:
    done = 0
    errors = 0
    deadline = time.monotonic() + seconds
    headers = {"Authorization": "Bearer xoxb-emu-alpha"}
    calls = [("auth.test", None), ("reactions.get", {"channel": JOBS, "timestamp": ts})]
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker(i: int) -> None:
            nonlocal done, errors
            n = i
            while time.monotonic() < deadline:
                method, params = calls[n % 2]
                n += 1
                async with session.post(f"{base_url}{method}", params=params) as resp:
                    body = await resp.read()
                if resp.status == 200 and json.loads(body).get("ok"):
                    done += 1
                else:
                    errors += 1

        await asyncio.gather(*(worker(i) for i in range(clients)))
    return done, errors


def _post_job(base_url: str) -> str:
    import urllib.request

    root = base_url.removesuffix("api/")
    req = urllib.request.Request(
        f"{root}_emulator/post", method="POST",
        data=json.dumps({"channel": "jobs", "user": "U0PUBLSH01", "text": "job"}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        ts = json.loads(resp.read())["ts"]
    for user, name in (("U0ALPHA001", "lock"), ("U0BRAVO001", "eyes")):
        req = urllib.request.Request(
            f"{root}_emulator/seed", method="POST",
            data=json.dumps({"reactions": [{"channel": "jobs", "ts": ts, "user": user,
                                            "name": name}]}).encode(),
            headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).close()
    return ts


def measure(cmd: list[str], seconds: float, clients: int, *, seed_job: bool) -> tuple[float, int]:
    proc, base_url = _start(cmd)
    try:
        ts = _post_job(base_url) if seed_job else "0000000001.000000"
        asyncio.run(_load(base_url, 1.0, clients, ts))  # warm-up
        start = time.monotonic()
        done, errors = asyncio.run(_load(base_url, seconds, clients, ts))
        elapsed = time.monotonic() - start
    finally:
        _stop(proc)
    return done / elapsed, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args(argv)
    emulator_cmd = [sys.executable, "-m", "slackmq_core.emulator", "--rate-limits", "off"]
    baseline_cmd = [sys.executable, "-c", _BASELINE]
    base_rate, _ = measure(baseline_cmd, args.seconds, args.clients, seed_job=False)
    emu_rate, errors = measure(emulator_cmd, args.seconds, args.clients, seed_job=True)
    print(f"baseline (bare aiohttp, fixed JSON): {base_rate:8.0f} calls/s")
    print(f"emulator (auth.test + reactions.get): {emu_rate:8.0f} calls/s  "
          f"({emu_rate / base_rate:.2f} x baseline, {errors} errors, {args.clients} clients, "
          f"{args.seconds:g} s)")
    print("goal >= 2000 calls/s:", "met" if emu_rate >= 2000 else "NOT met")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
