"""``--state FILE``: the backend's snapshot as JSON, written atomically.

A write goes to ``FILE.tmp-<pid>`` in the same directory, is flushed and fsynced, then renamed over
``FILE`` with ``os.replace`` (atomic on POSIX and Windows), and the directory is fsynced. A
``kill -9`` at any moment therefore leaves either the previous or the new state, never a torn file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["StateError", "load_state", "save_state"]


class StateError(ValueError):
    """The state file exists but cannot be used; the message names the file and the fix."""


def save_state(path: str | os.PathLike[str], snapshot: dict[str, Any]) -> None:
    target = Path(path)
    data = json.dumps(snapshot, separators=(",", ":"), sort_keys=True).encode()
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def load_state(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The saved snapshot, or None when the file does not exist yet."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"state file {target}: cannot read ({exc.strerror})") from None
    try:
        snap = json.loads(text)
    except ValueError as exc:
        raise StateError(
            f"state file {target}: not valid JSON ({exc}); delete it or pass another --state"
        ) from None
    if not isinstance(snap, dict) or snap.get("version") != 1:
        raise StateError(f"state file {target}: not an emulator state (version 1 expected)")
    return snap
