"""Small pure helpers for the backend: ts strings, cursors, message views.

ts strings are ``"<10-digit seconds>.<6-digit micros>"``; fixed width, so comparing the strings
compares the times. Cursors are opaque base64 of ``next_ts:<ts>`` or ``next_off:<n>``, like Slack's.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from .exceptions import InvalidCursor

_TS = re.compile(r"^(\d{1,10})(?:\.(\d{1,6}))?$")


def format_ts(micros: int) -> str:
    return f"{micros // 1_000_000:010d}.{micros % 1_000_000:06d}"


def parse_ts(value: Any) -> str | None:
    """The canonical ts for ``value`` (``"12.5"`` -> ``"0000000012.500000"``), or None if malformed."""
    if value is None:
        return None
    m = _TS.match(str(value).strip())
    if not m:
        return None
    return f"{int(m.group(1)):010d}.{(m.group(2) or '').ljust(6, '0')}"


def ts_micros(ts: str) -> int:
    sec, _, frac = ts.partition(".")
    return int(sec) * 1_000_000 + int(frac or 0)


def make_cursor(kind: str, value: str | int) -> str:
    return base64.b64encode(f"next_{kind}:{value}".encode()).decode()


def read_cursor(cursor: Any, kind: str) -> str | None:
    """The value inside a cursor we issued, None for no cursor; ``invalid_cursor`` otherwise."""
    if cursor in (None, ""):
        return None
    try:
        text = base64.b64decode(str(cursor), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor() from None
    prefix = f"next_{kind}:"
    if not text.startswith(prefix):
        raise InvalidCursor()
    value = text[len(prefix):]
    if kind == "ts" and parse_ts(value) is None:
        raise InvalidCursor()
    if kind == "off" and not value.isdigit():
        raise InvalidCursor()
    return value


def truthy(value: Any) -> bool:
    """Slack's reading of boolean arguments: 1/true/yes (any case) are true."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def int_arg(value: Any, default: int) -> int | None:
    """An integer argument, ``default`` when absent, None when not an integer."""
    if value in (None, ""):
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def permalink(domain: str, channel: str, ts: str) -> str:
    return f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
