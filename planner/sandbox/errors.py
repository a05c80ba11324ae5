"""Postiz's error body families (docs/postiz-api.md §3.2), raised by handlers, rendered by the app."""

from __future__ import annotations


class HttpError(Exception):
    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


_REASON = {400: "Bad Request", 404: "Not Found", 413: "Payload Too Large"}


def nest(status: int, message) -> HttpError:
    """Families A and B: `{"message": …, "error": "Bad Request", "statusCode": 400}`."""
    return HttpError(status, {"message": message, "error": _REASON[status], "statusCode": status})


def msg(status: int, text: str) -> HttpError:
    """Family C: Postiz's own `{"msg": …}` bodies."""
    return HttpError(status, {"msg": text})


def post_validation(identifier: str, name: str, message: str) -> HttpError:
    """Family D: `validatePosts` failures."""
    return HttpError(400, {"statusCode": 400, "provider": identifier, "name": name, "message": message})


def internal() -> HttpError:
    """Family F: Nest's generic 500, the underlying error is never exposed."""
    return HttpError(500, {"statusCode": 500, "message": "Internal server error"})


def not_found_route(method: str, path: str) -> HttpError:
    return nest(404, f"Cannot {method} {path}")
