"""The command line as a script sees it: versions, help, exit codes of usage errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from planner import __version__
from planner.cli import COMMANDS


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, timeout=60)


def test_version_is_printed():
    result = _run("--version")
    assert result.returncode == 0 and __version__ in result.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_useful_help(name):
    result = _run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert f"Usage: cliper-sched {name}" in result.stdout
    # A short description, not just the option list.
    assert len(result.stdout.split("Options:")[0].strip().splitlines()) >= 2


def test_a_mistyped_flag_exits_1_not_2():
    """2 means 'changes pending' for `diff --detailed-exitcode`; a typo must not look like that."""
    result = _run("diff", "--detailed-exitcod", "plans/x.yaml")
    assert result.returncode == 1
    assert "No such option" in result.stderr and "Traceback" not in result.stderr


def test_unknown_command_exits_1():
    result = _run("aply")
    assert result.returncode == 1 and "No such command" in result.stderr
