"""Typed errors, retries, the rate-limit budget and key redaction, against real sockets."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from planner.postiz.client import PostizClient
from planner.postiz.errors import (
    AuthError,
    BudgetExhausted,
    NetworkError,
    NotFound,
    NotPostizError,
    PostizError,
    RateLimited,
    RouteNotFound,
    ServerError,
    UncertainResponse,
    ValidationError,
)
from planner.postiz.models import PostEntry
from support.client_helpers import CHANNELS, KEY, channel_ids, control, controls

WHEN = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)
WINDOW = (WHEN - timedelta(days=1), WHEN + timedelta(days=1))


def fault(server, **spec):
    return controls(server).add_fault(**spec)


def faults(server):
    return controls(server).faults()


def li_entry(client, text="hello"):
    return [PostEntry(channel_ids(client)["linkedin"], text)]


# -- 401 -----------------------------------------------------------------------------

def test_wrong_key_is_an_auth_error_with_a_base_url_hint(sandbox):
    with PostizClient(sandbox.api_url, "not-the-key") as client:
        with pytest.raises(AuthError) as info:
            client.list_channels()
    assert "Invalid API key" in info.value.message
    assert "/api" in info.value.hint and "Bearer" in info.value.hint


def test_bearer_prefix_gets_its_own_hint(sandbox):
    with PostizClient(sandbox.api_url, f"Bearer {KEY}") as client:
        with pytest.raises(AuthError) as info:
            client.is_connected()
    assert "Invalid API key" in info.value.message
    assert "remove the 'Bearer ' prefix" in info.value.hint


def test_missing_authorization_header_says_no_key(sandbox):
    with PostizClient(sandbox.api_url, KEY) as client:
        client.session.auth = None  # no Authorization header, as a proxy that strips it
        with pytest.raises(AuthError, match="No API Key found"):
            client.is_connected()


def test_401_is_not_counted_by_the_budget(sandbox):
    with PostizClient(sandbox.api_url, "wrong", assumed_limit=5) as client:
        with pytest.raises(AuthError):
            client.create_posts(WHEN, [PostEntry("x", "y")])
        assert client.budget.available() == 5


# -- 404, 400 ------------------------------------------------------------------------

def test_unknown_channel_is_not_found(client):
    with pytest.raises(NotFound) as info:
        client.channel_settings("no-such-channel")
    assert "no-such-channel" in str(info.value)


def test_settings_route_missing_on_v2_23_0(make_sandbox):
    server = make_sandbox(channels=CHANNELS, compat="v2.23.0")
    with PostizClient(server.api_url, KEY) as client:
        [(post_id, _)] = client.create_posts(WHEN, li_entry(client))
        with pytest.raises(RouteNotFound, match="too old"):
            client.update_settings(post_id, {"a": 1})


def test_class_validator_400_lists_every_message(client):
    x = channel_ids(client)["x"]
    with pytest.raises(ValidationError) as info:
        client.create_posts(WHEN, [PostEntry(x, "no reply setting")])
    assert any("posts.0.settings.who_can_reply_post" in m for m in info.value.messages)
    assert info.value.provider is None


def test_channel_check_400_names_provider_and_channel(client):
    yt = channel_ids(client)["youtube"]
    with pytest.raises(ValidationError) as info:
        client.create_posts(WHEN, [PostEntry(yt, "no media", settings={"title": "T1", "type": "public"})])
    err = info.value
    assert err.provider == "youtube" and err.channel == "Acme Clips"
    assert "You need one media" in err.message and "Acme Clips" in err.message


def test_unsupported_upload_is_a_validation_error(client, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    with pytest.raises(ValidationError, match="Unsupported file type"):
        client.upload(text)


# -- rate limit ----------------------------------------------------------------------

def test_budget_refuses_instead_of_triggering_the_block(make_sandbox):
    server = make_sandbox(channels=CHANNELS, limit=3)
    with PostizClient(server.api_url, KEY) as client:
        for n in range(3):
            client.create_posts(WHEN + timedelta(minutes=n), li_entry(client, f"post {n}"))
        with pytest.raises(BudgetExhausted) as info:
            client.create_posts(WHEN, li_entry(client, "one too many"))
    status = control(server, "GET", "ratelimit")
    assert status["hits"] == 3 and status["blocked_for"] == 0  # never sent
    assert info.value.until > datetime.now(UTC) + timedelta(minutes=55)
    assert info.value.exit_code == 3


def test_429_reports_retry_after_and_then_nothing_more_is_sent(make_sandbox):
    server = make_sandbox(channels=CHANNELS, limit=1)
    with PostizClient(server.api_url, KEY) as first:
        first.create_posts(WHEN, li_entry(first))
    # A second process that does not know the budget: its first request gets the 429.
    with PostizClient(server.api_url, KEY) as client:
        with pytest.raises(RateLimited) as info:
            client.create_posts(WHEN, li_entry(client))
        assert info.value.retry_after == 3600
        assert abs((info.value.until - datetime.now(UTC)).total_seconds() - 3600) < 10
        with pytest.raises(BudgetExhausted, match="blocked"):
            client.create_posts(WHEN, li_entry(client))
    assert control(server, "GET", "ratelimit")["hits"] == 2  # the refused one never went out


# -- retries -------------------------------------------------------------------------

def test_get_is_retried_after_a_500(sandbox, client):
    fault(sandbox, method="GET", path="/public/v1/integrations", action="error")
    assert len(client.list_channels()) == len(CHANNELS)
    assert faults(sandbox)[0]["seen"] == 2


def test_get_is_retried_after_a_timeout(sandbox):
    # A read timeout shorter than the request's deadline leaves room for a retry (the CLI
    # makes them equal: a request that used its whole --timeout is not retried).
    fault(sandbox, method="GET", path="/public/v1/integrations", action="delay", seconds=1.5)
    with PostizClient(sandbox.api_url, KEY, timeout=(2, 0.5), deadline=5, backoff=0.05) as client:
        assert len(client.list_channels()) == len(CHANNELS)
    assert faults(sandbox)[0]["seen"] == 2


def test_a_repeated_500_on_get_is_reported_after_one_retry(sandbox):
    # A 500 from Postiz itself is usually deterministic (bad parameters, a bug):
    # hammering it only delays the error the user needs to see.
    fault(sandbox, method="GET", path="/public/v1/integrations", action="error", count=10)
    with PostizClient(sandbox.api_url, KEY, retries=3, backoff=0.01) as client:
        with pytest.raises(ServerError) as info:
            client.list_channels()
    assert info.value.status == 500
    assert faults(sandbox)[0]["seen"] == 2


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_proxy_error_on_get_is_retried_up_to_the_limit_then_reported(sandbox, status):
    fault(sandbox, method="GET", path="/public/v1/integrations", action="error", status=status,
          count=10)
    with PostizClient(sandbox.api_url, KEY, retries=2, backoff=0.01) as client:
        with pytest.raises(ServerError) as info:
            client.list_channels()
    assert info.value.status == status and "not JSON" in str(info.value)
    assert faults(sandbox)[0]["seen"] == 3


def test_a_brief_proxy_outage_is_ridden_out(sandbox, client):
    fault(sandbox, method="GET", path="/public/v1/posts", action="error", status=503, count=2)
    assert client.list_posts(*WINDOW) == []
    assert faults(sandbox)[0]["seen"] == 3


def test_post_posts_is_never_retried_after_a_500(sandbox, client):
    fault(sandbox, method="POST", path="/public/v1/posts", action="error")
    with pytest.raises(ServerError):
        client.create_posts(WHEN, li_entry(client))
    assert faults(sandbox)[0]["seen"] == 1
    assert client.list_posts(*WINDOW) == []


def test_delete_of_unknown_id_is_not_retried(sandbox, client):
    fault(sandbox, method="DELETE", path="/public/v1/posts/*", action="delay", seconds=0)
    assert client.delete_post("no-such-post") is False
    assert faults(sandbox)[0]["seen"] == 1


def test_dropped_answer_to_a_create_is_uncertain_and_the_post_exists(sandbox, client):
    fault(sandbox, method="POST", path="/public/v1/posts", action="drop")
    with pytest.raises(UncertainResponse) as info:
        client.create_posts(WHEN, li_entry(client, "carried out"))
    assert "read the posts back" in info.value.hint
    assert faults(sandbox)[0]["seen"] == 1
    assert [p.content for p in client.list_posts(*WINDOW)] == ["carried out"]
    assert client.budget.remaining == 29  # counted although the answer was lost


def test_timed_out_create_is_uncertain(sandbox):
    fault(sandbox, method="POST", path="/public/v1/posts", action="delay", seconds=1.5)
    with PostizClient(sandbox.api_url, KEY, timeout=(2, 0.5)) as client:
        with pytest.raises(UncertainResponse):
            client.create_posts(WHEN, li_entry(client))
        time.sleep(1.2)  # let the server finish: the post is there, sent once
        assert len(client.list_posts(*WINDOW)) == 1
    assert faults(sandbox)[0]["seen"] == 1


def test_unreachable_port_is_a_network_error_even_for_a_create(dead_url):
    with PostizClient(dead_url, KEY, retries=1, backoff=0.01) as client:
        with pytest.raises(NetworkError, match="connection refused"):
            client.list_channels()
        with pytest.raises(NetworkError):  # never sent, so not uncertain
            client.create_posts(WHEN, [PostEntry("x", "y")])
        assert client.budget.available() == 30


def test_html_answer_is_not_postiz(html_server):
    with PostizClient(html_server, KEY) as client:
        with pytest.raises(NotPostizError) as info:
            client.list_channels()
    assert "text/html" in info.value.message
    assert f"{html_server}/api" in info.value.hint


def test_redirect_is_not_followed_and_points_to_https(redirect_server):
    with PostizClient(redirect_server, KEY) as client:
        with pytest.raises(NotPostizError) as info:
            client.create_posts(WHEN, [PostEntry("x", "y")])
    assert "redirect (301) to https://" in info.value.message
    assert "https://" in info.value.hint


# -- redaction -----------------------------------------------------------------------

def _provoke_every_error(sandbox, make_sandbox, html_server, dead_url, tmp_path):
    errors: list[PostizError] = []

    def catch(fn, *args, **kwargs):
        try:
            fn(*args, **kwargs)
        except PostizError as exc:
            errors.append(exc)
        else:
            raise AssertionError(f"{fn.__name__} did not fail")

    with PostizClient(sandbox.api_url, KEY, backoff=0.01, retries=1) as client:
        ids = channel_ids(client)
        catch(client.channel_settings, KEY)  # the key even in a path
        catch(client.create_posts, WHEN, [PostEntry(ids["x"], KEY)])
        catch(client.create_posts, WHEN, [PostEntry(ids["youtube"], KEY, settings={"title": KEY, "type": "public"})])
        fault(sandbox, method="GET", path="/public/v1/integrations", action="error", count=5)
        catch(client.list_channels)
        control(sandbox, "DELETE", "faults")
        fault(sandbox, method="POST", path="/public/v1/posts", action="drop")
        catch(client.create_posts, WHEN, [PostEntry(ids["linkedin"], "dropped")])
        bad = tmp_path / "bad.txt"
        bad.write_text(KEY)
        catch(client.upload, bad)
    for key in (KEY, f"Bearer {KEY}"):
        with PostizClient(sandbox.api_url, key[::-1] if key == KEY else key) as client:
            catch(client.is_connected)
    limited = make_sandbox(channels=CHANNELS, limit=1)
    with PostizClient(limited.api_url, KEY) as client:
        client.create_posts(WHEN, li_entry(client))
        with PostizClient(limited.api_url, KEY) as other:
            catch(other.create_posts, WHEN, li_entry(client))
            catch(other.create_posts, WHEN, li_entry(client))
    with PostizClient(html_server, KEY) as client:
        catch(client.list_channels)
    with PostizClient(dead_url, KEY, retries=0) as client:
        catch(client.list_channels)
        catch(client.create_posts, WHEN, [PostEntry("x", "y")])
    return errors


def test_key_never_appears_in_any_error(sandbox, make_sandbox, html_server, dead_url, tmp_path):
    errors = _provoke_every_error(sandbox, make_sandbox, html_server, dead_url, tmp_path)
    kinds = {type(e).__name__ for e in errors}
    assert {"NotFound", "ValidationError", "ServerError", "UncertainResponse", "AuthError",
            "RateLimited", "BudgetExhausted", "NotPostizError", "NetworkError"} <= kinds
    for exc in errors:
        for text in (str(exc), repr(exc), exc.render(), *map(str, exc.args),
                     *getattr(exc, "messages", [])):
            assert KEY not in text, f"{type(exc).__name__} leaks the key: {text}"
        assert exc.__cause__ is None


def test_key_not_in_client_repr(client):
    assert KEY not in repr(client)
