"""A local server that speaks the Postiz public API (`cliper-sched sandbox`).

It serves `/public/v1/...` and `/api/public/v1/...` (so `POSTIZ_API_URL=http://127.0.0.1:PORT/api`
works exactly as with the Docker image), follows docs/postiz-api.md (exchanges recorded
from a real Postiz are its ground truth), and keeps its state in one SQLite file. `SandboxServer` (planner.sandbox.server)
runs it in a background thread for tests.

Test controls, outside the public API and without authentication (JSON in, JSON out);
`planner.sandbox.controls.Controls(base_url)` is their client:

    GET    /_sandbox/clock                  {"now": iso}
    POST   /_sandbox/clock                  {"advance_seconds": N} or {"now": iso}; the clock
                                            drives publishing, find-slot, upload dates, the
                                            rate-limit window and the `Date` header of every
                                            answer (API and controls alike)
    POST   /_sandbox/publish                publish what is due now: QUEUE roots with publishDate
                                            <= now become PUBLISHED with a fake releaseURL/
                                            releaseId, or ERROR on a disabled or needs-reconnect
                                            channel (also done lazily before every request)
    GET    /_sandbox/worker                 {"running": bool}
    POST   /_sandbox/worker                 {"running": false} stops the publishing worker: the
                                            lazy pass before each request is skipped, so posts
                                            past their time stay QUEUE (Postiz's worker down or
                                            behind); /_sandbox/publish still runs one pass
    POST   /_sandbox/posts/<id>/publish     mark one post PUBLISHED now, whatever its date
    POST   /_sandbox/posts/<id>/fail        {"error"?}: its publish attempt failed: state ERROR,
                                            the reason stored as Postiz stores it (GET /posts
                                            never lists it; GET /_sandbox/posts shows it)
    GET    /_sandbox/posts                  every row, deleted and thread replies included
    POST   /_sandbox/posts/<id>/dashboard-edit
                                            {"content"?, "date"?, "settings"?}: what saving in
                                            the Postiz editor does: id kept, group rotated, the
                                            stored settings kept whole (unknown keys such as
                                            `cliper_sched` too) with "settings" merged in;
                                            {"drop_unknown_settings": true} simulates instead
                                            another client rebuilding the settings from the
                                            provider's known fields (unknown keys dropped)
    POST   /_sandbox/posts/<id>/drag        {"date", "action"?: "schedule"|"update"}: a calendar
                                            drag and drop (PUT /posts/:id/date): only this row's
                                            date changes; id, group, content, settings kept;
                                            "schedule" (default) also puts the state back to
                                            QUEUE (a draft stays DRAFT) and clears the release
    POST   /_sandbox/posts/<id>/duplicate   {"date"?}: "Duplicate post": a new post (new id and
                                            group, QUEUE, creationMethod WEB) with the channel,
                                            content and media of the group's rows but no
                                            settings (only `__type`), at "date" or the
                                            original's; answers 201 with the new root row
    GET    /_sandbox/channels               all channels with their flags
    POST   /_sandbox/channels               {"provider", "name", "id"?, "picture"?, "profile"?,
                                            "customer"?: {"id", "name"}, "disabled"?}
    PATCH  /_sandbox/channels/<id>          {"disabled"?, "refresh_needed"?, "deleted"?,
                                            "verified"?, "customer"?, "posting_times"?, "name"?}
    GET    /_sandbox/ratelimit              {"limit", "hits", "window_ends_in", "blocked_for"}
    DELETE /_sandbox/ratelimit              reset the counter and any block
    POST   /_sandbox/faults                 {"method", "path" (fnmatch, without /api),
                                            "action": "error"|"delay"|"drop", "nth"=1, "count"=1,
                                            "seconds"=0, "status"=500|502|503|504}; see planner.sandbox.faults
    GET    /_sandbox/faults, DELETE /_sandbox/faults (clear all)

Deviations from Postiz, on purpose:
- `GET /find-slot/:id` for an unknown or disabled channel: Postiz recurses for ever; the
  sandbox waits `find_slot_hang_seconds` (10 s by default) and answers the generic 500.
- Publishing is simulated: a due QUEUE post publishes at its stored date even after a
  `type: "update"` date change (Postiz's running job keeps the old time), and a post created
  with `type: "update"` publishes too (Postiz would leave it unscheduled without RUN_CRON).
- The dashboard controls keep content as given; the real editor re-saves plain-text content as
  HTML paragraphs (`<p>…</p>`), which they do not simulate (docs/postiz-api.md §19).
- Tags never match (there is no way to create tags through the public API), so `tags` is [].
- Only the API key authenticates; `pos_` OAuth tokens are always refused as invalid.
- Uploaded files live beside the db (`sandbox.db` -> `sandbox-uploads/YYYY/MM/DD/<name>`, as
  Postiz's UPLOAD_DIRECTORY) and are served at `<base>/uploads/YYYY/MM/DD/<name>`.
- Faults and a stopped worker live in memory and vanish on restart; everything else (key, channels, posts, uploads,
  clock offset, rate-limit counter and block) survives a restart, like Postiz with Redis.
"""

from planner.sandbox.server import SandboxServer

__all__ = ["SandboxServer"]
