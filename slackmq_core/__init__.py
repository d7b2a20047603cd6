"""slackmq_core: message locking on Slack, done right.

The public API is re-exported here; everything else lives in private modules.
"""

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
from slackmq_core.audit import AuditLog
from slackmq_core.config import Profile, Secret, config_path, load_profile, parse_duration

__version__ = "0.2.0"

__all__ = sorted([
    "AlreadyDone", "AuthError", "ChannelInfo", "ChannelNotFound", "ChannelSummary", "ConfigError",
    "ForceReleasePlan", "ForceReleaseReport", "Holder", "HolderLost", "Identity", "InputError",
    "Lease", "LeaseExpired", "LockError", "LockHeld", "LockResult", "LockState", "Mark",
    "MarkFailure", "MessageLock", "MessageNotFound", "MissingScope", "NotOwner", "Outcome",
    "Primitive", "RateLimited", "ReadOnlyError", "ReapReport", "SlackAPIError", "SlackMQError",
    "TransportError", "WrongTokenType", "__version__",
    "AuditLog", "Profile", "Secret", "config_path", "load_profile", "parse_duration",
    "setup_logging",
])
