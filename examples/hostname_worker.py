"""The worker bot from slackmq 0.1.2's README, on slackmq_core's worker runtime.

The original registered a slackbot handler for a word in the channel; the handler pinned the message
(``ack``), answered with the machine's hostname, and unpinned it again. Every bot in the channel got the
message, and the pin made sure only one of them answered. Here the same idea runs on ``Worker``: the
lock is taken and released by the core (pin + ``:lock:`` reaction by default), the message is marked
done instead of merely unpinned (so no bot ever answers it twice), a crash marks it failed, and
SIGTERM hands an unfinished message back to the other bots.

Run one or more copies (each is a "bot"); then post ``hostname`` in the channel::

    export SLACK_BOT_TOKEN=xoxb-...           # needs pins:write, reactions:write, channels:history ...
    export SLACK_APP_TOKEN=xapp-...           # optional: Socket Mode; without it the bot polls
    python examples/hostname_worker.py --channel jobs

Against the local emulator (no Slack workspace needed)::

    slackmq emulator --port 8765 &
    SLACKMQ_API_URL=http://127.0.0.1:8765/api/ SLACK_BOT_TOKEN=xoxb-emu-alpha \\
        SLACK_APP_TOKEN=xapp-emu-alpha python examples/hostname_worker.py
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import socket
import sys
from collections.abc import Callable

from slackmq_core import Job, LockOptions, SlackMQError, Worker, make_client

Reply = Callable[[str], None]


class Bot:
    """A tiny slackbot-style registry: ``@bot.listen_to(regex)`` handlers, run by one Worker."""

    def __init__(self) -> None:
        self.routes: list[tuple[re.Pattern, Callable[[Job, Reply], None]]] = []

    def listen_to(self, pattern: str, flags: int = re.IGNORECASE):
        def register(fn: Callable[[Job, Reply], None]):
            self.routes.append((re.compile(pattern, flags), fn))
            return fn
        return register

    def wants(self, message: dict) -> bool:
        text = message.get("text") or ""
        return any(rx.search(text) for rx, _ in self.routes)

    def run(self, token: str, channel: str, *, app_token: str | None, options: LockOptions) -> int:
        web = make_client(token)        # honours SLACKMQ_API_URL, like every client the core builds

        def handle(job: Job) -> None:   # runs in its own thread; raising marks the message failed
            def reply(text: str) -> None:
                web.chat_postMessage(channel=job.channel, thread_ts=job.ts, text=text)
            for rx, fn in self.routes:
                if rx.search(job.text):
                    fn(job, reply)
                    return

        worker = Worker(token, channel, handle, options, app_token=app_token, filter=self.wants)
        stats = worker.serve()          # until SIGTERM / Ctrl-C
        print(f"stopped: {stats}", file=sys.stderr)
        return 0


bot = Bot()


@bot.listen_to(r"\bhostname\b")
def hostname(job: Job, reply: Reply) -> None:
    reply(f"Hello from {socket.gethostname()} (pid {os.getpid()}, worker {job.worker_id}).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channel", default="jobs", help="channel name or id (default: jobs)")
    parser.add_argument("--strategy", default="pin+reaction", help="lock strategy (default: pin+reaction)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("SLACKMQ_LOG_LEVEL", "WARNING"))
    token = os.environ.get("SLACK_BOT_TOKEN", "")
    if not token:
        print("error: set SLACK_BOT_TOKEN to a bot token (xoxb-...)", file=sys.stderr)
        return 2
    try:
        return bot.run(token, args.channel, app_token=os.environ.get("SLACK_APP_TOKEN") or None,
                       options=LockOptions(strategy=args.strategy))
    except SlackMQError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
