"""`@postiz_options`: the connection flags every Postiz-facing command shares (click glue).

    @click.command()
    @postiz_options
    def command(client: PostizClient, ...): ...

adds `--api-url`, `--api-key-file` and `--ca-bundle`, resolves them against
`POSTIZ_API_URL` / `POSTIZ_API_KEY`, warns when the key would travel in clear
text, and passes a configured `PostizClient` as `client` (closed afterwards).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from planner.postiz import config as config_mod
from planner.term import warn

URL_HELP = ("Postiz backend base URL [env POSTIZ_API_URL], e.g. http://localhost:5000/api "
            "(Docker) or https://api.postiz.com; /public/v1 is added.")
KEY_HELP = ("File holding the Postiz API key [env POSTIZ_API_KEY_FILE]; without it the key "
            "comes from env POSTIZ_API_KEY.")
CA_HELP = ("PEM file of a private CA to trust for https (REQUESTS_CA_BUNDLE works too). "
           "TLS verification is never turned off.")

TIMEOUT_HELP = ("Seconds each request to Postiz may take, connect to last byte [env POSTIZ_TIMEOUT; default 60, "
                "doctor 10]; a create left without an answer is read back, never sent twice.")
DEFAULT_TIMEOUT = 60.0
CONNECT_TIMEOUT = 5.0


def connection_options(fn: Callable) -> Callable:
    """Only the flags (for commands such as `doctor` that resolve them themselves)."""
    fn = click.option("--timeout", type=click.FloatRange(min=0.1), default=None, envvar="POSTIZ_TIMEOUT",
                      metavar="SECONDS", help=TIMEOUT_HELP)(fn)
    fn = click.option("--ca-bundle", type=click.Path(dir_okay=False), help=CA_HELP)(fn)
    fn = click.option("--api-key-file", type=click.Path(dir_okay=False), envvar="POSTIZ_API_KEY_FILE",
                      show_envvar=False, help=KEY_HELP)(fn)
    fn = click.option("--api-url", metavar="URL", help=URL_HELP)(fn)
    return fn


def resolve_config(api_url: str | None, api_key_file: str | None,
                   ca_bundle: str | None) -> config_mod.PostizConfig:
    cfg = config_mod.resolve(api_url, api_key_file, ca_bundle)
    message = cfg.cleartext_warning()
    if message:
        warn(message)
    return cfg


def postiz_options(fn: Callable) -> Callable:
    """Add the connection flags and hand the command a ready `client`."""
    from planner.postiz.client import PostizClient  # keeps `--help` light

    @functools.wraps(fn)
    def wrapper(*args: Any, api_url: str | None, api_key_file: str | None,
                ca_bundle: str | None, timeout: float | None, **kwargs: Any) -> Any:
        cfg = resolve_config(api_url, api_key_file, ca_bundle)
        timeout = timeout or DEFAULT_TIMEOUT
        client = PostizClient.from_config(cfg, timeout=(min(CONNECT_TIMEOUT, timeout), timeout))
        ctx = click.get_current_context()
        ctx.call_on_close(client.close)
        return fn(*args, client=client, **kwargs)

    return connection_options(wrapper)
