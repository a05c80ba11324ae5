"""The client against a server that misbehaves: answers that drip or never end, 429s
that are not Postiz's JSON, a file that changes while it is uploaded, and a key
handed back in pieces. Real sockets on 127.0.0.1 (tests/support/hostile.py).
The same cases through the installed CLI: tests/reliability/test_hostile.py.
"""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from planner import logs
from planner.postiz.client import PostizClient
from planner.postiz.errors import (
    MediaChanged,
    NetworkError,
    NotPostizError,
    RateLimited,
    UncertainResponse,
    ValidationError,
    redact,
)
from planner.postiz.models import PostEntry
from support.client_helpers import KEY, channel_ids, controls, root_url
from support.hostile import HostileProxy, answer, drip, flood, too_many
from support.workspaces import mp4_bytes

WHEN = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)
POSTS = "/api/public/v1/posts"


@pytest.fixture
def proxy(sandbox):
    with HostileProxy(root_url(sandbox)) as p:
        yield p


def _client(proxy, **kw) -> PostizClient:
    kw.setdefault("backoff", 0.01)
    return PostizClient(proxy.api_url, KEY, **kw)


# -- one deadline per request -------------------------------------------------------------------


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_dripping_answer_to_a_read_ends_at_the_deadline(proxy, where):
    proxy.on("GET", "/api/public/v1/integrations", drip(every=0.2, limit=20, where=where))
    with _client(proxy, timeout=(1.0, 1.0)) as client:
        started = time.monotonic()
        with pytest.raises(NetworkError) as info:
            client.list_channels()
        elapsed = time.monotonic() - started
    assert elapsed < 1 + 1.5, elapsed  # each byte came within the read timeout: only the deadline helps
    assert "GET" in info.value.message and "/integrations" in info.value.message
    assert "within 1 s" in info.value.message and "--timeout" in info.value.hint
    # The deadline covers the retries too: one attempt, not four.
    assert proxy.count("GET", "/api/public/v1/integrations") == 1


def test_one_deadline_that_fails_to_fire_leaves_the_next_requests_theirs():
    """One thread fires every request's deadline. A firing that goes wrong (a socket type
    it cannot shut, say) must not end it: a long apply would lose every later deadline."""
    import threading

    from planner.postiz import transport

    class Unshuttable:
        def _fire(self, at):
            raise TypeError("not a socket")

    class Recorded:
        def __init__(self):
            self.fired = threading.Event()

        def _fire(self, at):
            self.fired.set()

    watchdog, later = transport._Watchdog(), Recorded()  # its own: a failure stays in this test
    watchdog.arm(Unshuttable(), time.monotonic())  # type: ignore[arg-type]
    watchdog.arm(later, time.monotonic() + 0.05)  # type: ignore[arg-type]
    assert later.fired.wait(2), "the deadline after a failed one never fired"


def test_a_dripping_answer_to_a_create_is_uncertain_and_counted(sandbox, proxy):
    proxy.on("POST", POSTS, drip(every=0.2, limit=20, forward=True))
    with _client(proxy, timeout=(1.0, 1.0)) as client:
        ids = channel_ids(client)
        with pytest.raises(UncertainResponse) as info:
            client.create_posts(WHEN, [PostEntry(ids["linkedin"], "slow")])
        # The status line and rate-limit headers came before the body dripped: learnt.
        assert client.budget.known and client.budget.available() == 29
    assert "within 1 s" in info.value.message and "read the posts back" in info.value.hint
    assert proxy.count("POST", POSTS) == 1  # never re-sent by the client
    assert [r["content"] for r in controls(sandbox).live_rows()] == ["slow"]  # it did land


def test_an_upload_may_take_longer_than_the_timeout_but_its_answer_may_not(proxy, tmp_path):
    clip = tmp_path / "1.mp4"
    clip.write_bytes(mp4_bytes("upload"))
    proxy.on("POST", "/api/public/v1/upload", drip(every=0.2, limit=20, forward=True, where="body"))
    with _client(proxy, timeout=(1.0, 1.0)) as client:
        started = time.monotonic()
        with pytest.raises(NetworkError, match="within 1 s"):
            client.upload(clip, sha256=hashlib.sha256(clip.read_bytes()).hexdigest())
        assert time.monotonic() - started < 2.5


