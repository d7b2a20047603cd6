"""Logging for slackmq: one file under platformdirs' log dir, and no token ever written to it.

Nothing happens on import. The entry point (the `slackmq` command, or a script) calls
:func:`setup_logging` once; it attaches a rotating file handler to the root logger, so the records
of ``slackmq_core``, ``slackmq_tui`` and ``slack_sdk`` all land in ``slackmq.log``. The level comes
from the argument, else ``$SLACKMQ_LOG_LEVEL`` (``debug``, ``info``, ``warning``...), else ``info``.

Every record passes :class:`RedactTokens` first: anything shaped like a Slack token (``xoxb-…``,
``xoxp-…``, ``xoxa-…``, ``xoxr-…``, ``xoxe…``, ``xapp-…``) is replaced by its prefix and ``…(hidden)``
in the message, its arguments, the traceback and the stack. :func:`redact` is the same rule for any
other text (the audit log uses it).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from collections.abc import Mapping
from pathlib import Path

__all__ = ["RedactTokens", "redact", "setup_logging", "default_log_dir", "LOG_FILE_NAME"]

LOG_FILE_NAME = "slackmq.log"

#: Slack token shapes: legacy and granular bot/user/workspace/refresh tokens, rotating tokens
#: (``xoxe.xoxp-…``, ``xoxe-…``) and app-level tokens. The tail is everything token-ish after it.
_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9])((?:xoxe\.)?xox[abpre]|xapp)-[A-Za-z0-9\-_.~+/=%]+")

_VALID_LEVELS = ("debug", "info", "warning", "error", "critical")

#: The handler installed by the last setup_logging() call (replaced, not stacked, on the next one).
_installed: logging.Handler | None = None


def redact(text: str) -> str:
    """``text`` with every token-shaped substring replaced by ``<prefix>-…(hidden)``."""
    if "xox" not in text and "xapp" not in text:
        return text
    return _TOKEN_RE.sub(lambda m: f"{m.group(1)}-…(hidden)", text)


class RedactTokens(logging.Filter):
    """Rewrites each record so that no token-shaped text survives into any handler's output."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw text, still redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def default_log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir("slackmq"))


def _level(level: str | int | None, env: Mapping[str, str]) -> int:
    from slackmq_core._exceptions import ConfigError

    if isinstance(level, int):
        return level
    raw = level if level is not None else env.get("SLACKMQ_LOG_LEVEL", "") or "info"
    value = logging.getLevelName(raw.strip().upper())
    if not isinstance(value, int) or raw.strip().lower() not in _VALID_LEVELS:
        source = "log level" if level is not None else "SLACKMQ_LOG_LEVEL"
        raise ConfigError(f"invalid {source} {raw!r}: use one of {', '.join(_VALID_LEVELS)}")
    return value


def setup_logging(level: str | int | None = None, *, log_dir: Path | None = None,
                  env: Mapping[str, str] = os.environ) -> Path | None:
    """Send log records to ``<log_dir>/slackmq.log`` (created 0700 / 0600), tokens redacted.

    Returns the log file's path, or None when the directory cannot be created (logging then goes
    nowhere rather than failing the command). Calling it again replaces the previous handler.
    Raises ConfigError for an unknown ``SLACKMQ_LOG_LEVEL``.
    """
    global _installed
    lvl = _level(level, env)
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
        _installed.close()
        _installed = None
    directory = log_dir or default_log_dir()
    path = directory / LOG_FILE_NAME
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8", delay=True)
    except OSError:
        handler, path = logging.NullHandler(), None
    handler.addFilter(RedactTokens())
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)-7s %(name)s [%(process)d]: %(message)s"))
    handler.setLevel(lvl)
    root.addHandler(handler)
    # The root's level gates every logger without its own; never raise it above what others set.
    if root.level == logging.NOTSET or root.level > lvl or root.level == logging.WARNING:
        root.setLevel(lvl)
    _installed = handler
    return path
