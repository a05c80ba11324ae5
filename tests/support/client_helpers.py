"""Constants and small helpers shared by the client tests (imported, not fixtures)."""

from __future__ import annotations

from planner.sandbox.controls import Controls

# Recognisable, so a test can prove it never leaks into a message.
KEY = "SECRET-KEY-do-not-print-7f3a9c"
CHANNELS = [("linkedin", "Acme LinkedIn"), ("x", "Acme X"), ("youtube", "Acme Clips")]


def root_url(server) -> str:
    """The sandbox root (without `/api`), where its `/_sandbox/` controls live."""
    return server.api_url.rsplit("/api", 1)[0]


def controls(server) -> Controls:
    """The sandbox's test controls (outside the Postiz API)."""
    return Controls(root_url(server))


def control(server, verb: str, path: str, payload: dict | None = None):
    """Call a sandbox test control: `verb /_sandbox/<path>`."""
    return controls(server).call(verb, path, payload)


def channel_ids(client) -> dict[str, str]:
    return {c.provider: c.id for c in client.list_channels()}
