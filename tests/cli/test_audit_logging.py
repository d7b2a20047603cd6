"""The audit log (JSONL, private, never a token) and the log file (redacted at every level)."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import threading

import pytest

from slackmq_core import AuditLog, ConfigError, Secret, setup_logging
from slackmq_core._logging import redact

TOKENS = ["xoxb-emu-alpha", "xoxp-emu-dana", "xapp-emu-console", "xoxe.xoxp-1-abc", "xoxa-2-x",
          "xoxr-refresh-1"]


@pytest.mark.parametrize("token", TOKENS)
def test_redact_hides_every_token_shape(token):
    out = redact(f"Authorization: Bearer {token}, next={token}!")
    assert token not in out and out.count("…(hidden)") == 2 and out.endswith("!")


def test_redact_leaves_other_text_alone():
    text = "pins.add C0JOBS0001 1712345678.000100 xoxo-not-a-token axoxb-nope"
    assert redact(text) == text


def test_audit_default_path_is_the_state_dir(tmp_path):
    log = AuditLog()
    assert log.path == tmp_path / "xdg-state" / "slackmq" / "audit.jsonl"
    assert not log.path.exists()  # nothing written until the first record


def test_audit_records_who_what_which_and_result_as_private_jsonl(tmp_path):
    log = AuditLog(tmp_path / "a" / "audit.jsonl")
    log.record(actor="olga@ops as U0CONSOLE", action="force-unack", channel="C0JOBS0001",
               ts="1712345678.000100", result="ok", detail={"removed": ["pin"], "n": 1})
    log.record(actor="olga", action="ack", channel="C0JOBS0001", ts="1.000002", result="held")
    lines = log.path.read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert {k: first[k] for k in ("actor", "action", "channel", "ts", "result", "detail")} == {
        "actor": "olga@ops as U0CONSOLE", "action": "force-unack", "channel": "C0JOBS0001",
        "ts": "1712345678.000100", "result": "ok", "detail": {"removed": ["pin"], "n": 1}}
    assert first["pid"] == os.getpid() and first["time"].endswith("+00:00")
    assert [e["action"] for e in log.entries()] == ["force-unack", "ack"]
    assert log.tail(1)[0]["result"] == "held"
    if os.name == "posix":
        assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(log.path.parent.stat().st_mode) == 0o700


def test_audit_never_stores_a_token(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record(actor="xoxb-emu-alpha", action="ack", channel="jobs", ts=None, result="ok",
               detail={"token": Secret("xoxp-emu-dana"), "note": "used xapp-emu-console"})
    text = log.path.read_text()
    assert all(t not in text for t in ("xoxb-emu-alpha", "xoxp-emu-dana", "xapp-emu-console"))
    assert json.loads(text)["detail"]["token"] == "xoxp-…(hidden)"


def test_audit_lines_from_threads_never_interleave(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")

    def burst(n):
        for i in range(50):
            log.record(actor=f"t{n}", action="ack", channel="C1", ts=f"{i}.000001", result="ok",
                       detail={"pad": "x" * 500})

    threads = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(list(log.entries())) == 200 == len(log.path.read_text().splitlines())


def test_logging_goes_to_the_log_dir_at_the_env_level_with_tokens_redacted(tmp_path, monkeypatch):
    monkeypatch.setenv("SLACKMQ_LOG_LEVEL", "debug")
    path = setup_logging()
    assert path == tmp_path / "xdg-state" / "slackmq" / "log" / "slackmq.log"
    log = logging.getLogger("slack_sdk.web.base_client")
    log.debug("Sending a request - headers: {'Authorization': 'Bearer %s'}", "xoxb-emu-alpha")
    log.info("token %s in a message", Secret("xoxp-emu-dana"))
    try:
        raise RuntimeError("failed with xapp-emu-console")
    except RuntimeError:
        logging.getLogger("slackmq_core").exception("boom xoxb-emu-bravo")
    logging.getLogger("slackmq_core").debug("stack", stack_info=True)
    for h in logging.getLogger().handlers:
        h.flush()
    text = path.read_text()
    assert "Sending a request" in text and "RuntimeError" in text and "boom" in text
    for token in ("xoxb-emu-alpha", "xoxp-emu-dana", "xapp-emu-console", "xoxb-emu-bravo"):
        assert token not in text
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_log_level_default_is_info_and_setup_replaces_its_handler(tmp_path):
    path = setup_logging(log_dir=tmp_path)
    setup_logging(log_dir=tmp_path)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "baseFilename", "") == str(path)]
    assert len(ours) == 1
    logging.getLogger("slackmq_core").debug("hidden detail")
    logging.getLogger("slackmq_core").info("shown")
    ours[0].flush()
    text = path.read_text()
    assert "shown" in text and "hidden detail" not in text


def test_bad_log_level_is_a_config_error(monkeypatch):
    monkeypatch.setenv("SLACKMQ_LOG_LEVEL", "chatty")
    with pytest.raises(ConfigError, match=r"invalid SLACKMQ_LOG_LEVEL 'chatty': use one of debug"):
        setup_logging()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX dirs")
def test_unwritable_log_dir_does_not_fail(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert setup_logging(log_dir=blocker / "sub") is None
