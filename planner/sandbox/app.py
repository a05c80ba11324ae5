"""The WSGI application: routing, body parsing, auth, throttling, faults.

Request order follows Postiz (docs/postiz-api.md §2.2, §8.3): unknown route -> Nest 404
without auth; JSON body parser (400/413) before auth; auth (401) before the
throttler; the throttler counts before any validation.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import filetype
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import Map, Rule
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from planner.sandbox import ids, posts, ratelimit
from planner.sandbox.clock import iso_ms, parse_ms
from planner.sandbox.errors import HttpError, internal, msg, nest, not_found_route
from planner.sandbox.faults import Faults
from planner.sandbox.schemas import integration_settings
from planner.sandbox.store import Store

JSON_LIMIT = 100 * 1024  # body-parser's default `100kb`
ALLOWED_UPLOADS = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
    "image/avif": "avif", "image/bmp": "bmp", "image/tiff": "tif", "video/mp4": "mp4",
}
IMAGE_MAX, VIDEO_MAX = 10 * 1024 * 1024, 1024 * 1024 * 1024
CONTENT_TYPE = "application/json; charset=utf-8"

PUBLIC = Map([
    Rule("/public/v1/integrations", methods=["GET"], endpoint="integrations"),
    Rule("/public/v1/integration-settings/<id>", methods=["GET"], endpoint="integration_settings"),
    Rule("/public/v1/is-connected", methods=["GET"], endpoint="is_connected"),
    Rule("/public/v1/find-slot/<id>", methods=["GET"], endpoint="find_slot"),
    Rule("/public/v1/groups", methods=["GET"], endpoint="groups"),
    Rule("/public/v1/upload", methods=["POST"], endpoint="upload"),
    Rule("/public/v1/posts", methods=["GET"], endpoint="list_posts"),
    Rule("/public/v1/posts", methods=["POST"], endpoint="create_posts"),
    Rule("/public/v1/posts/group/<group>", methods=["DELETE"], endpoint="delete_group"),
    Rule("/public/v1/posts/<id>", methods=["DELETE"], endpoint="delete_post"),
    Rule("/public/v1/posts/<id>/status", methods=["PUT"], endpoint="post_status"),
    Rule("/public/v1/posts/<id>/settings", methods=["PUT"], endpoint="post_settings"),
], strict_slashes=False)

CONTROL = Map([
    Rule("/_sandbox/clock", methods=["GET", "POST"], endpoint="clock"),
    Rule("/_sandbox/publish", methods=["POST"], endpoint="publish"),
    Rule("/_sandbox/worker", methods=["GET", "POST"], endpoint="worker"),
    Rule("/_sandbox/posts", methods=["GET"], endpoint="all_posts"),
    Rule("/_sandbox/posts/<id>/dashboard-edit", methods=["POST"], endpoint="dashboard_edit"),
    Rule("/_sandbox/posts/<id>/drag", methods=["POST"], endpoint="drag"),
    Rule("/_sandbox/posts/<id>/duplicate", methods=["POST"], endpoint="duplicate"),
    Rule("/_sandbox/posts/<id>/publish", methods=["POST"], endpoint="publish_one"),
    Rule("/_sandbox/posts/<id>/fail", methods=["POST"], endpoint="fail"),
    Rule("/_sandbox/channels", methods=["GET", "POST"], endpoint="channels"),
    Rule("/_sandbox/channels/<id>", methods=["PATCH", "POST"], endpoint="channel"),
    Rule("/_sandbox/ratelimit", methods=["GET", "DELETE"], endpoint="ratelimit"),
    Rule("/_sandbox/faults", methods=["GET", "POST", "DELETE"], endpoint="faults"),
], strict_slashes=False)


def json_response(status: int, body, headers: dict | None = None) -> Response:
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    response = Response(data.encode(), status=status, content_type=CONTENT_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class SandboxApp:
    def __init__(self, store: Store, api_key: str, limit: int, compat: str, base_url_getter):
        self.store, self.api_key, self.limit, self.compat = store, api_key, limit, compat
        self.base_url = base_url_getter
        self.faults = Faults()
        self.find_slot_hang_seconds = 10.0
        # Postiz's FRONTEND_URL: the base of every upload `path` (docs/postiz-api.md §6.3).
        # None: this server's own address (loopback, as the compose default's localhost is).
        self.frontend_url: str | None = None
        self.ranges = True  # whether /uploads/ answers Range requests with 206 (nginx does)
        # Postiz's publishing worker: stopped, posts whose time passes stay QUEUE (a worker
        # that is down or behind); /_sandbox/publish still runs one pass by hand.
        self.worker_running = True

    def clock_seconds(self) -> float:
        """The sandbox's clock in epoch seconds: what its `Date` header says (server.py).
        Real time only for an answer racing `stop()`, once the database is closed."""
        try:
            return self.store.now_ms() / 1000
        except sqlite3.ProgrammingError:
            return time.time()

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HttpError as err:
            response = json_response(err.status, err.body, err.headers)
        except Exception:  # a sandbox bug answers like Nest's generic 500; the trace goes to stderr
            traceback.print_exc()
            response = json_response(500, internal().body)
        if environ.get("sandbox.drop"):  # whatever the answer was, the client never hears it
            _drop_connection(environ)
        return response(environ, start_response)

    # -- dispatch --------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/api/public/v1/") or path == "/api/public/v1":
            path = path[len("/api"):]  # what nginx does in the Docker image
        if path.startswith("/uploads/"):
            return self.serve_upload(request, path[len("/uploads/"):])
        if self.worker_running:
            posts.publish_due(self.store)  # lazily: whatever came due since the last request
        if path.startswith("/_sandbox/"):
            return self.control(request, path)
        for fault in self.faults.match(request.method, path):
            if fault.action == "error" and fault.status == 500:
                return json_response(500, internal().body)
            if fault.action == "error":  # what nginx in front of Postiz says
                title = f"{fault.status} {HTTP_STATUS_CODES[fault.status]}"
                page = f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1>"
                return Response(page + "</center><hr><center>nginx</center></body></html>\n",
                                status=fault.status, content_type="text/html")
            if fault.action == "delay":
                time.sleep(fault.seconds)
            if fault.action == "drop":
                request.environ["sandbox.drop"] = True
        adapter = PUBLIC.bind("sandbox", path_info=path)
        try:
            endpoint, args = adapter.match(path, method=request.method)
        except HTTPException:
            query = request.query_string.decode("latin-1")
            raise not_found_route(request.method, path + (f"?{query}" if query else "")) from None
        if endpoint == "post_settings" and self.compat == "v2.23.0":
            raise not_found_route(request.method, path)  # the route does not exist there
        body = self.parse_json(request)
        self.authenticate(request)
        headers: dict[str, str] = {}
        if endpoint == "create_posts":
            verdict = ratelimit.hit(self.store, self.limit)
            if not verdict.allowed:
                raise HttpError(429, {"statusCode": 429, "message": "ThrottlerException: Too Many Requests"},
                                verdict.headers)
            headers = verdict.headers
        try:
            status, result = getattr(self, "on_" + endpoint)(request, body, **args)
        except HttpError as err:
            err.headers = {**headers, **err.headers}  # counted 400s carry the headers too
            raise
        return json_response(status, result, headers)

    def parse_json(self, request: Request):
        if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
            return {}
        data = request.get_data(cache=True)
        if len(data) > JSON_LIMIT:
            raise HttpError(413, {"statusCode": 413, "message": "request entity too large"})
        if not data.strip():
            return {}
        try:
            body = json.loads(data)
        except (ValueError, UnicodeDecodeError) as err:
            position = getattr(err, "pos", 0)
            raise nest(400, f"Unexpected token in JSON at position {position}") from None
        if not isinstance(body, dict | list):  # body-parser's strict mode
            raise nest(400, f"Unexpected token in JSON at position 0: {data[:20]!r} is not an object")
        return body

    def authenticate(self, request: Request) -> None:
        key = request.headers.get("Authorization")
        if not key:
            raise msg(401, "No API Key found")
        if key.startswith("pos_"):
            raise msg(401, "Invalid OAuth token")
        if key != self.api_key:
            raise msg(401, "Invalid API key")

    # -- public routes ---------------------------------------------------------
    def on_integrations(self, request, body):
        group = request.args.get("group")
        out = []
        for ch in self.store.channels():
            if group and ch["customer_id"] != group:
                continue
            item = {"id": ch["id"], "name": ch["name"], "identifier": ch["identifier"],
                    "picture": ch["picture"], "disabled": bool(ch["disabled"]), "profile": ch["profile"]}
            if ch["customer_id"]:
                item["customer"] = {"id": ch["customer_id"], "name": ch["customer_name"]}
            out.append(item)
        return 200, out

    def on_integration_settings(self, request, body, id):
        channel = self.store.channel(id, include_deleted=True)
        if channel is None:
            raise msg(404, "Integration not found")
        return 200, integration_settings(channel["identifier"], bool(channel["verified"]), self.compat)

    def on_is_connected(self, request, body):
        return 200, {"connected": True}

    def on_groups(self, request, body):
        seen = {}
        for ch in self.store.channels():
            if ch["customer_id"]:
                seen.setdefault(ch["customer_id"], {"id": ch["customer_id"], "name": ch["customer_name"]})
        return 200, list(seen.values())

    def on_find_slot(self, request, body, id):
        channel = self.store.channel(id)
        if channel is None or channel["disabled"]:
            # Postiz recurses for ever here (docs/postiz-api.md §5.4); we give up after a bounded wait.
            time.sleep(self.find_slot_hang_seconds)
            raise internal()
        return 200, posts.find_slot(self.store, channel)

    def on_upload(self, request, body):
        for name in request.files:
            if name != "file":
                raise nest(400, f"Unexpected field - {name}")
        upload = request.files.get("file")
        if upload is None:
            raise msg(400, "No file provided")
        # Werkzeug spools big parts to a temporary file; sniff the head, measure by seeking,
        # and copy the file in chunks, so memory stays flat whatever the size.
        stream = upload.stream
        head = stream.read(8192)
        stream.seek(0, 2)
        size = stream.tell()
        if not size:
            raise nest(400, "Invalid file upload.")
        kind = filetype.guess(head)
        mime = kind.mime if kind else None
        if mime not in ALLOWED_UPLOADS:
            raise nest(400, "Unsupported file type.")
        limit = VIDEO_MAX if mime.startswith("video/") else IMAGE_MAX
        if size > limit:
            raise nest(400, f"File size exceeds the maximum allowed size of {limit} bytes.")
        now = datetime.fromtimestamp(self.store.now_ms() / 1000, UTC)
        name = f"{ids.upload_name()}.{ALLOWED_UPLOADS[mime]}"
        rel_path = f"{now:%Y/%m/%d}/{name}"
        media_id = ids.uuid4()
        stream.seek(0)
        _save_stream(stream, self.store.uploads_dir / rel_path)
        with self.store.tx():
            self.store.add_media(media_id, rel_path, mime)
        return 201, {"id": media_id, "name": name, "originalName": None,
                     "path": f"{self.upload_base()}/uploads/{rel_path}", "thumbnail": None, "alt": None}

    def upload_base(self) -> str:
        return (self.frontend_url or self.base_url()).rstrip("/")

    def on_list_posts(self, request, body):
        return 200, posts.list_posts(self.store, request.args, self.compat)

    def on_create_posts(self, request, body):
        # Not atomic, like Postiz: entries written before a failing one (republish
        # guard) stay written, so the transaction commits before the error goes out.
        failure = None
        with self.store.tx():
            try:
                result = posts.create_or_edit(self.store, body, self.compat)
            except HttpError as err:
                failure = err
        if failure:
            raise failure
        return 201, result

    def on_delete_post(self, request, body, id):
        with self.store.tx():
            return 200, posts.delete_by_id(self.store, id)

    def on_delete_group(self, request, body, group):
        with self.store.tx():
            return 200, posts.delete_group(self.store, group)

    def on_post_status(self, request, body, id):
        with self.store.tx():
            return 200, posts.change_status(self.store, id, body if isinstance(body, dict) else {})

    def on_post_settings(self, request, body, id):
        with self.store.tx():
            return 200, posts.update_settings(self.store, id, body if isinstance(body, dict) else {},
                                              self.compat)

    def serve_upload(self, request: Request, rel_path: str) -> Response:
        found = self.store.media_file(rel_path)
        if found is None or (isinstance(found[1], Path) and not found[1].is_file()):
            return Response(b"Not Found", status=404, content_type="text/plain")
        mime, data = found
        # A byte range is answered 206, as nginx serves /uploads/: providers read videos in ranges.
        if not isinstance(data, bytes):
            return send_file(data, request.environ, mimetype=mime, conditional=self.ranges)
        response = Response(data, status=200, content_type=mime)
        if self.ranges:
            response.make_conditional(request.environ, accept_ranges=True, complete_length=len(data))
        return response

    # -- test controls -----------------------------------------------------------
    def control(self, request: Request, path: str) -> Response:
        try:
            endpoint, args = CONTROL.bind("sandbox").match(path, method=request.method)
        except HTTPException:
            return json_response(404, {"error": f"no sandbox control {request.method} {path}"})
        body = request.get_json(silent=True) or {}
        try:
            status, result = getattr(self, "ctl_" + endpoint)(request, body, **args)
        except (ValueError, TypeError, KeyError) as err:
            return json_response(400, {"error": str(err)})
        return json_response(status, result)

    def ctl_clock(self, request, body):
        if request.method == "POST":
            if "now" in body:
                target = parse_ms(str(body["now"]))
                if target is None:
                    raise ValueError("now must be an ISO 8601 date")
                self.store.set_now_ms(target)
            elif "advance_seconds" in body:
                self.store.set_now_ms(self.store.now_ms() + int(float(body["advance_seconds"]) * 1000))
            else:
                raise ValueError('send {"advance_seconds": N} or {"now": "<iso>"}')
        return 200, {"now": iso_ms(self.store.now_ms())}

    def ctl_worker(self, request, body):
        if request.method == "POST":
            if not isinstance(body.get("running"), bool):
                raise ValueError('send {"running": false} to stop the worker, {"running": true} to start it')
            self.worker_running = body["running"]
        return 200, {"running": self.worker_running}

    def ctl_publish(self, request, body):
        return 200, posts.publish_due(self.store)

    def ctl_publish_one(self, request, body, id):
        with self.store.tx():
            row = self.store.post(id)
            if row is None:
                return 404, {"error": f"no post {id}"}
            return 200, posts.publish_group(self.store, row)

    def ctl_all_posts(self, request, body):
        return 200, {"posts": [posts.dump_row(r) for r in self.store.all_posts()]}

    def ctl_fail(self, request, body, id):
        return self._dashboard(posts.fail, id, body, 200)

    def ctl_dashboard_edit(self, request, body, id):
        return self._dashboard(posts.dashboard_edit, id, body, 200)

    def ctl_drag(self, request, body, id):
        return self._dashboard(posts.drag, id, body, 200)

    def ctl_duplicate(self, request, body, id):
        return self._dashboard(posts.duplicate, id, body, 201)

    def _dashboard(self, action, id, body, status):
        """A simulated dashboard action, in one transaction; its HttpError is the answer."""
        try:
            with self.store.tx():
                return status, action(self.store, id, body if isinstance(body, dict) else {})
        except HttpError as err:
            return err.status, err.body

    def ctl_channels(self, request, body):
        if request.method == "POST":
            customer = body.get("customer")
            channel = self.store.add_channel(
                str(body["provider"]), str(body["name"]), body.get("id"),
                picture=body.get("picture"), profile=body.get("profile"),
                disabled=bool(body.get("disabled", False)),
                customer=customer if isinstance(customer, dict) else None,
            )
            return 201, channel
        return 200, self.store.channels()

    def ctl_channel(self, request, body, id):
        if self.store.channel(id, include_deleted=True) is None:
            return 404, {"error": f"no channel {id}"}
        fields = {k: int(bool(v)) for k, v in body.items()
                  if k in ("disabled", "refresh_needed", "deleted", "verified")}
        if isinstance(body.get("customer"), dict):
            fields["customer_id"] = body["customer"].get("id")
            fields["customer_name"] = body["customer"].get("name")
        if "posting_times" in body:
            fields["posting_times"] = json.dumps([int(t) for t in body["posting_times"]])
        for key in ("name", "picture", "profile"):
            if key in body:
                fields[key] = body[key]
        return 200, self.store.update_channel(id, **fields)

    def ctl_ratelimit(self, request, body):
        if request.method == "DELETE":
            ratelimit.reset(self.store)
        return 200, ratelimit.status(self.store, self.limit)

    def ctl_frontend_url(self, request, body):
        """{"url": "https://media.example.com"} sets the upload paths' base (null: this server);
        {"ranges": false} makes /uploads/ ignore Range requests (200 with the whole file)."""
        if request.method == "POST":
            if "url" in body:
                url = body["url"]
                if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
                    raise ValueError("url must be an http(s) URL or null")
                self.frontend_url = url
            if "ranges" in body:
                self.ranges = bool(body["ranges"])
        return 200, {"url": self.upload_base(), "ranges": self.ranges}

    def ctl_faults(self, request, body):
        if request.method == "POST":
            return 201, self.faults.add(body).as_dict()
        if request.method == "DELETE":
            self.faults.clear()
        return 200, {"faults": self.faults.listing()}


def _save_stream(stream, target: Path) -> None:
    """Copy in chunks to a temp file, then rename: a crash never leaves half a clip."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)
    os.replace(partial, target)


def _drop_connection(environ) -> None:
    """Close the client's connection without an answer: the change already happened.

    shutdown() sends FIN at once, so the client sees a connection error rather
    than waiting for a timeout; Werkzeug's later write fails quietly (EPIPE).
    """
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
