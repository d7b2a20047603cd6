"""The audit log: one JSON line per operator action (who, what, which message, result).

Default file: ``platformdirs.user_state_dir("slackmq")/audit.jsonl``, created 0600 in a 0700
directory on first write (nothing happens on import or construction). Each record is written with
a single ``O_APPEND`` write, so several processes (the console, cron's ``slackmq reap``) can share
the file. Every line passes :func:`~slackmq_core._logging.redact` first, so a token given by mistake
(in a detail, a channel name...) is never stored.

A record::

    {"time": "2026-08-14T10:00:00.123456+00:00", "actor": "olga@ops-1 as U0CONSOLE (console)",
     "action": "force-unack", "channel": "C0JOBS0001", "ts": "1712345678.000100",
     "result": "ok", "detail": {...}, "host": "ops-1", "pid": 4242}
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slackmq_core._logging import redact

__all__ = ["AuditLog", "default_audit_path", "jsonable"]


def default_audit_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir("slackmq")) / "audit.jsonl"


def jsonable(value: Any) -> Any:
    """JSON-ready form of the core's values (dataclasses, enums, tuples, paths)."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)   # Secret renders as "xoxb-…(hidden)", Path as its text


class AuditLog:
    """Append-only JSONL record of what operators did. Thread-safe; never stores a token."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_audit_path()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AuditLog({str(self.path)!r})"

    def record(self, *, actor: str, action: str, channel: str, ts: str | None, result: str,
               detail: Any = None) -> None:
        """Append one line. ``result`` is a short word (``ok``, ``held``, ``error:missing_scope``...)."""
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="microseconds"),
            "actor": actor, "action": action, "channel": channel, "ts": ts,
            "result": jsonable(result), "detail": jsonable(detail),
            "host": socket.gethostname(), "pid": os.getpid(),
        }
        line = redact(json.dumps(entry, ensure_ascii=False, separators=(",", ":"))) + "\n"
        data = line.encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every record, oldest first (a missing file has none; a torn line is skipped)."""
        try:
            f = self.path.open(encoding="utf-8")
        except FileNotFoundError:
            return
        with f:
            for line in f:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue

    def tail(self, n: int = 20) -> list[dict[str, Any]]:
        """The last ``n`` records, oldest first."""
        from collections import deque

        return list(deque(self.entries(), maxlen=n))
