"""Shared fixtures.

`shared_dir` points at ../shared (CI has it; users do not): tests that need it
skip with a reason when it is absent. Everything else builds its own fixtures.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))  # makes `support.*` importable

SHARED = Path(os.environ.get("CLIPER_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): reference samples and transcripts are CI-only")
    return SHARED


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
