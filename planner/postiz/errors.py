"""Typed errors of the Postiz client, each saying what happened and how to fix it.

Every message is built by the client after redaction (`redact`), so the API key
never reaches a terminal, a log or a state file, even through an error.
"""

from __future__ import annotations

import base64
import functools
from datetime import UTC, datetime
from urllib.parse import quote

from planner.errors import EXIT_BUDGET, CliperError

REDACTED = "<redacted>"
FRAGMENT = 8  # any run of this many characters of a secret counts as the secret


def redact(text: str, secret: str | None) -> str:
    """Remove the secret from text, however it was mangled on the way.

    Redacted: the secret in any letter case; any run of FRAGMENT (8) or more of its
    characters (a key cut short, or split across a message); its URL-encoded form;
    and its base64, from any of the three byte alignments, so the base64 of a
    fragment is caught too. Each such run becomes `<redacted>`. A secret shorter
    than FRAGMENT is redacted whole, in any case.
    """
    if not secret or not text:
        return text
    grams, whole = _forms(secret)
    folded = text.translate(_ASCII_LOWER)  # same length as text, unlike str.lower()
    hits = bytearray(len(text) + 1)
    for form in whole:
        start = folded.find(form)
        while start >= 0:
            hits[start:start + len(form)] = b"\1" * len(form)
            start = folded.find(form, start + 1)
    if grams:
        for i in range(len(text) - FRAGMENT + 1):
            if folded[i:i + FRAGMENT] in grams:
                hits[i:i + FRAGMENT] = b"\1" * FRAGMENT
    if not any(hits):
        return text
    out, i = [], 0
    while i < len(text):
        if hits[i]:
            while hits[i]:
                i += 1
            out.append(REDACTED)
        else:
            j = hits.find(1, i)
            j = len(text) if j < 0 or j > len(text) else j
            out.append(text[i:j])
            i = j
    return "".join(out)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@functools.lru_cache(maxsize=8)
def _forms(secret: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(every FRAGMENT-long run of every form, case-folded; the short forms, whole)."""
    # `Bearer KEY`: the key's fragments are secret, not those of `Bearer ` around it.
    words = secret.split()
    parts = [w for w in words if len(w) >= FRAGMENT] if len(words) > 1 else [secret]
    forms: set[str] = set()
    for part in [*parts, secret]:
        raw = part.encode("utf-8")
        forms |= {quote(part, safe=""), quote(part)} if part in parts else set()
        for start in range(3):  # base64 of part[start:] holds the base64 of every fragment
            for encode in (base64.b64encode, base64.urlsafe_b64encode):
                encoded = encode(raw[start:]).decode("ascii").rstrip("=")
                if len(encoded) >= FRAGMENT:
                    forms.add(encoded)
    forms |= set(parts)
    folded = {f.translate(_ASCII_LOWER) for f in forms if f}
    grams = frozenset(f[i:i + FRAGMENT] for f in folded if len(f) >= FRAGMENT
                      for i in range(len(f) - FRAGMENT + 1))
    whole = {f for f in folded if len(f) < FRAGMENT}
    whole.add(secret.translate(_ASCII_LOWER))  # the secret itself, as given, any case
    return grams, tuple(sorted(whole, key=len, reverse=True))


class PostizError(CliperError):
    """Base of every error the Postiz client raises."""

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None):
        self.message = message
        self.hint = hint
        self.status = status
        super().__init__(self.render())

    def render(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message

    def scrub(self, secret: str | None) -> PostizError:
        """Redact the secret from everything this error will ever print."""
        self.message = redact(self.message, secret)
        if self.hint:
            self.hint = redact(self.hint, secret)
        self.args = (self.render(),)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class AuthError(PostizError):
    """401: the key is missing, wrong, sent with `Bearer`, or the base URL is wrong."""


class ValidationError(PostizError):
    """400: Postiz refused the request body (class-validator messages or a channel check)."""

    def __init__(self, message: str, *, messages: list[str] | None = None,
                 provider: str | None = None, channel: str | None = None,
                 hint: str | None = None, status: int | None = 400):
        self.messages = list(messages or [message])
        self.provider = provider
        self.channel = channel
        super().__init__(message, hint=hint, status=status)

    def scrub(self, secret: str | None) -> ValidationError:
        self.messages = [redact(m, secret) for m in self.messages]
        super().scrub(secret)
        return self


class NotFound(PostizError):
    """404 for a thing that does not exist (a channel id, a post)."""


class RouteNotFound(NotFound):
    """404 "Cannot GET /…": the route does not exist on this server (wrong base URL or old Postiz)."""


class ServerError(PostizError):
    """5xx: Postiz failed; the request may or may not have had an effect."""


class NetworkError(PostizError):
    """The server could not be reached; nothing was sent or the answer was lost on a safe request."""


class NotPostizError(PostizError):
    """The URL answered, but not as the Postiz public API (HTML page, redirect, other JSON)."""


class UncertainResponse(PostizError):
    """A counted POST was sent but its answer never came: it may have been carried out.

    The reconciler must read the posts back before deciding to send it again.
    """


class MediaChanged(PostizError):
    """A file to upload is not the one that was reviewed (its bytes hash differently).

    Raised by `upload` while it streams the file, before the last byte is sent, so
    Postiz never receives a complete upload of unreviewed bytes.
    """

    def __init__(self, path: str, expected: str, got: str | None, *, detail: str = ""):
        self.path = path
        self.expected = expected
        self.got = got
        now = f"sha256 {got[:12]}… now" if got else detail or "its size changed"
        super().__init__(
            f"{path}: the file changed since it was reviewed ({now}, {expected[:12]}… in the plan): "
            "not uploaded, so its posts were not sent",
            hint="if the new file is intended, review it: re-run `cliper-sched plan` (or put its "
                 "sha256 in the plan), look at `cliper-sched diff`, then apply again",
        )


class RateLimited(PostizError):
    """429: Postiz blocked the organisation; nothing may be sent until `until`."""

    exit_code = EXIT_BUDGET

    def __init__(self, retry_after: int, until: datetime, *, hint: str | None = None):
        self.retry_after = retry_after
        self.until = until
        super().__init__(
            f"Postiz rate limit reached (429): blocked for {retry_after}s, until "
            f"{_fmt(until)}",
            hint=hint or "wait until then; every request sent during the block still counts "
            "and can extend it by another hour",
            status=429,
        )


class BudgetExhausted(PostizError):
    """The local rate-limit budget says the next counted request would be refused."""

    exit_code = EXIT_BUDGET

    def __init__(self, until: datetime, *, reason: str = "rate-limit budget spent"):
        self.until = until
        super().__init__(
            f"Not sending: {reason}; the next create/edit request is allowed at {_fmt(until)}",
            hint="re-run after that time (Postiz blocks the whole organisation for an hour "
            "if a request goes over the limit)",
        )


def _fmt(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
