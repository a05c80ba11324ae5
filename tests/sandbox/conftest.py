"""Fixtures for the sandbox's own tests: a fresh sandbox and an authenticated session."""

from __future__ import annotations

import pytest

from support.sandbox import PublicApi, running_sandbox


@pytest.fixture
def sb(tmp_path):
    with running_sandbox(tmp_path) as server:
        yield server


@pytest.fixture
def api(sb):
    return PublicApi(sb)
