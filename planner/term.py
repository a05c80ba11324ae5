"""Terminal presentation: colour only for humans (TTY, no NO_COLOR, not TERM=dumb),
and `safe` for any text that came from outside (plan, workspace, Postiz)."""

from __future__ import annotations

import os
import sys
from typing import TextIO

import click

from planner.textsafe import printable


def use_color(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    if "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != "":
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, fg: str | None = None, bold: bool = False, *, stream: TextIO | None = None) -> str:
    if not use_color(stream):
        return text
    return click.style(text, fg=fg, bold=bold)


def is_interactive(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdin
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def safe(text: str, *, multiline: bool = False) -> str:
    """Text that came from a plan, a workspace or Postiz, ready to print: control
    characters (ANSI escapes, \\r, C1, bidi overrides) shown as escapes (planner.textsafe).
    `multiline`: keep line feeds, for a text of several lines this program composed."""
    return printable(text, multiline=multiline)


def warn(message: str) -> None:
    click.echo(paint("Warning: ", "yellow", True, stream=sys.stderr) + safe(message, multiline=True), err=True)