# -- answers too big ----------------------------------------------------------------------------


@pytest.mark.parametrize("declare", [True, False], ids=["declared", "streamed"])
def test_an_answer_over_the_cap_is_refused_with_the_request_named(proxy, declare):
    proxy.on("GET", "/api/public/v1/integrations", flood(size=5 * 1024 * 1024, declare=declare))
    with _client(proxy, max_answer_bytes=1024 * 1024) as client:
        with pytest.raises(NotPostizError) as info:
            client.list_channels()
    assert "GET" in info.value.message and "/integrations" in info.value.message
    assert "more than 1 MiB" in info.value.message


def test_an_answer_under_the_cap_is_read_as_usual(proxy):
    with _client(proxy, max_answer_bytes=64 * 1024) as client:
        assert channel_ids(client)


def test_a_429_with_a_huge_body_is_still_a_block(proxy):
    proxy.on("POST", POSTS, flood(size=10 * 1024 * 1024, status=429))
    with _client(proxy, max_answer_bytes=1024 * 1024) as client:
        with pytest.raises(RateLimited):
            client.create_posts(WHEN, [PostEntry("x", "y")])


# -- 429 whatever its body ----------------------------------------------------------------------


@pytest.mark.parametrize("action, seconds", [
    (too_many(), 3600),
    (too_many(body=b"", content_type=None), 3600),
    (too_many(body=b"", content_type=None, retry_after="90"), 90),
    (too_many(body=b"{not json", content_type="application/json", retry_after="garbage"), 3600),
], ids=["nginx-html", "empty", "empty-retry-after", "bad-json-bad-header"])
def test_a_429_that_is_not_postiz_json_blocks_and_nothing_counted_follows(proxy, action, seconds):
    proxy.on("POST", POSTS, action)
    with _client(proxy) as client:
        with pytest.raises(RateLimited) as info:
            client.create_posts(WHEN, [PostEntry("x", "y")])
        left = (info.value.until - datetime.now(UTC)).total_seconds()
        assert seconds - 5 < left <= seconds
        assert client.budget.available() == 0
        with pytest.raises(Exception, match="blocked"):
            client.create_posts(WHEN, [PostEntry("x", "y")])
    assert proxy.count("POST", POSTS) == 1


def test_retry_after_as_an_http_date_is_understood(proxy):
    when = datetime.now(UTC) + timedelta(seconds=300)
    proxy.on("POST", POSTS, too_many(retry_after=when.strftime("%a, %d %b %Y %H:%M:%S GMT")))
    with _client(proxy) as client:
        with pytest.raises(RateLimited) as info:
            client.create_posts(WHEN, [PostEntry("x", "y")])
    assert 290 < (info.value.until - datetime.now(UTC)).total_seconds() <= 301


def test_a_429_is_written_to_the_budget_cache_at_once(proxy, tmp_path, monkeypatch):
    from planner.reconcile import budgetcache

    monkeypatch.setenv("CLIPER_SCHED_CACHE_DIR", str(tmp_path / "cache"))
    proxy.on("POST", POSTS, too_many())
    with _client(proxy) as client:
        budgetcache.restore(client.budget, client.api_url)
        budgetcache.restore(client.budget, client.api_url)  # twice: still one writer
        assert len(client.budget.on_block) == 1
        with pytest.raises(RateLimited):
            client.create_posts(WHEN, [PostEntry("x", "y")])
        [cache] = (tmp_path / "cache").glob("budget-*.json")
        assert '"blocked_until": "' in cache.read_text("utf-8")  # before any command saved it


# -- the bytes hashed are the bytes sent -----------------------------------------------------------


def test_an_upload_of_the_reviewed_bytes_succeeds(client, tmp_path):
    clip = tmp_path / "1.mp4"
    clip.write_bytes(mp4_bytes("reviewed") * 5000)  # several chunks
    media = client.upload(clip, sha256=hashlib.sha256(clip.read_bytes()).hexdigest().upper())
    assert media.path.endswith(".mp4")


