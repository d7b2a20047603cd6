"""Fault injection, reproducible from one seeded ``random.Random``.

Applies to ``/api/`` calls only, never to ``/_emulator/``:

* ``latency_ms`` — every call waits this long before it is handled;
* ``error_rate`` P — with probability P the call answers HTTP 5xx **before** it takes effect;
* ``ambiguous_rate`` P — with probability P the call takes effect, then answers 5xx or the server
  drops the connection (half each): the caller cannot tell whether it happened;
* ``race_probability`` P with ``race_window_ms`` W — a duplicate pins.add / stars.add /
  reactions.add arriving within W ms of the first one also answers ok with probability P (both
  callers believe they won; the state keeps the first write: ``created_by``, order of ``users``);
* ``socket_drop_rate`` — handed to the Socket Mode hub.

Decisions are drawn in call order from the seeded RNG, so a run with the same ``--seed`` and the
same sequence of calls injects the same faults.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["FaultSettings", "Faults"]


@dataclass
class FaultSettings:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    ambiguous_rate: float = 0.0
    race_probability: float = 0.0
    race_window_ms: float = 0.0
    socket_drop_rate: float = 0.0

    def validate(self) -> None:
        for name in ("error_rate", "ambiguous_rate", "race_probability", "socket_drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        for name in ("latency_ms", "race_window_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, not {getattr(self, name)}")


class Faults:
    def __init__(self, settings: FaultSettings | None = None, *, rng: random.Random) -> None:
        self.settings = settings or FaultSettings()
        self.settings.validate()
        self.rng = rng
        self.injected = 0

    def update(self, **changes: Any) -> None:
        """Change some settings (``/_emulator/faults``); unknown names raise ValueError."""
        names = {f.name for f in fields(FaultSettings)}
        new = FaultSettings(**{n: getattr(self.settings, n) for n in names})
        for key, value in changes.items():
            if key not in names:
                raise ValueError(f"unknown fault {key!r}; valid: {', '.join(sorted(names))}")
            setattr(new, key, float(value))
        new.validate()
        self.settings = new

    @property
    def active(self) -> bool:
        s = self.settings
        return bool(s.latency_ms or s.error_rate or s.ambiguous_rate)

    def latency(self) -> float:
        return self.settings.latency_ms / 1000.0

    def fail_before(self) -> int | None:
        """An HTTP status to answer instead of handling the call, or None."""
        p = self.settings.error_rate
        if p and self.rng.random() < p:
            self.injected += 1
            return self.rng.choice((500, 503))
        return None

    def fail_after(self) -> str | None:
        """``"5xx"`` or ``"drop"`` after the call took effect, or None."""
        p = self.settings.ambiguous_rate
        if p and self.rng.random() < p:
            self.injected += 1
            return "drop" if self.rng.random() < 0.5 else "5xx"
        return None

    def race(self, age_seconds: float) -> bool:
        """True when a conflicting write ``age_seconds`` after the first also succeeds."""
        s = self.settings
        if not s.race_probability or age_seconds * 1000.0 > s.race_window_ms:
            return False
        if self.rng.random() < s.race_probability:
            self.injected += 1
            return True
        return False
