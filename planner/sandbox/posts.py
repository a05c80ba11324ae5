"""Post operations of the public API: create/edit pipeline, listing, deletes, status,
settings, and the simulated lifecycle (publishing, find-slot) and dashboard (edit, drag, duplicate).

All functions run inside the caller's `store.tx()`; they raise `HttpError`.
"""

from __future__ import annotations

import html
import json

from planner.sandbox import ids, providers
from planner.sandbox.clock import human_minute, is_iso8601, iso_ms, parse_ms, zoneless
from planner.sandbox.errors import internal, nest, post_validation
from planner.sandbox.sanitize import is_blank, sanitize
from planner.sandbox.store import Store, settings_json
from planner.sandbox.validation import validate_body

MINUTE_MS = 60_000
DAY_MS = 86_400_000


# -- POST /posts ---------------------------------------------------------------
def create_or_edit(store: Store, body: object, compat: str) -> list[dict]:
    """Steps 5-10 of docs/postiz-api.md §8.3 (auth and the throttler ran before)."""
    body = body if isinstance(body, dict) else {}
    entries = body.get("posts")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("integration"), dict) and e["integration"].get("id")
        for e in entries
    ):
        raise nest(400, "All posts must have an integration id")
    channels = []
    for entry in entries:
        channel_id = str(entry["integration"]["id"])
        channel = store.channel(channel_id, include_deleted=True)
        if channel is None:
            raise nest(400, f"Integration with id {channel_id} not found")
        channels.append(channel)
        settings = entry.get("settings")
        settings = dict(settings) if isinstance(settings, dict) else {}
        settings["__type"] = channel["identifier"]  # the server overwrites it
        entry["settings"] = settings
        for item in entry.get("value") or []:
            if isinstance(item, dict):
                item["content"] = sanitize(item.get("content"))
    post_type = body.get("type")
    messages = validate_body(body, channels, compat)
    if messages:
        raise nest(400, messages)
    if not all(providers.has_provider(c["identifier"], compat) for c in channels):
        # validatePosts calls maxLength() on the missing provider: a TypeError, so a 500
        # (only an entry-level draft gets this far; others fail on `"__type" must be`).
        raise internal()
    for entry, channel in zip(entries, channels, strict=True):
        _validate_posts(entry, channel, post_type, compat)

    date_ms = parse_ms(body["date"])
    if date_ms is None:  # ISO 8601 forms Python cannot read (week dates): refuse clearly
        raise nest(400, ["date must be a valid ISO 8601 date string"])
    if post_type == "now":
        now = store.now_ms()
        date_ms = now - now % MINUTE_MS
    result = []
    for entry, channel in zip(entries, channels, strict=True):
        if compat != "v2.23.0" and post_type in ("schedule", "now") and not body.get("republish"):
            _guard_republish(store, entry, channel)
        root_id = _write_entry(store, body, entry, channel, post_type, date_ms)
        result.append({"postId": root_id, "integration": channel["id"]})
    return result


def _validate_posts(entry: dict, channel: dict, post_type: object, compat: str) -> None:
    """Layer 2 (family D): empty content, then media rules, then length."""
    identifier, name = channel["identifier"], channel["name"]
    values = entry["value"]
    for item in values:
        if is_blank(item.get("content", "")) and not item.get("image"):
            raise post_validation(identifier, name, "Your post should have at least one character or one image.")
    if post_type == "draft":
        return
    problem = providers.media_problem(identifier, values, entry["settings"], compat)
    if problem:
        raise post_validation(identifier, name, problem)
    limit = providers.max_length(identifier, entry["settings"], bool(channel["verified"]), compat)
    if any(providers.content_over(identifier, item.get("content", ""), limit) for item in values):
        raise post_validation(identifier, name, "post is too long, please fix it")


def _guard_republish(store: Store, entry: dict, channel: dict) -> None:
    first_id = entry["value"][0].get("id")
    row = store.post(first_id) if first_id else None
    if row and row["state"] == "PUBLISHED":
        raise nest(400, (
            f"This post was already published on {human_minute(row['publish_ms'])} UTC. "
            f"Saving it this way would publish it again to {channel['identifier']}. "
            "To edit without republishing, use type 'update'. "
            "To intentionally publish again, pass republish: true."
        ))


