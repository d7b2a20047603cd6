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
