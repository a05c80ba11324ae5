"""The throttler (docs/postiz-api.md §15) driven with the sandbox clock instead of waiting an hour."""

from __future__ import annotations

import requests

from support.sandbox import PublicApi, running_sandbox


def _hit(api):
    return api.create(api.entry())


def test_window_counts_every_authenticated_post_and_reset_is_relative(tmp_path):
    with running_sandbox(tmp_path, limit=3) as sb:
        api = PublicApi(sb)
        api.controls.set_clock("2030-01-01T00:00:00Z")
        first = _hit(api)
        assert first.headers["X-RateLimit-Limit"] == "3" and first.headers["X-RateLimit-Remaining"] == "2"
        assert first.headers["X-RateLimit-Reset"] == "3600"
        api.controls.advance(600)
        invalid = api.post("/posts", json={})  # refused by validation, still counted
        assert invalid.status_code == 400 and invalid.headers["X-RateLimit-Remaining"] == "1"
        assert invalid.headers["X-RateLimit-Reset"] == "3000"
        unauth = requests.post(api.base + "/posts", json={})  # 401 is not counted
        assert unauth.status_code == 401 and "X-RateLimit-Limit" not in unauth.headers
        assert api.get("/integrations").headers.get("X-RateLimit-Limit") is None  # reads are free
        assert _hit(api).headers["X-RateLimit-Remaining"] == "0"


def test_over_limit_blocks_for_an_hour_and_hits_during_the_block_still_count(tmp_path):
    with running_sandbox(tmp_path, limit=2) as sb:
        api = PublicApi(sb)
        api.controls.set_clock("2030-01-01T00:00:00Z")
        assert [_hit(api).status_code for _ in range(2)] == [201, 201]
        api.controls.advance(1800)
        blocked = _hit(api)
        assert blocked.status_code == 429
        assert blocked.json() == {"statusCode": 429, "message": "ThrottlerException: Too Many Requests"}
        assert blocked.headers["Retry-After"] == "3600"
        assert "X-RateLimit-Remaining" not in blocked.headers
        api.controls.advance(1200)
        assert _hit(api).headers["Retry-After"] == "2400"
        # The first window ends, and these retries land in the next one while still blocked.
        api.controls.advance(900)
        assert [_hit(api).status_code for _ in range(3)] == [429, 429, 429]
        api.controls.advance(1500)  # the block is over, but the new window already has 3 hits
        again = _hit(api)
        assert again.status_code == 429 and again.headers["Retry-After"] == "3600"
        assert len([r for r in api.controls.rows()]) == 2  # nothing was created while refused


def test_a_quiet_hour_after_the_block_allows_posting_again(tmp_path):
    with running_sandbox(tmp_path, limit=1) as sb:
        api = PublicApi(sb)
        api.controls.set_clock("2030-01-01T00:00:00Z")
        assert [_hit(api).status_code for _ in range(2)] == [201, 429]
        api.controls.advance(3601)
        response = _hit(api)
        assert response.status_code == 201 and response.headers["X-RateLimit-Remaining"] == "0"


def test_reset_control_clears_the_block(tmp_path):
    with running_sandbox(tmp_path, limit=1) as sb:
        api = PublicApi(sb)
        assert [_hit(api).status_code for _ in range(2)] == [201, 429]
        api.controls.reset_ratelimit()
        assert _hit(api).status_code == 201
