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
    """Prime `budget` with what earlier runs learnt, and keep the file up to date on a
    block: a 429 is written down the moment it is seen, whatever the command, so no
    later run (even after a crash) sends a counted request into the block."""
    keeper = _Keeper(budget, api_url)
    if keeper not in budget.on_block:
        budget.on_block.append(keeper)
    path = cache_file(api_url)
    try:
        data = json.loads(path.read_text("utf-8"))
        budget.restore(data)
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return  # no cache yet, or unreadable: start from the assumed limit


class _Keeper:
    """Writes a budget to its cache file; equal for the same budget and server."""

    def __init__(self, budget, api_url: str):
        self.budget, self.api_url = budget, api_url

    def __call__(self) -> None:
        save(self.budget, self.api_url)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, _Keeper) and other.budget is self.budget
                and other.api_url == self.api_url)

    __hash__ = None  # type: ignore[assignment]


def save(budget, api_url: str) -> None:
    try:
        atomic_write_text(cache_file(api_url), json.dumps(budget.snapshot(), sort_keys=True) + "\n")
    except OSError:
        pass  # a read-only home must not fail an apply; the server's headers still guide us
