"""Every error slackmq_core raises, in one tree.

::

    SlackMQError                      root: the console and the CLI catch only this
    ├── ConfigError                   bad config file, profile, or option value (names the value)
    ├── InputError                    a bad channel name, ts, strategy, duration... (names the value)
    ├── LockError                     the lock protocol said no
    │   ├── LockHeld                  someone else holds the message (.holder)
    │   ├── NotOwner                  release / heartbeat by a caller that does not hold it
    │   ├── AlreadyDone               the message was completed already
    │   ├── LeaseExpired / HolderLost the lease ran out, or our marks vanished while we held them
    │   └── ReadOnlyError             a mutating call on a read-only client
    ├── SlackAPIError                 Slack answered ok:false (.error is Slack's code)
    │   ├── AuthError                 not_authed, invalid_auth, token_revoked, account_inactive...
    │   ├── MissingScope              missing_scope (.needed, .provided)
    │   ├── WrongTokenType            not_allowed_token_type (e.g. stars with a bot token)
    │   ├── ChannelNotFound           channel_not_found / not_in_channel
    │   ├── MessageNotFound           message_not_found / bad_timestamp / thread_not_found
    │   └── RateLimited               HTTP 429 that outlived our retries (.retry_after)
    └── TransportError                the API could not be reached, timed out, or sent non-JSON

Every message is one line, names the bad value and says what would be valid or what to do. No
message ever contains a token.
"""

from __future__ import annotations

__all__ = [
    "SlackMQError",
    "ConfigError",
    "InputError",
    "LockError",
    "LockHeld",
    "NotOwner",
    "AlreadyDone",
    "HolderLost",
    "LeaseExpired",
    "ReadOnlyError",
    "SlackAPIError",
    "AuthError",
    "MissingScope",
    "WrongTokenType",
    "ChannelNotFound",
    "MessageNotFound",
    "RateLimited",
    "TransportError",
]


class SlackMQError(Exception):
    """Root of every slackmq error."""

    #: A one-line hint for operators ("add pins:write to the app and reinstall it").
    advice: str = ""
    #: Set by the drivers when an earlier attempt of the same write failed in a way that may have
    #: taken effect (a 5xx, a timeout, a lost answer): the protocol then settles it by reading state.
    after_ambiguous: bool = False


class ConfigError(SlackMQError):
    """A config file, profile or setting is unusable."""


class InputError(SlackMQError):
    """A value given by the user is malformed (channel, ts, duration, strategy...)."""


class LockError(SlackMQError):
    """The lock protocol refused."""


class LockHeld(LockError):
    def __init__(self, message: str, holder: object | None = None) -> None:
        super().__init__(message)
        self.holder = holder


class NotOwner(LockError):
    pass


class AlreadyDone(LockError):
    pass


class HolderLost(LockError):
    pass


class LeaseExpired(HolderLost):
    pass


class ReadOnlyError(LockError):
    pass


class SlackAPIError(SlackMQError):
    """Slack answered ``ok: false``; ``error`` is Slack's own code, ``method`` the API method."""

    def __init__(self, message: str, *, error: str, method: str = "", status: int = 200,
                 needed: str | None = None, provided: str | None = None,
                 retry_after: float | None = None, advice: str = "") -> None:
        super().__init__(message)
        self.error = error
        self.method = method
        self.status = status
        self.needed = needed
        self.provided = provided
        self.retry_after = retry_after
        self.advice = advice


class AuthError(SlackAPIError):
    pass


class MissingScope(SlackAPIError):
    pass


class WrongTokenType(SlackAPIError):
    pass


class ChannelNotFound(SlackAPIError):
    pass


class MessageNotFound(SlackAPIError):
    pass


class RateLimited(SlackAPIError):
    pass


class TransportError(SlackMQError):
    """The Slack API could not be reached or answered something that is not Slack JSON."""
