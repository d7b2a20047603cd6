"""slackmq_core: message locking on Slack, done right.

The public API is re-exported here; everything else lives in private modules.
"""

from slackmq_core._client import AsyncLockClient, LockClient, RetryPolicy
from slackmq_core._dropin import slackmq
from slackmq_core._events import apply_event, lock_from_message, next_change, restate
from slackmq_core._exceptions import (
    AlreadyDone,
    AuthError,
    ChannelNotFound,
    ConfigError,
    HolderLost,
    InputError,
    LeaseExpired,
    LockError,
    LockHeld,
    MessageNotFound,
    MissingScope,
    NotOwner,
    RateLimited,
    ReadOnlyError,
    SlackAPIError,
    SlackMQError,
    TransportError,
    WrongTokenType,
)
from slackmq_core._logging import setup_logging
from slackmq_core._model import (
    ChannelInfo,
    ChannelPage,
    ChannelSummary,
    ForceReleasePlan,
    ForceReleaseReport,
    Holder,
    Identity,
    Lease,
    LockResult,
    LockState,
    Mark,
    MarkFailure,
    MessageLock,
    Outcome,
    Primitive,
    ReapReport,
)
from slackmq_core._slack import make_async_client, make_client, resolve_base_url
from slackmq_core._strategy import LockOptions, Strategy
from slackmq_core.audit import AuditLog
from slackmq_core.config import Profile, Secret, config_path, load_profile, parse_duration
from slackmq_core.watch import ChannelEvent, Watcher, WatchStatus
from slackmq_core.worker import Job, Worker, WorkerStats

__version__ = "0.2.0"

__all__ = sorted([
    "AlreadyDone", "AsyncLockClient", "AuthError", "ChannelInfo", "ChannelNotFound", "ChannelPage",
    "ChannelSummary", "ConfigError", "ForceReleasePlan", "ForceReleaseReport", "Holder", "HolderLost",
    "Identity", "InputError", "Lease", "LeaseExpired", "LockClient", "LockError", "LockHeld",
    "LockOptions", "LockResult", "LockState", "Mark", "MarkFailure", "MessageLock", "MessageNotFound",
    "MissingScope", "NotOwner", "Outcome", "Primitive", "RateLimited", "ReadOnlyError", "ReapReport",
    "RetryPolicy", "SlackAPIError", "SlackMQError", "Strategy", "TransportError", "WrongTokenType",
    "__version__", "make_async_client", "make_client", "resolve_base_url", "slackmq",
    "AuditLog", "Profile", "Secret", "config_path", "load_profile", "parse_duration",
    "setup_logging",
    "ChannelEvent", "Job", "WatchStatus", "Watcher", "Worker", "WorkerStats",
    "apply_event", "lock_from_message", "next_change", "restate",
])
