"""Named points where a crash is most dangerous, for the kill tests.

The executor and the state file call `reached("before-request")`,
`"after-request"`, `"before-state-write"` and `"after-state-write"`. In
production nothing listens. A test harness installs a listener (e.g. one that
SIGKILLs the process at the 3rd "after-request") to prove that a crash at any
of these points converges on the next run; production code never reads a
setting to decide to crash.
"""

from __future__ import annotations

from collections.abc import Callable

_listener: Callable[[str], None] | None = None


def install(listener: Callable[[str], None] | None) -> None:
    global _listener
    _listener = listener


def reached(name: str) -> None:
    if _listener is not None:
        _listener(name)
