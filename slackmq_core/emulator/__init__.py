"""A local, wire-faithful Slack Web API + Socket Mode server.

Imports nothing from the rest of slackmq_core. See docs/ARCHITECTURE.md for the file layout::

    from slackmq_core.emulator import Emulator, EmulatorConfig, run_in_thread

    async with Emulator(EmulatorConfig(seed=1)) as emu:   # 127.0.0.1, port 0
        WebClient(token="xoxb-emu-alpha", base_url=emu.base_url)
    with run_in_thread(EmulatorConfig()) as emu:          # the same from sync code
        emu.control.post("jobs", "U0PUBLSH01", "job 1")
"""

from __future__ import annotations

from .control import ControlError, EmulatorControl
from .exceptions import SlackError
from .models import Caller, SlackBackend
from .server import Emulator, EmulatorConfig, run_in_thread
from .workspace import Workspace, WorkspaceError, default_workspace, dump_workspace, load_workspace

__all__ = [
    "Caller",
    "ControlError",
    "Emulator",
    "EmulatorConfig",
    "EmulatorControl",
    "SlackBackend",
    "SlackError",
    "Workspace",
    "WorkspaceError",
    "default_workspace",
    "dump_workspace",
    "load_workspace",
    "run_in_thread",
]