@pytest.mark.parametrize("change", ["other bytes", "longer", "shorter"])
def test_an_upload_of_other_bytes_than_reviewed_never_completes(sandbox, proxy, tmp_path, change):
    clip = tmp_path / "1.mp4"
    reviewed = mp4_bytes("reviewed") * 5000
    clip.write_bytes(reviewed)
    sha = hashlib.sha256(reviewed).hexdigest()
    swapped = {"other bytes": mp4_bytes("swapped") * 5000, "longer": reviewed + b"\0" * 100_000,
               "shorter": reviewed[:-10]}[change]
    clip.write_bytes(swapped)
    with _client(proxy) as client:
        with pytest.raises(MediaChanged) as info:
            client.upload(clip, sha256=sha)
    assert str(clip) in info.value.message and "changed since it was reviewed" in info.value.message
    _eventually(lambda: proxy.count("POST", "/api/public/v1/upload") == 1)  # it did start
    uploads = [p.read_bytes() for p in sandbox.store.uploads_dir.rglob("*") if p.is_file()]
    assert swapped not in uploads and uploads == []  # nothing complete reached Postiz


def _eventually(check, seconds: float = 5.0) -> None:
    ends = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < ends, "never happened"
        time.sleep(0.02)


# -- the key, however it is mangled ---------------------------------------------------------------


def _windows(text: str, secret: str, size: int = 8) -> list[str]:
    low = text.lower()
    return [secret[i:i + size] for i in range(len(secret) - size + 1) if secret[i:i + size].lower() in low]


@pytest.mark.parametrize("mangle", [
    lambda k: k, str.upper, str.lower, str.swapcase,
    lambda k: k[:8], lambda k: k[-8:], lambda k: k[5:20],
    lambda k: f"{k[:10]} and then {k[10:]}",
    lambda k: base64.b64encode(k.encode()).decode(),
    lambda k: base64.b64encode(k[1:].encode()).decode(),
    lambda k: base64.urlsafe_b64encode(k[2:].encode()).decode(),
    lambda k: quote(k, safe=""),
    lambda k: "Bearer " + k,
], ids=["exact", "upper", "lower", "swapcase", "head", "tail", "middle", "split", "b64", "b64-1",
        "b64url-2", "urlencoded", "bearer"])
def test_redact_removes_every_form_and_fragment_of_the_key(mangle):
    text = f"Invalid key «{mangle(KEY)}» sent at 10:00"
    out = redact(text, KEY)
    assert "<redacted>" in out and out.startswith("Invalid key «") and out.endswith("» sent at 10:00")
    assert _windows(out, KEY) == []
    for start in range(3):
        assert _windows(out, base64.b64encode(KEY[start:].encode()).decode()) == []


def test_redact_leaves_other_text_and_short_pieces_alone():
    assert redact("GET /api/public/v1/posts 200 7 ms", KEY) == "GET /api/public/v1/posts 200 7 ms"
    assert redact(f"a {KEY[:7]} b", KEY) == f"a {KEY[:7]} b"  # 7 characters say too little
    assert redact("the Key is KEY", "key") == "the <redacted> is <redacted>"  # a short secret: whole, any case


def test_log_lines_lose_every_form_of_the_key(caplog):
    logs.add_secret(KEY)
    line = f"server said {KEY.upper()} / {base64.b64encode(KEY.encode()).decode()} / {KEY[3:14]}"
    assert _windows(logs.scrub(line), KEY) == []
    assert logs.scrub(line).count("<redacted>") == 3


def test_a_server_that_reflects_the_key_in_its_error_body(proxy):
    def body(auth: str) -> bytes:
        return (f'{{"message": ["{auth.upper()}", "{auth[:9]} / {auth[9:]}", '
                f'"{base64.b64encode(auth.encode()).decode()}"], "statusCode": 400}}').encode()

    proxy.on("GET", "/api/public/v1/integrations", answer(400, body))
    with _client(proxy) as client, pytest.raises(ValidationError) as info:
        client.list_channels()
    texts = [info.value.message, str(info.value), *info.value.messages]
    assert all(_windows(t, KEY) == [] for t in texts), texts
    assert "<redacted>" in info.value.message


def test_a_server_message_is_cut_to_a_readable_length(proxy):
    proxy.on("GET", "/api/public/v1/integrations", answer(400, b'{"message": "' + b"x" * 100_000 + b'"}'))
    with _client(proxy) as client, pytest.raises(ValidationError) as info:
        client.list_channels()
    assert len(info.value.message) < 3000 and "more characters" in info.value.message
