"""The client's rate-limit budget, kept between runs in a per-server cache file.

Postiz counts create/edit requests per organisation per hour, across runs; a
run that forgot what the previous one spent could walk into a 429 and an
hour-long block. The file holds counts and times only (no key, no URL): it is
named after a hash of the API URL. `CLIPER_SCHED_CACHE_DIR` overrides the
location (tests use it).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from planner.fsutil import atomic_write_text


def cache_dir() -> Path:
    override = os.environ.get("CLIPER_SCHED_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cliper-sched"


def cache_file(api_url: str) -> Path:
    digest = hashlib.sha256(api_url.rstrip("/").encode("utf-8")).hexdigest()[:16]
    return cache_dir() / f"budget-{digest}.json"


def restore(budget, api_url: str) -> None:
    path = cache_file(api_url)
    try:
        data = json.loads(path.read_text("utf-8"))
        budget.restore(data)
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return  # no cache yet, or unreadable: start from the assumed limit


def save(budget, api_url: str) -> None:
    try:
        atomic_write_text(cache_file(api_url), json.dumps(budget.snapshot(), sort_keys=True) + "\n")
    except OSError:
        pass  # a read-only home must not fail an apply; the server's headers still guide us
