"""Configuration: profiles in a TOML file, tokens from the environment, a helper command or the file.

The file is ``platformdirs.user_config_dir("slackmq")/config.toml`` unless ``$SLACKMQ_CONFIG`` names
another; nothing is read until :func:`load_profile` is called. Shape::

    default_profile = "work"          # optional; else "default", else the only profile
    [profiles.work]
    workspace = "Acme"                # a label for the status bar
    api_url = "https://slack.com/api/"
    channels = ["jobs", "#builds"]
    strategy = "pin+reaction"
    reaction = "lock"                 # also done_reaction, failed_reaction
    stale_ttl = "15m"                 # seconds, or 900s / 15m / 1h30m / 1d
    read_only = false
    token_command = "pass show slack/work"   # prints one token per line (xoxb- / xoxp- / xapp-)
    bot_token = "xoxb-…"              # only if the file is private to you (chmod 600)

Tokens, first found wins: ``$SLACK_BOT_TOKEN`` / ``$SLACK_APP_TOKEN`` / ``$SLACK_USER_TOKEN``
(slack_bolt's names), then ``token_command`` (run like a git credential helper: its output is never
shown, a non-zero exit is refused), then ``bot_token`` / ``app_token`` / ``user_token`` in the file,
which is refused while the file is readable by group or others (the fix is ``chmod 600 PATH``, as
ssh says). ``$SLACKMQ_API_URL`` overrides ``api_url``; ``$SLACKMQ_PROFILE`` picks the profile when no
name is given.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slackmq_core._exceptions import ConfigError, InputError
from slackmq_core._tokens import Secret, checked_secret, run_token_command

__all__ = ["Profile", "Secret", "load_profile", "config_path", "parse_duration", "CONFIG_TEMPLATE",
           "TOKEN_ENV"]

#: Token field -> environment variable (slack_bolt's names).
TOKEN_ENV = {"bot_token": "SLACK_BOT_TOKEN", "app_token": "SLACK_APP_TOKEN",
             "user_token": "SLACK_USER_TOKEN"}


@dataclass(frozen=True)
class Profile:
    """One named set of settings. Build it with :func:`load_profile`; tokens are :class:`Secret`."""

    name: str = "default"
    workspace: str = ""
    api_url: str | None = None
    channels: tuple[str, ...] = ("jobs",)
    strategy: str = "pin+reaction"
    reaction: str = "lock"
    done_reaction: str = "white_check_mark"
    failed_reaction: str = "x"
    stale_ttl: float = 900.0
    read_only: bool = False
    bot_token: Secret | None = None
    app_token: Secret | None = None
    user_token: Secret | None = None
    lease_seconds: float = 60.0
    claim_note: bool = False
    single_user: bool = False
    clear_done: bool = False
    #: the file this profile came from (None when built from defaults and the environment)
    config_file: Path | None = None

    def lock_options(self):
        """The core's LockOptions for this profile (raises InputError for a bad strategy)."""
        from slackmq_core._strategy import LockOptions, Strategy

        return LockOptions(strategy=Strategy.parse(self.strategy), reaction=self.reaction,
                           done_reaction=self.done_reaction, failed_reaction=self.failed_reaction,
                           stale_after=self.stale_ttl, lease_seconds=self.lease_seconds,
                           claim_note=self.claim_note, read_only=self.read_only,
                           single_user=self.single_user, clear_done=self.clear_done)


# --- durations ---------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_UNIT = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(value: str | int | float, *, what: str = "duration") -> float:
    """Seconds from ``900``, ``"900"``, ``"900s"``, ``"15m"``, ``"1h30m"`` or ``"1d"``.

    Raises InputError naming the value and the accepted forms.
    """
    if isinstance(value, bool):
        _bad_duration(value, what)
    if isinstance(value, int | float):
        if value < 0 or not math.isfinite(value):
            _bad_duration(value, what)
        return float(value)
    text = str(value).strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    pos, total = 0, 0.0
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        return _bad_duration(value, what)
    return total


def _bad_duration(value: object, what: str) -> float:
    raise InputError(f"invalid {what} {value!r}: use seconds or a form like 15m, 900s, 1h30m")


# --- the file ------------------------------------------------------------------------------------

