"""The checks a contributor expects run with the tests, so CI runs them too.

`ruff check` (lint, import order) and `mypy` (types) over the package, as
configured in pyproject.toml. Skipped with a reason when the tool is not
installed (`pip install '.[test]'` installs both).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _tool(name: str) -> list[str]:
    if shutil.which(name):
        return [name]
    try:
        __import__(name)
    except ImportError:
        pytest.skip(f"{name} is not installed (pip install '.[test]')")
    return [sys.executable, "-m", name]


def test_ruff_finds_nothing():
    result = subprocess.run([*_tool("ruff"), "check", "."], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    result = subprocess.run([*_tool("mypy")], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr


def test_the_package_says_it_is_typed():
    """pyproject ships py.typed as package data: the file must exist."""
    assert (REPO / "planner" / "py.typed").is_file()