def _write_entry(store: Store, body: dict, entry: dict, channel: dict, post_type, date_ms: int) -> str:
    """`createOrUpdatePost` (docs/postiz-api.md §9.2): upsert by id, new group, sweep the old one."""
    new_group = ids.uuid4()
    inter = body.get("inter")
    interval = int(inter) if isinstance(inter, int | float) and inter else None
    method = "CLI" if body.get("creationMethod") == "CLI" else "API"
    parent = None
    root_id = None
    for item in entry["value"]:
        fields = {
            "channel_id": channel["id"],
            "content": item.get("content", ""),
            "publish_ms": date_ms,
            "image": json.dumps(item.get("image") or [], separators=(",", ":"), ensure_ascii=False),
            "settings": settings_json(entry["settings"]),
            "delay": int(item["delay"]) if isinstance(item.get("delay"), int | float) else None,
            "interval_days": interval,
            "grp": new_group,
            "parent_id": parent,
        }
        existing = store.post(item["id"]) if isinstance(item.get("id"), str) else None
        if existing:  # updated in place; deletedAt, releaseURL and creationMethod left alone
            if post_type == "draft":
                fields["state"] = "DRAFT"
            elif post_type != "update":
                fields["state"] = "QUEUE"
            store.update_post(existing["id"], **fields)
            row_id = existing["id"]
        else:  # a client id is discarded: the server makes a cuid
            row_id = ids.cuid()
            store.insert_post({
                "id": row_id, **fields, "creation_method": method,
                "state": "DRAFT" if post_type == "draft" else "QUEUE",
            })
        root_id = root_id or row_id
        parent = row_id
    assert root_id is not None, "validate_body refuses an entry with no value"
    old_group = entry.get("group")
    if isinstance(old_group, str) and old_group:
        with store.tx() as db:
            db.execute(
                "UPDATE posts SET deleted_ms = ?, parent_id = NULL WHERE grp = ? AND deleted_ms IS NULL",
                (store.now_ms(), old_group),
            )
    return root_id


# -- GET /posts -----------------------------------------------------------------
def list_posts(store: Store, args, compat: str) -> dict:
    start, end = args.get("startDate"), args.get("endDate")
    errors = [f"{name} must be a valid ISO 8601 date string"
              for name, value in (("startDate", start), ("endDate", end)) if not is_iso8601(value)]
    start_ms = parse_ms(start) if not errors else None
    end_ms = parse_ms(end) if not errors else None
    if errors or start_ms is None or end_ms is None:
        raise nest(400, errors or ["startDate must be a valid ISO 8601 date string"])
    customer = args.get("customer")
    query = (
        "SELECT p.*, c.identifier, c.name AS channel_name, c.picture FROM posts p"
        " JOIN channels c ON c.id = p.channel_id"
        " WHERE p.deleted_ms IS NULL AND p.parent_id IS NULL"
        " AND ((p.publish_ms >= ? AND p.publish_ms <= ?) OR p.interval_days IS NOT NULL)"
    )
    params: list = [start_ms, end_ms]
    if customer and compat == "v2.23.0":
        # v2.23.0's `integration: {customerId}` replaced `integration: {deletedAt: null, …}`,
        # so a customer's deleted channels keep their posts listed.
        query += " AND c.customer_id = ?"
        params.append(customer)
    elif customer:
        query += " AND c.deleted = 0 AND c.customer_id = ?"
        params.append(customer)
    else:
        query += " AND c.deleted = 0"
    with store.tx() as db:
        rows = db.execute(query + " ORDER BY p.updated_seq", params).fetchall()
    out = []
    for row in rows:
        if row["interval_days"] is None:
            out.append(_public_post(row, row["publish_ms"], compat))
            continue
        occurrence = row["publish_ms"]  # no lower bound, as in Postiz
        while occurrence <= end_ms:
            out.append({**_public_post(row, occurrence, compat), "actualDate": iso_ms(row["publish_ms"])})
            occurrence += row["interval_days"] * DAY_MS
    return {"posts": out}


