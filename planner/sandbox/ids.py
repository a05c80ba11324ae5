"""Identifiers in the formats Postiz uses (docs/postiz-api.md §3.4)."""

from __future__ import annotations

import itertools
import os
import secrets
import threading
import time
import uuid

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_counter = itertools.count(secrets.randbelow(36**4))
_counter_lock = threading.Lock()
_FINGERPRINT = None


def _base36(n: int, width: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = _BASE36[r] + out
    return out.rjust(width, "0")[-width:]


def cuid() -> str:
    """A 25-char cuid like Prisma's `cuid()`: c + time + counter + host + random."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        _FINGERPRINT = _base36(os.getpid() * 1000 + secrets.randbelow(1000), 4)
    with _counter_lock:
        count = next(_counter) % (36**4)
    return (
        "c"
        + _base36(int(time.time() * 1000), 8)
        + _base36(count, 4)
        + _FINGERPRINT
        + _base36(secrets.randbits(41), 8)
    )


def uuid4() -> str:
    return str(uuid.uuid4())


def api_key() -> str:
    """64 lowercase hex chars, the shape of a Postiz organisation key."""
    return secrets.token_hex(32)


def upload_name() -> str:
    return secrets.token_hex(16)
