"""Tokens: the :class:`Secret` wrapper, Slack's prefixes, and the ``token_command`` helper runner.

A token never leaves a :class:`Secret` except through ``reveal()``; no message built here contains
one (a helper's output is never echoed, a wrong token is described by its prefix only).
"""

from __future__ import annotations

import hmac
import subprocess

from slackmq_core._exceptions import ConfigError

__all__ = ["Secret", "token_kind", "checked_secret", "run_token_command", "TOKEN_PREFIXES"]

TOKEN_PREFIXES = {"bot": "xoxb-", "user": "xoxp-", "app": "xapp-"}
_PREFIXES = TOKEN_PREFIXES
_KIND_FIELD = {"bot": "bot_token", "app": "app_token", "user": "user_token"}
_TOKEN_COMMAND_TIMEOUT = 30.0


class Secret:
    """A token that does not show itself: ``str()`` and ``repr()`` give ``xoxb-…(hidden)``.

    ``reveal()`` is the only way to the value; ``source`` says where it came from
    (``env SLACK_BOT_TOKEN``, ``token_command``, ``config file``).
    """

    __slots__ = ("_value", "source")

    def __init__(self, value: str, *, source: str = "") -> None:
        self._value = value
        self.source = source

    def reveal(self) -> str:
        return self._value

    @property
    def kind(self) -> str:
        """``bot``, ``user``, ``app`` or ``unknown``, from Slack's prefix."""
        return token_kind(self._value)

    def __str__(self) -> str:
        kind = self.kind
        return f"{_PREFIXES[kind]}…(hidden)" if kind in _PREFIXES else "…(hidden)"

    def __repr__(self) -> str:
        return f"Secret({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self):  # pickling would write the value out; nothing here needs it
        raise TypeError("a Secret cannot be pickled")


def token_kind(token: str) -> str:
    body = token.removeprefix("xoxe.")
    for kind, prefix in _PREFIXES.items():
        if body.startswith(prefix):
            return kind
    return "unknown"


def run_token_command(command: str | list[str], profile: str) -> dict[str, str]:
    """Run the helper; map each token it prints (one per line, optionally NAME=token) by kind."""
    label = f"token_command of profile {profile!r}"
    try:
        done = subprocess.run(command, shell=isinstance(command, str), capture_output=True,
                              text=True, timeout=_TOKEN_COMMAND_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{label} did not finish within {_TOKEN_COMMAND_TIMEOUT:.0f} s") from None
    except OSError as e:
        raise ConfigError(f"{label} could not be started: {e.strerror or type(e).__name__}") from None
    if done.returncode != 0:
        hint = " (command not found)" if done.returncode == 127 else ""
        raise ConfigError(f"{label} failed with exit status {done.returncode}{hint}; its output is "
                          f"not shown (it may hold secrets): run it yourself to see why")
    found: dict[str, str] = {}
    for n, line in enumerate(done.stdout.splitlines(), 1):
        token = line.strip()
        if not token:
            continue
        if "=" in token and not token.startswith(("xox", "xapp")):
            token = token.split("=", 1)[1].strip().strip("'\"")
        kind = token_kind(token)
        if kind == "unknown":
            raise ConfigError(f"{label} printed something that is not a Slack token on line {n} "
                              f"(expected lines starting xoxb-, xoxp- or xapp-)")
        found.setdefault(_KIND_FIELD[kind], token)
    if not found:
        raise ConfigError(f"{label} printed no token (expected a line starting xoxb-, xoxp- "
                          f"or xapp-)")
    return found


def checked_secret(field: str, value: str, source: str) -> Secret:
    want = {"bot_token": "bot", "app_token": "app", "user_token": "user"}[field]
    kind = token_kind(value)
    if kind != want:
        shown = f"a {kind} token ({_PREFIXES[kind]}…)" if kind in _PREFIXES else \
            "something that is not a Slack token"
        raise ConfigError(f"{source} holds {shown}; {field.replace('_', ' ')}s start with "
                          f"{_PREFIXES[want]}")
    return Secret(value, source=source)