def _public_post(row, publish_ms: int, compat: str) -> dict:
    post = {
        "id": row["id"], "content": row["content"], "publishDate": iso_ms(publish_ms),
        "releaseURL": row["release_url"], "releaseId": row["release_id"], "state": row["state"],
        "intervalInDays": row["interval_days"], "group": row["grp"],
        "creationMethod": row["creation_method"], "settings": row["settings"], "tags": [],
        "integration": {"id": row["channel_id"], "providerIdentifier": row["identifier"],
                        "name": row["channel_name"], "picture": row["picture"]},
    }
    if compat == "v2.23.0":
        del post["settings"]
    return post


# -- deletes, status, settings ------------------------------------------------------
def delete_by_id(store: Store, post_id: str) -> dict:
    row = store.post(post_id)
    if row is None or row["deleted_ms"] is not None:
        raise internal()  # Postiz dereferences posts[0] of an empty list
    store.delete_group(row["grp"])
    return {"error": True}


def delete_group(store: Store, group: str) -> dict:
    store.delete_group(group)
    return {"error": True}


def change_status(store: Store, post_id: str, body: dict) -> dict:
    status = body.get("status")
    if status not in ("draft", "schedule"):
        raise nest(400, ["status must be one of the following values: draft, schedule"])
    if store.post(post_id) is None:  # no deletedAt filter here
        raise nest(400, "Post not found")
    state = "DRAFT" if status == "draft" else "QUEUE"
    store.update_post(post_id, state=state)
    return {"id": post_id, "state": state}


def update_settings(store: Store, post_id: str, body: dict, compat: str) -> dict:
    settings = body.get("settings")
    errors = []
    if settings is None:
        errors.append("settings should not be null or undefined")
    if not isinstance(settings, dict):
        errors.append("settings must be an object")
    if errors:
        raise nest(400, errors)
    row = store.post(post_id)
    if row is None or row["deleted_ms"] is not None:
        raise nest(404, "Post not found")
    if row["parent_id"]:
        raise nest(400, "This id belongs to a comment, pass the id of the main post")
    if row["state"] not in ("QUEUE", "DRAFT"):
        raise nest(400, "Only scheduled posts that were not published yet (or drafts) can be updated")
    if row["state"] == "QUEUE" and row["publish_ms"] < store.now_ms():
        raise nest(400, "The publish time of this post already passed, it cannot be updated")
    channel = store.existing_channel(row["channel_id"])
    merged = json.loads(row["settings"] or "{}")
    merged.update(settings)
    merged["__type"] = channel["identifier"]
    if row["state"] != "DRAFT":
        providers.coerce_settings(channel["identifier"], merged, compat)
        problems = providers.validate_settings(channel["identifier"], merged, "", compat)
        problem = problems[0] if problems else providers.media_problem(
            channel["identifier"], [{"image": json.loads(row["image"] or "[]")}], merged, compat)
        if problem:
            raise nest(400, f"{channel['name']}: {problem}")
    store.update_post(post_id, settings=settings_json(merged))  # group kept
    return {"postId": post_id, "publishDate": zoneless(row["publish_ms"])}


# -- simulated lifecycle ----------------------------------------------------------
def publish_due(store: Store) -> dict:
    """QUEUE roots whose time has come publish (or fail, on a disabled/expired channel)."""
    now = store.now_ms()
    done: dict[str, list[str]] = {"published": [], "errored": []}
    with store.tx() as db:
        rows = db.execute(
            "SELECT p.*, c.disabled, c.refresh_needed FROM posts p"
            " JOIN channels c ON c.id = p.channel_id WHERE p.state = 'QUEUE'"
            " AND p.deleted_ms IS NULL AND p.parent_id IS NULL AND p.publish_ms <= ?"
            " ORDER BY p.publish_ms", (now,),
        ).fetchall()
        for row in rows:
            if row["refresh_needed"] or row["disabled"]:
                error = "Refresh channel needed" if row["refresh_needed"] else "Channel disabled"
                store.update_post(row["id"], state="ERROR", error=error)
                done["errored"].append(row["id"])
                continue
            publish_group(store, row)
            done["published"].append(row["id"])
    return done


