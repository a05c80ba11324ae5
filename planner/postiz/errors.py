"""Typed errors of the Postiz client, each saying what happened and how to fix it.

Every message is built by the client after redaction (`redact`), so the API key
never reaches a terminal, a log or a state file, even through an error.
"""

from __future__ import annotations

from datetime import UTC, datetime

from planner.errors import EXIT_BUDGET, CliperError

REDACTED = "<redacted>"


def redact(text: str, secret: str | None) -> str:
    """Remove the secret from text (also its URL-encoded form, as in a URL)."""
    if not secret:
        return text
    from urllib.parse import quote

    for form in {secret, quote(secret, safe=""), quote(secret)}:
        if form:
            text = text.replace(form, REDACTED)
    return text


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
