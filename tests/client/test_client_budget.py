"""The rate-limit budget's arithmetic, on a clock the test moves (no network).

The behaviour against a real socket (refusing to send the request that would
be blocked) is in test_client_sandbox.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from planner.postiz.budget import RateBudget
from planner.postiz.errors import BudgetExhausted

T0 = 1_900_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def headers(limit: int, remaining: int, reset: int) -> dict:
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset)}


def test_assumed_limit_before_the_server_says():
    budget = RateBudget(3, clock=Clock())
    assert budget.available() == 3 and not budget.known


def test_remaining_zero_refuses_until_the_window_resets():
    clock = Clock()
    budget = RateBudget(30, clock=clock)
    budget.observe(201, headers(30, 0, 1200))
    with pytest.raises(BudgetExhausted) as info:
        budget.check()
    assert info.value.until == datetime.fromtimestamp(T0 + 1200, UTC)
    assert "2030-03-17" in str(info.value)  # the wall-clock time the user can wait for
    clock.now += 1200
    budget.check()  # a new window: allowed again
    assert budget.available() == 30


def test_429_blocks_for_retry_after_even_if_window_would_reset():
    clock = Clock()
    budget = RateBudget(30, clock=clock)
    budget.observe(201, headers(30, 5, 60))
    until = budget.blocked(3600)
    assert until == datetime.fromtimestamp(T0 + 3600, UTC)
    clock.now += 120  # the window ended, the block did not
    with pytest.raises(BudgetExhausted, match="blocked"):
        budget.check()
    clock.now = T0 + 3600
    budget.check()


def test_401_does_not_count_and_missing_headers_count_one():
    budget = RateBudget(2, clock=Clock())
    budget.observe(401, {})
    assert budget.available() == 2
    budget.observe(400, {})  # e.g. a proxy's answer: assume it counted
    assert budget.available() == 1
    budget.spent()  # sent, answer lost
    with pytest.raises(BudgetExhausted):
        budget.check()


def test_snapshot_restore_round_trip_with_absolute_times():
    clock = Clock()
    budget = RateBudget(30, clock=clock)
    budget.observe(201, headers(30, 7, 1800))
    snap = budget.snapshot()
    assert snap["remaining"] == 7 and snap["limit"] == 30
    assert snap["reset_at"].endswith("Z")
    assert datetime.fromisoformat(snap["reset_at"]).timestamp() == T0 + 1800
    other = RateBudget(30, clock=clock)
    other.restore(snap)
    assert other.available() == 7
    clock.now += 1801  # restored later, after the window: the budget is full again
    later = RateBudget(30, clock=clock)
    later.restore(snap)
    assert later.available() == 30
