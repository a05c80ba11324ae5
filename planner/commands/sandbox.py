"""`cliper-sched sandbox`: a local Postiz-compatible API server for trying and testing."""

from __future__ import annotations

import signal
import sqlite3
import sys

import click

from planner.errors import UserError


def _parse_channel(value: str) -> tuple[str, str]:
    from planner.sandbox.server import PROVIDERS

    provider, sep, name = value.partition(":")
    if not sep or not provider or not name:
        raise click.BadParameter(f"{value!r}: write PROVIDER:NAME, e.g. youtube:youtube-shorts",
                                 param_hint="--channel")
    if provider not in PROVIDERS:
        raise click.BadParameter(f"unknown provider {provider!r}; known: {', '.join(PROVIDERS)}",
                                 param_hint="--channel")
    return provider, name


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@click.command(help=(
    "Run a local server that speaks the Postiz public API (for trying the full loop "
    "without Docker, and for tests). Point cliper-sched at it with the POSTIZ_API_URL it prints."
))
@click.option("--port", type=int, default=8765, show_default=True,
              help="Port to listen on (0: any free port). Not 5000, which the Postiz compose stack uses.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default="sandbox.db", show_default=True,
              help="SQLite file holding channels, posts, uploads and the key; reused across restarts.")
@click.option("--api-key", default=None, help="API key to accept (default: the stored one, or a new random one).")
@click.option("--limit", type=click.IntRange(min=0), default=30, show_default=True,
              help="Counted POST /posts per hour, like API_LIMIT in Postiz's compose file.")
@click.option("--channel", "channels", multiple=True, metavar="PROVIDER:NAME",
              help="Add a channel (repeatable). Default on a new db: one each of tiktok, youtube, instagram, x, linkedin.")
@click.option("--compat", type=click.Choice(["main", "v2.23.0"]), default="main", show_default=True,
              help="Behave like current Postiz main or like release v2.23.0.")
@click.option("--frontend-url", metavar="URL", help="Like Postiz's FRONTEND_URL: the base of uploaded media "
              "paths (default: this server's address, as the compose default's localhost). Files are served "
              "here either way; use it to see what apply and doctor say of a public https media URL.")
@click.option("--quiet", is_flag=True, help="Do not log requests.")
def command(port, host, db_path, api_key, limit, channels, compat, frontend_url, quiet):
    from planner.sandbox.server import SandboxServer

    parsed = [_parse_channel(c) for c in channels] or None
    try:
        server = SandboxServer(db_path, api_key=api_key, limit=limit, channels=parsed, compat=compat,
                               host=host, port=port, verbose=not quiet, frontend_url=frontend_url)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                        hint="pick another --port, or stop the process using it") from None
    except sqlite3.Error as exc:
        raise UserError(f"{db_path}: cannot use it as the sandbox database ({exc})",
                        hint="give --db a new file name (it is created), or the file an earlier "
                        "`cliper-sched sandbox` made") from None
    click.echo(f"Postiz sandbox ({compat}) listening on {server.base_url}, state in {db_path}")
    click.echo("Point cliper-sched at it (in another terminal):")
    click.echo(f"  export POSTIZ_API_URL={server.api_url}")
    if api_key:
        # Never echoed: it was given on the command line, so the user already has it.
        click.echo("  export POSTIZ_API_KEY=<the key you gave with --api-key>")
    else:
        # A sandbox-only key, generated on first start and kept in the db file; shown on
        # every start so a restart does not leave a newcomer without it.
        click.echo(f"  export POSTIZ_API_KEY={server.api_key}")
    click.echo("  cliper-sched channels")
    click.echo(f"Channels ({len(server.store.channels())}):")
    for ch in server.store.channels():
        click.echo(f"  channel {ch['id']}  {ch['identifier']:<10} {ch['name']}")
    click.echo(f"Rate limit: {limit} create/edit requests per hour. Press Ctrl-C to stop "
               "(state is kept; start again with the same --db to continue).", err=True)
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    try:
        server.serve_forever()  # Werkzeug returns from here on Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    click.echo("Sandbox stopped.", err=True)
