"""The checks behind `cliper-sched doctor`, in the order a user fixes them.

Each check says what it found and, when something is wrong, how to fix it.
Only safe, uncounted requests are sent: doctor never spends rate-limit budget,
and changes nothing on the server.

`server_behaviour(client)` tells which Postiz behaviour a server shows (settings in
the listing, the settings route, the republish guard) and what that means for
cliper-sched; doctor reports it, and diff/apply may reuse it.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from planner.errors import UserError
from planner.postiz import config as config_mod
from planner.postiz.budget import DEFAULT_LIMIT, RateBudget
from planner.postiz.client import PostizClient, base_url_hint
from planner.postiz.errors import (
    AuthError,
    NetworkError,
    NotFound,
    NotPostizError,
    PostizError,
    RouteNotFound,
)

OK, WARN, FAIL, SKIP, INFO = "ok", "warn", "fail", "skip", "info"
CLOCK_TOLERANCE = 60  # seconds; Date has 1 s resolution, scheduling needs minutes
TIMEOUT = (3.0, 10.0)
KEY_SHAPE = re.compile(r"^([0-9a-f]{64}|pos_[A-Za-z0-9]{40})$")


@dataclass
class Check:
    name: str
    status: str
    message: str
    hint: str | None = None
    details: tuple[str, ...] = ()  # more lines of explanation (shown whatever the status)
    behaviour: Behaviour | None = None  # the `behaviour` check's findings, as data

    def as_dict(self) -> dict:
        out: dict = {"name": self.name, "status": self.status, "message": self.message, "hint": self.hint}
        if self.details:
            out["details"] = list(self.details)
        return out


# Every check doctor can report, in the order it reports them; `transport`
# appears only when the key would travel in clear text.
CHECK_NAMES = ("config", "transport", "reachable", "api", "key", "channels", "rate-limit", "clock",
               "behaviour", "media")
# The checks that need a working connection, after `key`.
_CONNECTED = ("channels", "rate-limit", "clock", "behaviour", "media")

# A post id no Postiz can hold (its ids are cuids: lowercase letters and digits only), for
# probing `PUT /posts/:id/settings` without touching a post.
PROBE_POST_ID = "cliper-sched-doctor-probe"
# Listing windows for seeing whether `GET /posts` carries settings: a near one first, then a
# wide one only if that is empty. Reads are not rate limited, but the answer holds every post
# in the window and a repeating post once per occurrence up to the end date.
NEAR = (timedelta(days=-31), timedelta(days=366))
WIDE = (datetime(2000, 1, 1, tzinfo=UTC), timedelta(days=3653))  # from 2000 to ten years ahead


def run_checks(api_url: str | None = None, api_key_file: str | None = None,
               ca_bundle: str | None = None, env: dict | None = None,
               load_budget: Callable[[str], RateBudget | None] | None = None,
               timeout: float | None = None, media: MediaInput | None = None) -> Iterator[Check]:
    """Yield the checks one by one (so the CLI can print them as they finish).

    `load_budget(api_url)` may return what earlier runs on this machine learnt
    of the rate limit; doctor itself never spends a counted request to find out.
    """
    env = dict(os.environ) if env is None else env
    try:
        cfg = config_mod.resolve(api_url, api_key_file, ca_bundle, env=env)
    except UserError as exc:
        first = exc.problems[0]
        yield Check("config", FAIL, first.message, first.hint)
        for name in ("reachable", "api", "key", *_CONNECTED):
            yield Check(name, SKIP, "not checked: fix the configuration first")
        return
    url_source = "--api-url" if api_url else config_mod.ENV_URL
    yield Check("config", OK, f"{url_source}={cfg.api_url} (requests go to {cfg.public_url}), "
                f"key from {cfg.key_source} ({len(cfg.api_key)} characters)")
    warning = cfg.cleartext_warning()
    if warning:
        yield Check("transport", WARN, warning, "put Postiz behind https, or use it over an SSH "
                    "tunnel to localhost")

    client = PostizClient.from_config(cfg, retries=0, timeout=(min(TIMEOUT[0], timeout), timeout)
                                      if timeout else TIMEOUT)
    try:
        yield from _connection_checks(client, cfg, load_budget, media or MediaInput())
    finally:
        client.close()


def _connection_checks(client: PostizClient, cfg: config_mod.PostizConfig,
                       load_budget: Callable[[str], RateBudget | None] | None,
                       media: MediaInput) -> Iterator[Check]:
    rest = _CONNECTED
    started = time.monotonic()
    try:
        client.is_connected()
        error: PostizError | None = None
    except PostizError as exc:
        error = exc
    elapsed = int((time.monotonic() - started) * 1000)

    if isinstance(error, NetworkError):
        tls = "TLS" in error.message  # it answered, but with a certificate we do not trust
        yield Check("reachable", FAIL, error.message, error.hint if tls else
                    "start Postiz (`docker compose up -d`) or fix POSTIZ_API_URL: host and port "
                    "must be where the Postiz backend answers")
        for name in ("api", "key", *rest):
            yield Check(name, SKIP, "not checked: the URL does not answer")
        return
    yield Check("reachable", OK, f"{cfg.api_url} answers ({elapsed} ms)")

    if isinstance(error, (NotPostizError, RouteNotFound)):
        # A page, a redirect, or a JSON 404 for a route every Postiz has: wrong base URL.
        hint = error.hint if isinstance(error, NotPostizError) else base_url_hint(cfg.api_url)
        yield Check("api", FAIL, error.message, _better_base(cfg) or hint)
        for name in ("key", *rest):
            yield Check(name, SKIP, "not checked: this is not the Postiz public API")
        return
    if error is not None and not isinstance(error, AuthError):
        yield Check("api", FAIL, error.message, error.hint)
        for name in ("key", *rest):
            yield Check(name, SKIP, "not checked: the API does not work")
        return
    yield Check("api", OK, f"{cfg.public_url} is the Postiz public API")

    if isinstance(error, AuthError):
        yield Check("key", FAIL, error.message, _key_hint(cfg, error))
        for name in rest:
            yield Check(name, SKIP, "not checked: the key is refused")
        return
    yield Check("key", OK, "the API key is accepted")

    yield _channels_check(client)
    yield _budget_check(load_budget(cfg.api_url) if load_budget else None)
    yield _clock_check(client)
    yield _behaviour_check(client)
    from planner.postiz.mediacheck import media_check

    yield media_check(client, cfg, media)


def _channels_check(client: PostizClient) -> Check:
    try:
        channels = client.list_channels()
    except PostizError as exc:
        return Check("channels", FAIL, exc.message, exc.hint)
    if not channels:
        return Check("channels", FAIL, "no channels in this Postiz organisation",
                     "connect one in the Postiz web UI (Add Channel), then run "
                     "`cliper-sched channels`")
    disabled = [c for c in channels if c.disabled]
    names = ", ".join(f"{c.name} ({c.provider})" for c in channels if not c.disabled)
    if disabled:
        off = ", ".join(f"{c.name} ({c.provider}, id {c.id})" for c in disabled)
        return Check("channels", WARN,
                     f"{len(channels)} channels; disabled: {off}"
                     + (f"; enabled: {names}" if names else ""),
                     "posts to a disabled channel fail with 'Channel disabled': enable it in "
                     "the Postiz web UI (channel menu > Enable channel) or leave it out of plans")
    return Check("channels", OK, f"{len(channels)} channels: {names}")


def _budget_check(budget: RateBudget | None) -> Check:
    if budget is None or not budget.known:
        return Check("rate-limit", INFO,
                     "budget unknown until the first create: Postiz reports X-RateLimit-* only "
                     "on POST /posts, which doctor does not spend; apply assumes "
                     f"{DEFAULT_LIMIT} create/edit requests per hour (API_LIMIT; --rate-limit) "
                     "until the server says otherwise")
    left, until = budget.available(), budget.next_allowed()
    if until is not None:
        why = "Postiz blocked this organisation (429)" if budget.blocked_until else "budget spent"
        return Check("rate-limit", WARN,
                     f"{why}: no create/edit before {until:%Y-%m-%d %H:%M:%S} UTC "
                     "(from the last apply on this machine)",
                     "wait until then; `apply --no-wait` stops with exit code 3 meanwhile")
    resets = (f", window resets at {_hms(datetime.fromtimestamp(budget.reset_at, UTC))} UTC"
              if budget.reset_at else "")
    return Check("rate-limit", OK, f"{left} of {budget.limit} create/edit requests left this "
                 f"hour{resets} (from the last apply on this machine)")


def _clock_check(client: PostizClient) -> Check:
    server, local = client.last_date, client.last_date_local
    if server is None or local is None:
        return Check("clock", WARN, "the server sent no Date header: cannot compare clocks",
                     "make sure this machine's clock is synchronised (NTP)")
    skew = (local - server).total_seconds()
    # Date has whole seconds: under 2 s apart is the same time as far as we can tell.
    drift = ("same time" if abs(skew) < 2
             else f"this machine is {'ahead' if skew > 0 else 'behind'} by {abs(skew):.0f}s")
    if abs(skew) > CLOCK_TOLERANCE and local.date() != server.date():  # days apart: say which
        text = f"this machine {local:%Y-%m-%d %H:%M:%S} UTC, Postiz {server:%Y-%m-%d %H:%M:%S} UTC: {drift}"
    else:
        text = f"this machine {_hms(local)} UTC, Postiz {_hms(server)} UTC: {drift}"
    if abs(skew) > CLOCK_TOLERANCE:
        return Check("clock", FAIL, text,
                     "synchronise the clocks (e.g. `timedatectl set-ntp true` on both machines): "
                     "apply decides which slots are past by this machine's clock")
    return Check("clock", OK, f"in sync within {CLOCK_TOLERANCE}s ({text})")


@dataclass(frozen=True)
class MediaInput:
    """What the `media` check looks at: upload URLs earlier applies recorded, as (url, the
    api_url they were recorded for), the plans' channel refs and media kinds as (ref, video)
    (None: every enabled channel, with videos), and whether it may upload a probe image."""

    urls: tuple[tuple[str, str | None], ...] = ()
    uses: tuple[tuple[str, bool], ...] | None = None
    probe: bool = False


@dataclass(frozen=True)
class Behaviour:
    """Which Postiz behaviour a server shows, as cliper-sched depends on it (docs/postiz-api.md §18).

    Each flag is True/False when seen, None when it could not be told (`*_why` says why;
    `failed` when a request failed rather than there being nothing to look at).
    `republish_guard` is never probed (that needs a published post): it is inferred from
    the settings route, since both arrived in Postiz after v2.23.0."""

    settings_listed: bool | None
    settings_route: bool | None
    republish_guard: bool | None
    settings_listed_why: str | None = None
    settings_route_why: str | None = None
    failed: bool = False

    @property
    def like(self) -> str | None:
        """The Postiz ("main" or "v2.23.0") that what was seen fits, else None."""
        seen = {v for v in (self.settings_listed, self.settings_route) if v is not None}
        if seen == {True}:
            return "main"
        if seen == {False}:
            return "v2.23.0"
        return None

    def summary(self) -> str:
        """One line: which Postiz this looks like, and what was seen."""
        listed = {True: "settings listed in GET /posts", False: "no settings in GET /posts",
                  None: f"settings in GET /posts unknown ({self.settings_listed_why})"}
        route = {True: "PUT /posts/:id/settings present", False: "no PUT /posts/:id/settings",
                 None: f"PUT /posts/:id/settings unknown ({self.settings_route_why})"}
        guard = {True: "republish guard (inferred)", False: "no republish guard (inferred)",
                 None: "republish guard unknown"}
        if self.like:
            head = f"like Postiz {self.like}"
        elif self.settings_listed is None and self.settings_route is None:
            head = "not known"
        else:
            head = "mixed: like neither Postiz main nor v2.23.0"
        seen = (listed[self.settings_listed], route[self.settings_route], guard[self.republish_guard])
        return f"{head}: {', '.join(seen)}"

    def lines(self) -> list[str]:
        """What each behaviour means for cliper-sched, one line each."""
        out = []
        if self.settings_listed:
            out.append("settings listed: ownership is proven by the cliper_sched marker stored in "
                       "Postiz (the state file is only a cache)")
        elif self.settings_listed is False:
            out.append("settings not listed (as v2.23.0): ownership rests on the signed state file "
                       "and exact channel + time + content matches; changes that cannot be tied to "
                       "an owned post are refused (run `cliper-sched import`)")
        else:
            out.append(f"settings listed: unknown: {self.settings_listed_why}")
        if self.settings_route:
            out.append("settings route present: settings-only changes (and putting back a lost "
                       "marker) are not counted against the rate limit")
        elif self.settings_route is False:
            out.append("settings route missing (as v2.23.0): settings-only changes cost a counted edit")
        else:
            out.append(f"settings route: unknown: {self.settings_route_why}")
        if self.republish_guard:
            out.append("republish guard, inferred (it arrived in main with the settings route): "
                       "re-saving a published post is refused unless asked")
        elif self.republish_guard is False:
            out.append("no republish guard, inferred (as v2.23.0, no settings route): re-saving a "
                       "published post publishes it again; cliper-sched never edits published posts")
        else:
            out.append("republish guard: unknown (inferred from the settings route, unknown too)")
        return out

    def as_dict(self) -> dict:
        return {"like": self.like, "settings_listed": self.settings_listed,
                "settings_route": self.settings_route, "republish_guard": self.republish_guard,
                "republish_guard_inferred": True, "settings_listed_why": self.settings_listed_why,
                "settings_route_why": self.settings_route_why, "lines": self.lines()}


def server_behaviour(client: PostizClient, now: datetime | None = None) -> Behaviour:
    """Look, without changing anything, at which Postiz behaviour the server shows.

    Reads `GET /posts` (a near window first, then a wide one) for whether posts carry
    `settings`, and probes `PUT /posts/<an id that cannot exist>/settings` with a valid
    body: a JSON 404 `Post not found` means the route exists (main), a 404 `Cannot PUT`
    that it does not (v2.23.0, docs/postiz-api.md §10.4). Neither request is counted
    against the rate limit."""
    now = now or datetime.now(UTC)
    listed, listed_why, listed_failed = _settings_listed(client, now)
    route, route_why, route_failed = _settings_route(client)
    return Behaviour(settings_listed=listed, settings_route=route, republish_guard=route,
                     settings_listed_why=listed_why, settings_route_why=route_why,
                     failed=listed_failed or route_failed)


def _settings_listed(client: PostizClient, now: datetime) -> tuple[bool | None, str | None, bool]:
    try:
        for start, end in ((now + NEAR[0], now + NEAR[1]), (WIDE[0], now + WIDE[1])):
            posts = client.list_posts(start, end)
            if posts:
                return all(p.settings is not None for p in posts), None, False
    except PostizError as exc:
        return None, f"GET /posts failed: {exc.message}", True
    return None, "no post to look at", False


def _settings_route(client: PostizClient) -> tuple[bool | None, str | None, bool]:
    try:
        client.update_settings(PROBE_POST_ID, {})
    except RouteNotFound:
        return False, None, False
    except NotFound:
        return True, None, False  # the route looked for the post: it exists
    except PostizError as exc:
        return None, f"the probe failed: {exc.message}", True
    return None, f"post {PROBE_POST_ID} was answered as if it existed", True


def _behaviour_check(client: PostizClient) -> Check:
    """Informational: which Postiz behaviour the server shows, and what it means here."""
    found = server_behaviour(client)
    if found.failed:
        return Check("behaviour", WARN, found.summary(), "run doctor again: diff and apply read "
                     "the same routes", details=tuple(found.lines()), behaviour=found)
    return Check("behaviour", INFO, found.summary(), details=tuple(found.lines()), behaviour=found)


def _key_hint(cfg: config_mod.PostizConfig, error: AuthError) -> str:
    key = cfg.api_key
    if key.lower().startswith("bearer "):
        return "remove the 'Bearer ' prefix: Postiz wants the raw key in Authorization"
    hint = error.hint or ""
    if not KEY_SHAPE.match(key):
        hint = ("a Postiz key is 64 lowercase hex characters (Settings > Public API); this one "
                f"has {len(key)} characters of another shape; " + hint)
    return hint


def _better_base(cfg: config_mod.PostizConfig) -> str | None:
    """Try the usual fixes of the base URL and say which one answers as Postiz."""
    base = cfg.api_url.rstrip("/")
    candidates = [base[: -len("/api")]] if base.endswith("/api") else [base + "/api"]
    for candidate in candidates:
        probe = PostizClient(candidate, cfg.api_key, retries=0, timeout=TIMEOUT,
                             ca_bundle=cfg.ca_bundle)
        try:
            probe.is_connected()
            found = True
        except AuthError:
            found = True  # a JSON 401 from /public/v1: that is Postiz
        except PostizError:
            found = False
        finally:
            probe.close()
        if found:
            return f"the Postiz public API answers at {candidate}: set POSTIZ_API_URL={candidate}"
    return None


def _hms(when: datetime) -> str:
    return when.strftime("%H:%M:%S")


def failed(checks: list[Check], strict: bool = False) -> bool:
    bad = {FAIL, WARN} if strict else {FAIL}
    return any(c.status in bad for c in checks)
