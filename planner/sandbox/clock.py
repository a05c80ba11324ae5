"""Dates as Postiz parses and prints them (docs/postiz-api.md §4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# validator.js `isISO8601` (non-strict), which class-validator's IsDateString uses.
_ISO8601 = re.compile(
    r"^([\+-]?\d{4}(?!\d{2}\b))((-?)((0[1-9]|1[0-2])(\3([12]\d|0[1-9]|3[01]))?|W([0-4]\d|5[0-3])(-?[1-7])?"
    r"|(00[1-9]|0[1-9]\d|[12]\d{2}|3([0-5]\d|6[1-6])))([T\s]((([01]\d|2[0-3])((:?)[0-5]\d)?|24:?00)"
    r"([\.,]\d+(?!:))?)?(\17[0-5]\d([\.,]\d+)?)?([zZ]|([\+-])([01]\d|2[0-3]):?([0-5]\d)?)?)?)?$"
)


def is_iso8601(value: object) -> bool:
    return isinstance(value, str) and bool(_ISO8601.match(value))


def parse_ms(value: str) -> int | None:
    """Epoch milliseconds of an ISO string; no offset means UTC (dayjs.utc on a TZ=UTC server)."""
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def iso_ms(ms: int) -> str:
    """`2026-09-01T10:00:00.000Z`: how Prisma dates serialise."""
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def zoneless(ms: int) -> str:
    """`2026-09-01T10:00:00`: the zone-less UTC string of find-slot and PUT settings."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def human_minute(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")
