"""Progress of a long apply: lines for logs and CI; on a terminal a progress bar
with an honest ETA and the countdown of a rate-limit wait."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from planner.commands.views import duration
from planner.reconcile.executor import Reporter
from planner.term import is_interactive, paint, safe


class LineReporter(Reporter):
    """Plain lines (logs, CI) or, on a terminal, lines plus a progress bar with an ETA."""

    def __init__(self, *, err: bool = False, quiet: bool = False):
        self.err = err
        self.quiet = quiet
        self.tty = is_interactive(sys.stderr if err else sys.stdout)
        self._bar_shown = False
        self._last_bar = ""

    def _echo(self, text: str, nl: bool = True) -> None:
        if not self.quiet:
            click.echo(text, err=self.err, nl=nl)

    def _clear_bar(self) -> None:
        if self._bar_shown:
            self._echo("\r\033[K", nl=False)
            self._bar_shown = False

    def step(self, message: str) -> None:
        self._clear_bar()
        self._echo(safe(message))  # quotes addresses and Postiz's messages: escaped

    def progress(self, done: int, total: int, eta_seconds: float | None) -> None:
        if not self.tty or self.quiet or total == 0:
            return
        width = 30
        filled = int(width * done / total)
        eta = f" ETA {duration(eta_seconds)}" if eta_seconds else ""
        self._clear_bar()
        self._last_bar = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}{eta}"
        self._echo(self._last_bar, nl=False)
        self._bar_shown = True

    def waiting(self, until: datetime) -> None:
        self._clear_bar()
        local = until.astimezone().strftime("%H:%M:%S")
        self._echo(paint(f"Rate-limit budget spent: waiting until {local} before the next create/edit "
                         "request (Ctrl-C stops safely; re-run apply later).", "yellow"))

    def tick(self, seconds_left: float) -> None:
        if self.tty:
            self._echo(f"\r\033[K  {self._last_bar}  resuming in {duration(seconds_left)}", nl=False)

    def resumed(self) -> None:
        if self.tty:
            self._echo("\r\033[K", nl=False)
