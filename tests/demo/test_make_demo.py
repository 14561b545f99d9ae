"""`make demo` installs what running needs, quietly, and `make test` adds the test tools: read from
what make would run (``make -n``), not from the Makefile's text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = ("[test]", "pytest", "playwright", "hypothesis", "ruff", "mypy", "import-linter")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def planned(target: str) -> list[str]:
    """The commands ``make <target>`` would run with every stamp out of date."""
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", target],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=True,
    )
    # Run from inside another make (``make test``), make names the directories it enters.
    return [line for line in done.stdout.splitlines() if not line.startswith("make[")]


def installs(lines: list[str]) -> list[str]:
    return [line for line in lines if " pip " in f" {line} " and " install " in f" {line} "]


def test_make_demo_installs_the_runtime_only_and_quietly() -> None:
    lines = planned("demo")
    pip = installs(lines)
    assert pip, "make demo installs nothing?"
    for line in pip:
        assert not any(tool in line for tool in TEST_TOOLS), line
        assert "--quiet" in line or " -q " in line, line
    assert lines[-1].endswith("lti-tool demo")


def test_make_test_installs_the_test_tools() -> None:
    assert any("'.[test]'" in line for line in installs(planned("test")))
