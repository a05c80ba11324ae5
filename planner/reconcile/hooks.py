"""Test-only crash points: `CLIPER_SCHED_TEST_KILL_AT="before-request:3"`.

When set, the process SIGKILLs itself the 3rd time it reaches the named point,
so tests can prove that a crash anywhere converges on the next run. Points:
before-request / after-request (every mutating request the executor sends)
and before-state-write / after-state-write. Never set this outside tests.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def point(name: str) -> None:
    spec = os.environ.get("CLIPER_SCHED_TEST_KILL_AT")
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
