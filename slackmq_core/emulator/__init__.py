"""A local, wire-faithful Slack Web API + Socket Mode server.

Imports nothing from the rest of slackmq_core. See docs/ARCHITECTURE.md for the file layout::

    from slackmq_core.emulator import Emulator, EmulatorConfig, run_in_thread

    async with Emulator(EmulatorConfig(seed=1)) as emu:   # 127.0.0.1, port 0
        WebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
    with run_in_thread(EmulatorConfig()) as emu:          # the same from sync code
        emu.control.post("jobs", "U0PUBLSH01", "job 1")

Names are loaded on first use (PEP 562), so ``slackmq emulator --help`` does not import aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .control import ControlError, EmulatorControl
    from .exceptions import SlackError
    from .models import Caller, SlackBackend
    from .server import Emulator, EmulatorConfig, run_in_thread
    from .workspace import (
        Workspace,
        WorkspaceError,
        default_workspace,
        dump_workspace,
        load_workspace,
    )

_WHERE = {
    "Caller": "models",
    "ControlError": "control",
    "Emulator": "server",
    "EmulatorConfig": "server",
    "EmulatorControl": "control",
    "SlackBackend": "models",
    "SlackError": "exceptions",
    "Workspace": "workspace",
    "WorkspaceError": "workspace",
    "default_workspace": "workspace",
    "dump_workspace": "workspace",
    "load_workspace": "workspace",
    "run_in_thread": "server",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
