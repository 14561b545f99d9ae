"""bench/rhythm.py at a tiny size: one JSON line of the agreed shape, within the issue's limits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
KEYS = {
    "pairs",
    "weeks",
    "seconds",
    "quiet_pairs",
    "detected_share",
    "false_alarm_share",
    "nudges_sent",
    "max_nudges_per_person_week",
}


def test_the_rhythm_bench_runs_small_and_meets_its_limits() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "rhythm.py"), "--pairs", "50", "--weeks", "4", "--seed", "7"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result.keys() >= KEYS
    assert (result["pairs"], result["weeks"]) == (50, 4)
    assert result["quiet_pairs"] >= 1
    assert result["detected_share"] >= 0.9
    assert result["false_alarm_share"] <= 0.05
    assert result["nudges_sent"] > 0
    assert result["max_nudges_per_person_week"] <= 2
    assert result["budget_met"] is True