def publish_group(store: Store, root) -> dict:
    """Mark a post and its thread replies PUBLISHED with a fake platform URL/id."""
    channel = store.existing_channel(root["channel_id"])
    with store.tx() as db:
        members = db.execute("SELECT id FROM posts WHERE grp = ? AND deleted_ms IS NULL",
                             (root["grp"],)).fetchall()
    for member in members or [root]:
        release_id = ids.upload_name()[:19]
        store.update_post(
            member["id"], state="PUBLISHED", release_id=release_id,
            release_url=f"https://{channel['identifier']}.example.com/posts/{release_id}",
        )
    return {"published": [root["id"]]}


def fail(store: Store, post_id: str, change: dict) -> dict:
    """A publish attempt that failed (posts.repository `changeState(id, 'ERROR', err)`,
    docs/postiz-api.md §16): the root becomes ERROR and the reason is stored in its `error`
    column, which `GET /posts` never lists (§7.2); `GET /_sandbox/posts` shows it.
    `change["error"]`: the reason as Postiz stores it (a string, or JSON.stringify of an object)."""
    _live_post(store, post_id)
    error = change.get("error", "Unknown error")
    if not isinstance(error, str):
        error = json.dumps(error, separators=(",", ":"), ensure_ascii=False)
    store.update_post(post_id, state="ERROR", error=error)
    return _dumped(store, post_id)


def dashboard_edit(store: Store, post_id: str, change: dict) -> dict:
    """What saving the post in the Postiz editor does (docs/postiz-api.md §17.1, traced in the
    source): the editor loads the stored settings whole and sends them all back, and the server
    stores what it is sent, so unknown keys (the ownership marker too) are KEPT; the id is kept
    and the group rotated, as for any edit through `POST /posts`.

    `change`: `content`, `date`, `settings` (merged into the stored ones), and
    `drop_unknown_settings: true` to simulate instead another client that rebuilds the
    settings from the provider's known fields only (unknown keys dropped). The content is
    saved as the editor's HTML (`editor_html`), unless `raw_content: true`."""
    row = _live_post(store, post_id)
    channel = store.existing_channel(row["channel_id"])
    settings = json.loads(row["settings"] or "{}")
    changed = change.get("settings")
    if changed is not None and not isinstance(changed, dict):
        raise ValueError("settings must be an object")
    settings.update(changed or {})
    if change.get("drop_unknown_settings"):
        known = providers.known_setting_keys(channel["identifier"])
        settings = {k: v for k, v in settings.items() if k in known}
    settings["__type"] = channel["identifier"]  # the server forces it on every save
    fields: dict = {"settings": settings_json(settings), "grp": ids.uuid4()}
    # The editor opens plain text as one `<p>` per line (add.edit.modal.tsx) and saves its
    # HTML, so any save stores paragraphs, whether or not the text was changed.
    content = change["content"] if "content" in change else row["content"]
    if not change.get("raw_content"):
        content = editor_html(content)
    fields["content"] = sanitize(content)
    if "date" in change:
        fields["publish_ms"] = _control_date(change["date"])
    with store.tx() as db:
        members = db.execute("SELECT id FROM posts WHERE grp = ? AND deleted_ms IS NULL",
                             (row["grp"],)).fetchall()
        for member in members:
            own = fields if member["id"] == post_id else {"grp": fields["grp"]}
            store.update_post(member["id"], **own)
    return _dumped(store, post_id)


def editor_html(text: str) -> str:
    """Plain text as the Postiz editor saves it: a `<p>` per line, `& < >` escaped;
    text that already holds a `<p>` is taken as the editor's HTML."""
    if "<p>" in text:
        return text
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in text.split("\n"))