def config_path(env: Mapping[str, str] = os.environ) -> Path:
    """Where the config file is (``$SLACKMQ_CONFIG`` or the platform's config dir); reads nothing."""
    explicit = env.get("SLACKMQ_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("slackmq")) / "config.toml"


#: key -> (type check, description) for [profiles.NAME] tables.
_PROFILE_KEYS: dict[str, str] = {
    "workspace": "a string", "api_url": "an http(s) URL", "channels": "a list of channel names",
    "strategy": "a strategy name", "reaction": "an emoji name", "done_reaction": "an emoji name",
    "failed_reaction": "an emoji name", "stale_ttl": "a duration", "read_only": "true or false",
    "lease_seconds": "a duration", "claim_note": "true or false", "single_user": "true or false",
    "clear_done": "true or false",
    "token_command": "a command (string or list)", "bot_token": "a token", "app_token": "a token",
    "user_token": "a token",
}
_TOP_KEYS = ("default_profile", "profiles")


def _read_file(path: Path) -> tuple[dict[str, Any], str] | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(f"cannot read config {path}: it is a directory") from None
    except PermissionError:
        raise ConfigError(f"cannot read config {path}: permission denied") from None
    except OSError as e:
        raise ConfigError(f"cannot read config {path}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
        return tomllib.loads(text), text
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read config {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", msg) or re.search(
            r"\s*\(at end of document\)$", msg)
        where = ""
        if m and m.groups():
            where = f" line {m.group(1)}, column {m.group(2)}"
        elif m:
            where = f" line {text.count(chr(10)) + 1}"
        detail = msg[: m.start()] if m else msg
        raise ConfigError(f"malformed TOML in {path}{where}: {detail}") from None


def _line_of(text: str, key: str) -> str:
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return f" line {n}"
    return ""


def _check_private(path: Path, *, what: str = "holds tokens", mask: int = 0o077) -> None:
    """ssh's rule for files that hold secrets (or run commands): yours, closed to others."""
    if os.name != "posix":
        return
    st = path.stat()
    mode = stat.S_IMODE(st.st_mode)
    if mode & mask:
        raise ConfigError(f"{path} {what} but is open to group or others (mode {mode:04o}); "
                          f"run: chmod 600 {shlex.quote(str(path))}")
    if st.st_uid != os.getuid():
        raise ConfigError(f"{path} {what} but belongs to another user (uid {st.st_uid}); "
                          f"it must be yours and private (chmod 600)")


def _profile_table(data: dict[str, Any], text: str, path: Path, name: str | None,
                   env: Mapping[str, str]) -> tuple[str, dict[str, Any] | None]:
    for key in data:
        if key not in _TOP_KEYS:
            raise ConfigError(f"unknown key {key!r} in {path}{_line_of(text, key)}; valid top-level "
                              f"keys: {', '.join(_TOP_KEYS)} (profile settings go in [profiles.NAME])")
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise ConfigError(f"'profiles' in {path} must be tables: [profiles.NAME]")
    chosen = name or env.get("SLACKMQ_PROFILE") or None
    explicit = chosen is not None
    if chosen is None:
        default = data.get("default_profile")
        if default is not None and not isinstance(default, str):
            raise ConfigError(f"default_profile in {path} must be a profile name (a string)")
        chosen = default or ("default" if "default" in profiles or len(profiles) != 1
                             else next(iter(profiles)))
        explicit = default is not None
    if chosen in profiles:
        return chosen, profiles[chosen]
    if explicit or profiles:
        valid = ", ".join(sorted(profiles)) or "none defined"
        raise ConfigError(f"unknown profile {chosen!r} in {path}; profiles: {valid}")
    return chosen, None


def _convert(key: str, value: Any, where: str) -> Any:
    def bad() -> ConfigError:
        return ConfigError(f"{where}: {key} must be {_PROFILE_KEYS[key]}, not {value!r}")

    if key in ("read_only", "claim_note", "single_user", "clear_done"):
        if not isinstance(value, bool):
            raise bad()
        return value
    if key in ("stale_ttl", "lease_seconds"):
        try:
            seconds = parse_duration(value, what=key)
        except InputError as e:
            raise ConfigError(f"{where}: {e}") from None
        if seconds <= 0:
            raise ConfigError(f"{where}: {key} must be more than 0 seconds, not {value!r}")
        return seconds
    if key == "channels":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(
                isinstance(c, str) and c.strip("# ") for c in value):
            raise bad()
        return tuple(c.strip() for c in value)
    if key == "token_command":
        if isinstance(value, list) and value and all(isinstance(p, str) for p in value):
            return value
        if isinstance(value, str) and value.strip():
            return value
        raise bad()
    if key in TOKEN_ENV:  # never put the value in a message
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: {key} must be a token string")
        return value
    if not isinstance(value, str):
        raise bad()
    if key == "api_url":
        return _check_url(value, where)
    return value


def _check_url(url: str, where: str) -> str:
    if not re.match(r"https?://[^/\s]+", url):
        raise ConfigError(f"{where}: api_url {url!r} is not an http(s) URL "
                          f"(for example https://slack.com/api/)")
    return url if url.endswith("/") else url + "/"


def load_profile(name: str | None = None, *, path: Path | None = None,
                 env: Mapping[str, str] = os.environ) -> Profile:
    """Read the config file (if any) and the environment into a :class:`Profile`.

    ``name`` > ``$SLACKMQ_PROFILE`` > the file's ``default_profile`` > ``default`` (or the file's
    only profile). A missing file is fine (defaults + environment) unless a profile was named.
    Every problem is a ConfigError naming the file, the line or key, and what would be valid.
    """
    path = path or config_path(env)
    loaded = _read_file(path)
    data, text = loaded if loaded else ({}, "")
    if loaded is None and (name or env.get("SLACKMQ_PROFILE")):
        chosen = name or env.get("SLACKMQ_PROFILE")
        raise ConfigError(f"unknown profile {chosen!r}: there is no config file at {path} "
                          f"(create one with: slackmq config init)")
    chosen, table = _profile_table(data, text, path, name, env)
    table = table or {}
    where = f"{path} [profiles.{chosen}]"
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _PROFILE_KEYS:
            raise ConfigError(f"unknown key {key!r} in {where}{_line_of(text, key)}; valid keys: "
                              f"{', '.join(sorted(_PROFILE_KEYS))}")
        values[key] = _convert(key, value, where)
    api_env = env.get("SLACKMQ_API_URL")
    if api_env:
        values["api_url"] = _check_url(api_env, "SLACKMQ_API_URL")
    file_tokens = {k: values.pop(k) for k in TOKEN_ENV if k in values}
    command = values.pop("token_command", None)
    try:  # the core's own rules: strategy name, emoji names, reactions that differ
        options = Profile(**values).lock_options()
    except InputError as e:
        raise ConfigError(f"{where}: {e}") from None
    if "strategy" in values:
        values["strategy"] = str(options.strategy)
    if file_tokens:
        _check_private(path)
    elif command is not None:
        _check_private(path, what="has a token_command", mask=0o022)
    tokens: dict[str, Secret] = {}
    for field, var in TOKEN_ENV.items():
        if env.get(var):
            tokens[field] = checked_secret(field, env[var], f"env {var}")
    if command is not None and len(tokens) < len(TOKEN_ENV):
        for field, value in run_token_command(command, chosen).items():
            if field not in tokens:
                tokens[field] = Secret(value, source="token_command")
    for field, value in file_tokens.items():
        if field not in tokens:
            tokens[field] = checked_secret(field, value, f"{field} in {path}")
    return Profile(name=chosen, config_file=path if loaded else None, **values, **tokens)


def describe_token(secret: Secret | None) -> str:
    """What `config show` prints for a token: never the value."""
    return "not set" if secret is None else f"set (from {secret.source})"


CONFIG_TEMPLATE = """\
# SlackMQ configuration. Keep this file private: chmod 600 (slackmq refuses tokens in it otherwise).
# Pick a profile with `slackmq --profile NAME ...` or SLACKMQ_PROFILE=NAME.
default_profile = "default"

[profiles.default]
# A label shown in the console's status bar.
workspace = ""
# Slack's Web API; point it at the emulator with api_url = "http://127.0.0.1:PORT/api/"
# (SLACKMQ_API_URL overrides it).
api_url = "https://slack.com/api/"
# Channels to watch, by name or id.
channels = ["jobs"]
# pin | pin+reaction | pin+star | pin+star+reaction | claim
strategy = "pin+reaction"
reaction = "lock"
done_reaction = "white_check_mark"
failed_reaction = "x"
# A lock older than this with no live lease is stale: 900, "900s", "15m", "1h30m".
stale_ttl = "15m"
# true hides and refuses every action that changes Slack.
read_only = false
# true: every worker locks as this one bot user; acquire then skips its check read.
single_user = false
# true: complete also removes the lock reaction and star (by default they stay as the record).
clear_done = false

# Tokens. Best: the environment (SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_USER_TOKEN).
# Or a helper command that prints them, one per line (its output is never shown):
# token_command = "pass show slack/slackmq"
# Or here, while this file stays private (chmod 600):
# bot_token = "xoxb-..."
# app_token = "xapp-..."
# user_token = "xoxp-..."
"""


def write_template(path: Path, *, force: bool = False) -> Path:
    """Write :data:`CONFIG_TEMPLATE` to ``path`` with mode 0600; refuse to overwrite unless forced."""
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; pass --force to overwrite it")
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(CONFIG_TEMPLATE)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as e:
        raise ConfigError(f"cannot write {path}: {e.strerror or e}") from None
    return path

