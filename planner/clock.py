"""What time it is, for every command and layer.

`--now` and the CLIPER_SCHED_NOW environment variable pretend it is another
moment (tests, dry runs, reproducible examples). Everything that needs the
time asks `now()`, so that override holds everywhere alike.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from planner.errors import UserError

NOW_ENV = "CLIPER_SCHED_NOW"


def now(override: str | None = None) -> datetime:
    """The current time, timezone-aware; or the moment `override` (a --now value)
    or else CLIPER_SCHED_NOW gives, in ISO 8601 (without an offset: UTC)."""
    text = override or os.environ.get(NOW_ENV)
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise UserError(f"{NOW_ENV}/--now {text!r} is not an ISO 8601 date and time",
                        hint="e.g. 2026-11-30T12:00:00+00:00") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
