"""The sandbox's state in one SQLite file: channels, posts, media, key, clock, rate limit.

One connection shared by the server's threads, serialised by a lock; each
request runs in one transaction so a SIGKILL never leaves half a change.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import overload

from planner.sandbox import ids

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS channels (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL,
    identifier TEXT NOT NULL,
    picture TEXT,
    profile TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    refresh_needed INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    customer_id TEXT,
    customer_name TEXT,
    posting_times TEXT NOT NULL DEFAULT '[120, 400, 700]',
    verified INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS posts (
    id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL,
    content TEXT NOT NULL,
    publish_ms INTEGER NOT NULL,
    state TEXT NOT NULL,
    release_url TEXT,
    release_id TEXT,
    interval_days INTEGER,
    grp TEXT NOT NULL,
    creation_method TEXT NOT NULL,
    settings TEXT,
    image TEXT,
    delay INTEGER,
    parent_id TEXT,
    deleted_ms INTEGER,
    error TEXT,
    updated_seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_grp ON posts (grp);
CREATE INDEX IF NOT EXISTS posts_publish ON posts (publish_ms);
CREATE TABLE IF NOT EXISTS media (
    id TEXT PRIMARY KEY,
    rel_path TEXT UNIQUE NOT NULL,
    mime TEXT NOT NULL,
    data BLOB NOT NULL
);
"""


class Store:
    def __init__(self, db_path: str | Path):
        self.path = Path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self.db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work; nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            self.db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            else:
                self.db.execute("COMMIT")
            finally:
                self._depth = 0

    # -- meta ---------------------------------------------------------------
    @overload
    def get_meta(self, key: str) -> str | None: ...
    @overload
    def get_meta(self, key: str, default: str) -> str: ...
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self.tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_meta(self, key: str, value: str | None) -> None:
        with self.tx() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def next_seq(self) -> int:
        with self.tx():
            seq = int(self.get_meta("seq", "0")) + 1
            self.set_meta("seq", str(seq))
        return seq

    # -- clock: real time plus an offset tests can move ---------------------
    def now_ms(self) -> int:
        return int(time.time() * 1000) + int(self.get_meta("clock_offset_ms", "0"))

    def set_now_ms(self, target_ms: int) -> None:
        self.set_meta("clock_offset_ms", str(target_ms - int(time.time() * 1000)))

    # -- channels -----------------------------------------------------------
    def add_channel(
        self,
        identifier: str,
        name: str,
        channel_id: str | None = None,
        *,
        picture: str | None = None,
        profile: str | None = None,
        disabled: bool = False,
        customer: dict | None = None,
    ) -> dict:
        channel_id = channel_id or ids.cuid()
        with self.tx() as db:
            db.execute(
                "INSERT INTO channels (id, name, identifier, picture, profile, disabled,"
                " customer_id, customer_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    channel_id,
                    name,
                    identifier,
                    picture,
                    profile if profile is not None else name,
                    int(disabled),
                    (customer or {}).get("id"),
                    (customer or {}).get("name"),
                ),
            )
        return self.existing_channel(channel_id)

    def channel(self, channel_id: str, *, include_deleted: bool = False) -> dict | None:
        with self.tx() as db:
            row = db.execute("SELECT * FROM channels WHERE id = ?", (channel_id,)).fetchone()
        if row is None or (row["deleted"] and not include_deleted):
            return None
        return dict(row)

    def existing_channel(self, channel_id: str) -> dict:
        """A channel known to be stored (added, or named by a post), deleted or not:
        channels are never removed from the table, deleting one only marks it."""
        channel = self.channel(channel_id, include_deleted=True)
        if channel is None:
            raise KeyError(f"channel {channel_id} is not in the sandbox database")
        return channel

    def channels(self) -> list[dict]:
        with self.tx() as db:
            rows = db.execute("SELECT * FROM channels WHERE deleted = 0 ORDER BY seq").fetchall()
        return [dict(r) for r in rows]

    def update_channel(self, channel_id: str, **fields) -> dict | None:
        allowed = {"disabled", "refresh_needed", "deleted", "name", "picture", "profile",
                   "customer_id", "customer_name", "posting_times", "verified"}
        sets = {k: v for k, v in fields.items() if k in allowed}
        if sets:
            with self.tx() as db:
                db.execute(
                    f"UPDATE channels SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",
                    (*sets.values(), channel_id),
                )
        return self.channel(channel_id, include_deleted=True)

    # -- posts --------------------------------------------------------------
    def post(self, post_id: str) -> dict | None:
        with self.tx() as db:
            row = db.execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()
        return dict(row) if row else None

    def insert_post(self, row: dict) -> None:
        row = {**row, "updated_seq": self.next_seq()}
        cols = ", ".join(row)
        with self.tx() as db:
            db.execute(
                f"INSERT INTO posts ({cols}) VALUES ({', '.join('?' for _ in row)})",
                tuple(row.values()),
            )

    def update_post(self, post_id: str, **fields) -> None:
        fields["updated_seq"] = self.next_seq()
        with self.tx() as db:
            db.execute(
                f"UPDATE posts SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?",
                (*fields.values(), post_id),
            )

    def all_posts(self) -> list[dict]:
        with self.tx() as db:
            rows = db.execute("SELECT * FROM posts ORDER BY updated_seq").fetchall()
        return [dict(r) for r in rows]

    def delete_group(self, group: str) -> int:
        now = self.now_ms()
        with self.tx() as db:
            cur = db.execute(
                "UPDATE posts SET deleted_ms = ? WHERE grp = ? AND deleted_ms IS NULL", (now, group)
            )
        return cur.rowcount

    # -- media --------------------------------------------------------------
    @property
    def uploads_dir(self) -> Path:
        """Uploaded bytes live in files beside the db (`sb.db` -> `sb-uploads/`), like
        Postiz's UPLOAD_DIRECTORY: a 1 GiB clip never passes through memory or SQLite."""
        return self.path.parent / f"{self.path.stem}-uploads"

    def add_media(self, media_id: str, rel_path: str, mime: str) -> None:
        with self.tx() as db:
            # `data` stays empty: the bytes are in uploads_dir/rel_path.
            db.execute(
                "INSERT INTO media (id, rel_path, mime, data) VALUES (?, ?, ?, ?)",
                (media_id, rel_path, mime, b""),
            )

    def media_file(self, rel_path: str) -> tuple[str, Path | bytes] | None:
        """(mime, file on disk) or, for a db written by an older sandbox, (mime, bytes)."""
        with self.tx() as db:
            row = db.execute("SELECT mime, length(data) AS size FROM media WHERE rel_path = ?",
                             (rel_path,)).fetchone()
            if row is None:
                return None
            if row["size"]:
                blob = db.execute("SELECT data FROM media WHERE rel_path = ?", (rel_path,)).fetchone()
                return row["mime"], bytes(blob["data"])
        return row["mime"], self.uploads_dir / rel_path


def settings_json(settings: dict | None) -> str | None:
    """Compact JSON, key order kept: what JSON.stringify writes into the column."""
    if settings is None:
        return None
    return json.dumps(settings, separators=(",", ":"), ensure_ascii=False)
