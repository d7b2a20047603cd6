"""Shared fixtures. Every test gets its own emulator on 127.0.0.1 (port 0) and its own dirs."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's config, tokens or API URL, or writes to their dirs."""
    for var in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_USER_TOKEN", "SLACKMQ_API_URL",
                "SLACKMQ_PROFILE", "SLACKMQ_LOG_LEVEL", "SLACKMQ_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("SLACKCLIENT_SKIP_DEPRECATION", "1")


# -- emulator fixtures (owned by the emulator; additive) ------------------------------------------
def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "emulator(**config): EmulatorConfig fields for the `emulator` / `async_emulator` fixtures, "
        "e.g. @pytest.mark.emulator(rate_limits=False, time_scale=60)",
    )


def _emulator_config(request):
    from slackmq_core.emulator import EmulatorConfig

    marker = request.node.get_closest_marker("emulator")
    kwargs = dict(marker.kwargs) if marker else {}
    kwargs.setdefault("seed", 1)
    return EmulatorConfig(**kwargs)


@pytest.fixture
def emulator(request):
    """A started emulator in a thread (for sync tests): ``.base_url``, ``.control``, ``.root_url``.

    Default workspace, seed 1, realistic rate limits; override with ``@pytest.mark.emulator(...)``.
    ``emulator.control.post("jobs", "U0PUBLSH01", "job 1")`` posts without rate limits.
    """
    from slackmq_core.emulator import run_in_thread

    with run_in_thread(_emulator_config(request)) as emu:
        yield emu


@pytest.fixture
async def async_emulator(request):
    """An ``Emulator`` on the test's event loop: ``.base_url``, ``.backend``, and the in-process
    control methods ``emu.post(...)``, ``emu.seed(...)``, ``emu.set_faults(...)``,
    ``await emu.drop_sockets(...)``, ``emu.stats()`` (do not use ``.control`` here: it is a
    blocking urllib client and would block the loop that serves it)."""
    from slackmq_core.emulator import Emulator

    async with Emulator(_emulator_config(request)) as emu:
        yield emu
