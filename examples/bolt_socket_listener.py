"""A slack_bolt app in Socket Mode that uses slackmq_core to make sure only one copy answers.

Bolt delivers each event to one of the app's sockets, but several *apps* (or several installs of the
same bot under different bot users) sharing a channel all receive it. Each listener here takes the
message's lock before acting on it: whoever loses gets ``held`` (or ``done``) back and stays quiet.

    export SLACK_BOT_TOKEN=xoxb-... SLACK_APP_TOKEN=xapp-...
    python examples/bolt_socket_listener.py

Against the local emulator: set ``SLACKMQ_API_URL=http://127.0.0.1:8765/api/`` and the emulator's
tokens (``xoxb-emu-alpha`` / ``xapp-emu-alpha``); the WebClient built by ``make_client`` sends every
call there, including Socket Mode's ``apps.connections.open``.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import sys

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from slackmq_core import LockClient, LockOptions, Outcome, make_client

log = logging.getLogger("bolt-example")


def build_app(bot_token: str, options: LockOptions | None = None) -> App:
    client = make_client(bot_token)                 # honours SLACKMQ_API_URL
    app = App(client=client)
    lock = LockClient(client, options or LockOptions())

    @app.message(re.compile(r"\bhostname\b", re.IGNORECASE))
    def on_hostname(message: dict, say) -> None:
        channel, ts = message["channel"], message["ts"]
        if message.get("thread_ts") not in (None, ts):
            return                                  # replies in threads are not jobs
        result = lock.acquire(channel, ts)
        if result.outcome is not Outcome.ACQUIRED:  # held by another bot, already done, or an error
            log.info("not mine: %s %s (%s)", ts, result.outcome.value, result.error or "")
            return
        try:
            say(text=f"Hello from {socket.gethostname()} (pid {os.getpid()}).", thread_ts=ts)
        except Exception as exc:
            lock.fail(channel, ts, reason=f"{type(exc).__name__}: {exc}")
            raise
        lock.complete(channel, ts)

    return app


def main() -> int:
    logging.basicConfig(level=os.environ.get("SLACKMQ_LOG_LEVEL", "WARNING"))
    bot_token, app_token = os.environ.get("SLACK_BOT_TOKEN"), os.environ.get("SLACK_APP_TOKEN")
    if not bot_token or not app_token:
        print("error: set SLACK_BOT_TOKEN (xoxb-...) and SLACK_APP_TOKEN (xapp-...)", file=sys.stderr)
        return 2
    handler = SocketModeHandler(build_app(bot_token), app_token)

    def on_term(signum, frame):                     # SIGTERM: close the socket and leave
        handler.close()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    handler.start()                                 # blocks until a signal
    return 0


if __name__ == "__main__":
    sys.exit(main())
