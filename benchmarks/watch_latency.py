"""Event latency through the Watcher: how long from a message being posted to its ChannelEvent.

Socket Mode: the emulator (in a thread, rate limits off) pushes each event to two apps at once: the
Watcher (app alpha) and, as the baseline measured in the same run, a bare slack_sdk aiohttp
SocketModeClient that only acks (app bravo). Messages are posted one at a time; the ratio shows what
the Watcher adds (translation, de-duplication, its queue) on top of the SDK.

Polling: the emulator runs ``--time-scale`` times faster than the clock with real tiers, the Watcher
polls at its default share of them; latencies are reported in *Slack* seconds next to the per-channel
history interval the tier math allows (2.4 s at share 1/2), which bounds them (posts land at a random
phase of the poll cycle).

    python benchmarks/watch_latency.py [--events 200] [--polling-events 40] [--time-scale 60]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

from slackmq_core import Watcher, make_async_client
from slackmq_core._slack import make_socket_mode_client
from slackmq_core.emulator import EmulatorConfig, run_in_thread

JOBS, PUBLISHER = "C0JOBS0001", "U0PUBLSH01"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


async def socket_mode(n: int) -> tuple[list[float], list[float]]:
    with run_in_thread(EmulatorConfig(rate_limits=False)) as emu:
        watcher = Watcher(make_async_client("xoxb-emu-alpha", base_url=emu.base_url), [JOBS],
                          app_token="xapp-emu-alpha")
        base_web = make_async_client("xapp-emu-bravo", base_url=emu.base_url)
        baseline = make_socket_mode_client("xapp-emu-bravo", web_client=base_web)
        arrived: dict[str, float] = {}
        got = asyncio.Event()

        async def on_request(client, req) -> None:
            await client.send_socket_mode_response({"envelope_id": req.envelope_id})
            event = (req.payload or {}).get("event") or {}
            if event.get("type") == "message":
                arrived[event["ts"]] = time.perf_counter()
                got.set()

        baseline.socket_mode_request_listeners.append(on_request)
        await baseline.connect()
        watched, base = [], []
        async with watcher:
            await watcher.next_event(10)                       # the start resync: connected
            for i in range(n):
                got.clear()
                t0 = time.perf_counter()
                ts = await asyncio.to_thread(emu.control.post, JOBS, PUBLISHER, f"job {i}")
                while True:
                    event = await watcher.next_event(10)
                    if event is None:
                        raise SystemExit("the watcher stopped delivering")
                    if event.kind == "message" and event.ts == ts:
                        watched.append(time.perf_counter() - t0)
                        break
                while ts not in arrived:
                    await asyncio.wait_for(got.wait(), 10)
                    got.clear()
                base.append(arrived[ts] - t0)
        await baseline.close()
        return watched, base


async def polling(n: int, scale: float) -> tuple[list[float], float]:
    with run_in_thread(EmulatorConfig(time_scale=scale)) as emu:
        watcher = Watcher(make_async_client("xoxb-emu-alpha", base_url=emu.base_url), [JOBS],
                          window=60.0 / scale)
        lat = []
        async with watcher:
            await watcher.next_event(30)
            interval = watcher._source.history_every          # real seconds between history polls
            rng = random.Random(1)
            for i in range(n):
                await asyncio.sleep(rng.uniform(0, interval))  # post at a random phase of the poll cycle
                t0 = time.perf_counter()
                ts = await asyncio.to_thread(emu.control.post, JOBS, PUBLISHER, f"job {i}")
                while True:
                    event = await watcher.next_event(30)
                    if event is None:
                        raise SystemExit("the watcher stopped delivering")
                    if event.kind == "message" and event.ts == ts:
                        lat.append((time.perf_counter() - t0) * scale)
                        break
            interval *= scale
            limited = (await asyncio.to_thread(emu.control.stats))["ratelimited"]
        if limited:
            print(f"  warning: {limited} calls were rate limited")
        return lat, interval


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--polling-events", type=int, default=40)
    ap.add_argument("--time-scale", type=float, default=60.0)
    args = ap.parse_args()
    watched, base = asyncio.run(socket_mode(args.events))
    ms = lambda v: f"{v * 1000:.1f} ms"
    print(f"Socket Mode, {args.events} messages, post -> event:")
    print(f"  Watcher       p50 {ms(statistics.median(watched))}  p99 {ms(pct(watched, 0.99))}")
    print(f"  bare SDK      p50 {ms(statistics.median(base))}  p99 {ms(pct(base, 0.99))}")
    print(f"  ratio p50 {statistics.median(watched) / statistics.median(base):.2f}  "
          f"p99 {pct(watched, 0.99) / pct(base, 0.99):.2f}")
    lat, interval = asyncio.run(polling(args.polling_events, args.time_scale))
    print(f"Polling (time scale {args.time_scale:g}), {args.polling_events} messages, post -> event, "
          f"in Slack seconds:")
    print(f"  p50 {statistics.median(lat):.2f} s  p99 {pct(lat, 0.99):.2f} s  max {max(lat):.2f} s  "
          f"(history interval {interval:.2f} s)")


if __name__ == "__main__":
    main()
