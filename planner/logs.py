"""Logging for `cliper-sched -v` / `-vv`: a trace a maintainer can read in a bug report.

Modules log through the standard library, octoDNS style:

    import logging
    log = logging.getLogger(__name__)
    log.info("adopted %s", key)        # shown with -v
    log.debug("budget: %d left", n)    # shown with -vv

`setup(verbosity)` (called by the CLI) sends every record of the `planner`
logger tree to stderr, one short line each (`cliper-sched: ...`): warnings
always, info with `-v` (or CLIPER_SCHED_LOG=info), debug with `-vv` (or
CLIPER_SCHED_LOG=debug). stdout is never touched: it carries plans and --json.
No colour, ever. Other libraries' loggers (urllib3, werkzeug) are left alone.

Every secret handed to `add_secret` (the client adds its API key) is redacted
from each line the handler writes, tracebacks included, whatever logged it, in
every form `planner.postiz.errors.redact` knows: any letter case, any run of 8
or more of its characters, URL-encoded, base64.
"""

from __future__ import annotations

import logging
import os
import sys

from planner.postiz.errors import redact

ROOT = "planner"  # the logger every planner.* module's logger propagates to
PREFIX = "cliper-sched"
ENV = "CLIPER_SCHED_LOG"
ENV_LEVELS = {"": 0, "warning": 0, "info": 1, "debug": 2}

_secrets: set[str] = set()
_said: set[str] = set()  # wrong CLIPER_SCHED_LOG values already warned about


def add_secret(secret: str | None) -> None:
    """Never let `secret` reach a log line, in any form (see `scrub`), nor the key alone of a
    `Bearer KEY` value."""
    if not secret:
        return
    _secrets.add(secret)
    bare = secret.split()[-1] if secret.split() else ""
    if bare and bare != secret:
        _secrets.add(bare)  # `Bearer KEY` given: the key alone must not show either


def scrub(text: str) -> str:
    """`text` with every registered secret replaced by <redacted> (longest first): also in
    another letter case, cut to 8 or more characters, URL-encoded or base64-encoded."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = redact(text, secret)
    return text


class RedactingFormatter(logging.Formatter):
    """`cliper-sched: message`, `cliper-sched: warning: message`; secrets redacted."""

    def __init__(self) -> None:
        super().__init__(f"{PREFIX}: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)  # message, then traceback and stack if any
        if record.levelno >= logging.WARNING:
            text = text.replace(f"{PREFIX}: ", f"{PREFIX}: {record.levelname.lower()}: ", 1)
        return scrub(text)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)  # not StreamHandler's: it would pin today's stderr

    @property
    def stream(self):
        return sys.stderr


def level_for(verbosity: int) -> int:
    if verbosity >= 2:
        return logging.DEBUG
    if verbosity == 1:
        return logging.INFO
    return logging.WARNING


def env_verbosity(environ: dict | None = None) -> int:
    """What CLIPER_SCHED_LOG asks for (0 when unset); a wrong value is said, then ignored."""
    raw = (os.environ if environ is None else environ).get(ENV, "")
    value = raw.strip().lower()
    if value in ENV_LEVELS:
        return ENV_LEVELS[value]
    if raw not in _said:
        _said.add(raw)
        from planner.term import warn

        warn(f"{ENV}={raw!r} is not one of info, debug: ignored")
    return 0


def setup(verbosity: int = 0, *, environ: dict | None = None) -> int:
    """Send planner's log records to stderr at the level -v/-vv (or CLIPER_SCHED_LOG) asks.

    Safe to call again (the CLI does, once per `-v` it finds): the one handler is
    kept and only the level changes. Returns the verbosity in force.
    """
    verbosity = max(verbosity, env_verbosity(environ))
    logger = logging.getLogger(ROOT)
    handler = next((h for h in logger.handlers if isinstance(h, StderrHandler)), None)
    if handler is None:
        handler = StderrHandler()
        handler.setFormatter(RedactingFormatter())
        logger.addHandler(handler)
    level = level_for(verbosity)
    handler.setLevel(level)
    # Without -v the logger's own level is left alone (NOTSET: whatever the root
    # says), so a test's caplog.set_level still sees planner's records.
    if verbosity > 0:
        logger.setLevel(level)
    else:
        logger.setLevel(logging.NOTSET)
    return verbosity
