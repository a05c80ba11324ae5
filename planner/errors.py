"""Errors a user can act on, and the exit codes the CLI documents.

Every error that comes from bad input says where (file, line, path inside the
document) and how to fix it; the CLI prints it without a traceback.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from planner.textsafe import printable

# Exit codes (documented in the README, section "Exit codes").
EXIT_OK = 0
EXIT_ERROR = 1  # bad input, refused request, server or network error
EXIT_CHANGES = 2  # `diff --detailed-exitcode`: the plan has changes
EXIT_BUDGET = 3  # `apply --no-wait`: rate-limit budget spent, re-run later
EXIT_PARTIAL = 4  # `apply`: finished, but Postiz refused some posts
EXIT_INTERRUPTED = 130


@dataclass
class Problem:
    """One located problem: `file:line: path: message` plus an optional hint."""

    message: str
    file: str | None = None
    path: str | None = None  # e.g. "posts[7].at"
    line: int | None = None
    hint: str | None = None
    severity: str = "error"  # "error" | "warning"

    def render(self) -> str:
        """`file:line: path: message` + hint, safe to print: a message or a path may quote
        a plan or a workspace, so their control characters are shown escaped (one line
        each; only the hint, written by this program, may span lines)."""
        where = ""
        if self.file:
            where = printable(self.file)
            if self.line:
                where += f":{self.line}"
            where += ": "
        if self.path:
            where += f"{printable(self.path)}: "
        text = f"{where}{printable(self.message)}"
        if self.hint:
            text += f"\n  hint: {printable(self.hint, multiline=True)}"
        return text

    def as_dict(self) -> dict:
        return {
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }


class CliperError(Exception):
    """Base of every error the CLI reports without a traceback."""

    exit_code = EXIT_ERROR

    def render(self) -> str:
        return str(self)


class UserError(CliperError):
    """Bad input: one or more located problems."""

    def __init__(self, message: str | None = None, *, problems: list[Problem] | None = None,
                 file: str | None = None, path: str | None = None, line: int | None = None,
                 hint: str | None = None):
        self.problems = list(problems or [])
        if message is not None:
            self.problems.insert(0, Problem(message, file=file, path=path, line=line, hint=hint))
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


# Keyed by `OSError.errno`, which is None for an error the OS did not number.
_WRITE_FIXES: dict[int | None, str] = {
    errno.ENOSPC: "free some disk space",
    errno.EDQUOT: "free some space within your disk quota",
    errno.EFBIG: "raise the file size limit (ulimit -f)",
}


def write_failed(file: str, what: str, exc: OSError, outcome: str) -> UserError:
    """The system refused to write `file` (disk full, read-only folder, ...): say so, what
    `outcome` that had, and what to do, without a traceback."""
    fix = _WRITE_FIXES.get(exc.errno, "make sure its folder exists and is writable")
    return UserError(f"cannot write {what} ({exc.strerror or exc})", file=file,
                     hint=f"{outcome}; {fix}, then run the command again")
