"""benchmarks/locks.py at a toy size (2 workers, 10 jobs, one strategy, faults on): it still runs end to
end against its own emulator process, and the lock core keeps its correctness goals there — every job
processed, none lost, no mark left behind. Timings are never asserted."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def locks(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("locks")


@pytest.mark.parametrize("fleet", ["shared", "split"])
async def test_the_lock_benchmark_runs_and_loses_and_leaks_nothing(locks, fleet):
    args = locks.parse_args(["--messages", "10", "--workers", "2", "--strategies", "pin+reaction",
                             "--fleets", fleet, "--baseline-messages", "0", "--no-write"])
    results, baselines = await locks.run_all(args)
    assert baselines == {} and len(results) == 1
    r = results[0]
    assert (r.client, r.fleet, r.workers, r.messages) == ("pin+reaction", fleet, 2, 10)
    assert r.processed == 10 and r.lost == 0 and r.not_done == 0
    assert r.overlaps == 0 and not r.leaked
    assert r.calls["pins.add"] >= 10     # the stats came from the emulator's /_emulator/stats


def test_a_bad_strategy_is_one_line_naming_it(locks, capsys):
    with pytest.raises(SystemExit) as exit_:
        locks.parse_args(["--strategies", "pin+magic"])
    assert exit_.value.code == 2
    assert "unknown lock strategy 'pin+magic': use one of pin, pin+reaction" in capsys.readouterr().err