def drag(store: Store, post_id: str, change: dict) -> dict:
    """A drag and drop in the dashboard's calendar: `PUT /posts/:id/date` (posts.service
    `changeDate`, docs/postiz-api.md §17.1). Only this row's date changes; id, group, content
    and settings are kept. With `action` "schedule" (what the calendar sends for a post not yet
    published) the state becomes QUEUE (a draft stays DRAFT) and the release is cleared;
    "update" (the choice the calendar offers for a published post) changes the date alone."""
    row = _live_post(store, post_id)
    if "date" not in change:
        raise ValueError('send {"date": "<iso>"}')
    action = change.get("action", "schedule")
    if action not in ("schedule", "update"):
        raise ValueError('action must be "schedule" or "update"')
    fields: dict = {"publish_ms": _control_date(change["date"])}
    if action == "schedule":
        fields.update(state="DRAFT" if row["state"] == "DRAFT" else "QUEUE",
                      release_id=None, release_url=None)
    store.update_post(post_id, **fields)
    return _dumped(store, post_id)


def duplicate(store: Store, post_id: str, change: dict) -> dict:
    """The dashboard's "Duplicate post" (docs/postiz-api.md §17.1): the editor opens with the
    content and media of every row of the group and none of its settings, and saving creates a
    new post (server-made id, new group, QUEUE, creationMethod WEB). The channel is kept and the
    date too unless `change["date"]` is given (the real dashboard proposes the next free slot and
    lets the user pick the channel). Returns the new root row."""
    row = _live_post(store, post_id)
    channel = store.existing_channel(row["channel_id"])
    date_ms = _control_date(change["date"]) if change.get("date") is not None else row["publish_ms"]
    with store.tx() as db:
        members = [dict(r) for r in db.execute(
            "SELECT * FROM posts WHERE grp = ? AND deleted_ms IS NULL", (row["grp"],)).fetchall()]
    thread = _thread(members) or [row]
    group, parent, root_id = ids.uuid4(), None, None
    for member in thread:
        row_id = ids.cuid()
        store.insert_post({
            "id": row_id, "channel_id": channel["id"], "content": member["content"],
            "publish_ms": date_ms, "image": member["image"] or "[]",
            "settings": settings_json({"__type": channel["identifier"]}),
            "delay": 0, "interval_days": None, "grp": group, "parent_id": parent,
            "creation_method": "WEB", "state": "QUEUE",
        })
        root_id = root_id or row_id
        parent = row_id
    assert root_id is not None, "a thread has at least its root"
    return _dumped(store, root_id)


def _thread(members: list[dict]) -> list[dict]:
    """The rows of a group in thread order: the root, then each reply to the previous one."""
    by_parent = {m["parent_id"]: m for m in members}
    out: list[dict] = []
    current = by_parent.get(None)
    while current is not None and len(out) < len(members):
        out.append(current)
        current = by_parent.get(current["id"])
    return out


def _live_post(store: Store, post_id: str) -> dict:
    row = store.post(post_id)
    if row is None or row["deleted_ms"] is not None:
        raise nest(404, "Post not found")
    return row


def _control_date(value: object) -> int:
    date_ms = parse_ms(str(value))
    if date_ms is None:
        raise nest(400, ["date must be a valid ISO 8601 date string"])
    return date_ms


def _dumped(store: Store, post_id: str) -> dict:
    row = store.post(post_id)
    assert row is not None, "posts are never removed from the table, only marked deleted"
    return dump_row(row)


def find_slot(store: Store, channel: dict) -> dict:
    """docs/postiz-api.md §5.4: earliest future posting time with no post of the org at that instant."""
    times = sorted(json.loads(channel["posting_times"] or "[]"))
    now = store.now_ms()
    day = now - now % DAY_MS
    with store.tx() as db:
        taken = {r[0] for r in db.execute(
            "SELECT publish_ms FROM posts WHERE deleted_ms IS NULL AND publish_ms >= ?", (day,))}
    for _ in range(3660):
        for minutes in times:
            slot = day + minutes * MINUTE_MS
            if slot > now and slot not in taken:
                return {"date": zoneless(slot)}
        day += DAY_MS
    raise internal()


def dump_row(row: dict) -> dict:
    """A raw row for `GET /_sandbox/posts`: every column, dates as ISO strings."""
    out = dict(row)
    out["publishDate"] = iso_ms(out.pop("publish_ms"))
    deleted = out.pop("deleted_ms")
    out["deletedAt"] = iso_ms(deleted) if deleted is not None else None
    out["group"] = out.pop("grp")
    return out


def now_iso(store: Store) -> str:
    return iso_ms(store.now_ms())

