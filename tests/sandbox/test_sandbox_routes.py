"""Auth, routing, channels, find-slot and uploads, as docs/postiz-api.md §1-§6 describe them."""

from __future__ import annotations

import tracemalloc

import requests
from requests_toolbelt.multipart.encoder import MultipartEncoder

from planner.fsutil import sha256_file
from support.sandbox import TEST_KEY, running_sandbox

MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17


def test_auth_bodies_and_raw_key(api):
    url = api.base + "/integrations"
    assert requests.get(url).json() == {"msg": "No API Key found"}
    for bad in ("nope", f"Bearer {TEST_KEY}", TEST_KEY + " "):
        response = requests.get(url, headers={"Authorization": bad})
        assert (response.status_code, response.json()) == (401, {"msg": "Invalid API key"})
    assert requests.get(url, headers={"Authorization": "pos_x"}).json() == {"msg": "Invalid OAuth token"}
    assert requests.get(url, headers={"Authorization": TEST_KEY}).status_code == 200
    assert requests.get(url).headers["Content-Type"] == "application/json; charset=utf-8"


def test_both_base_paths_and_nest_404_without_auth(sb):
    for base in (f"{sb.base_url}/public/v1", f"{sb.base_url}/api/public/v1"):
        assert requests.get(base + "/is-connected", headers={"Authorization": TEST_KEY}).json() == {"connected": True}
    response = requests.get(f"{sb.api_url}/public/v1/xyz")
    assert response.status_code == 404
    assert response.json() == {"message": "Cannot GET /public/v1/xyz", "error": "Not Found", "statusCode": 404}


def test_malformed_json_is_400_before_auth_and_big_bodies_413(api):
    response = requests.post(api.base + "/posts", data="{oops", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "Bad Request"
    big = '{"x": "' + "a" * 110_000 + '"}'
    response = api.post("/posts", data=big, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (413, {"statusCode": 413, "message": "request entity too large"})
    assert api.controls.ratelimit()["hits"] == 0  # neither was counted


def test_integrations_customer_absent_unless_set_and_disabled_listed(api):
    channels = api.get("/integrations").json()
    assert [c["name"] for c in channels] == ["tiktok-main", "youtube-shorts", "instagram-reels", "x-main", "linkedin-page"]
    assert all("customer" not in c for c in channels)
    x = api.channels["x-main"]
    api.controls.update_channel(x, disabled=True, customer={"id": "6c1e8a8e-0a77-4a8e-9a51-3c1f0b0f2d11", "name": "Acme"})
    listed = {c["id"]: c for c in api.get("/integrations").json()}
    assert listed[x]["disabled"] is True
    assert listed[x]["customer"] == {"id": "6c1e8a8e-0a77-4a8e-9a51-3c1f0b0f2d11", "name": "Acme"}
    only = api.get("/integrations", params={"group": "6c1e8a8e-0a77-4a8e-9a51-3c1f0b0f2d11"}).json()
    assert [c["id"] for c in only] == [x]


def test_integration_settings_per_provider_and_unknown(api):
    yt = api.get(f"/integration-settings/{api.channels['youtube-shorts']}").json()["output"]
    assert yt["maxLength"] == 5000 and yt["settings"]["required"] == ["title", "type"]
    li = api.get(f"/integration-settings/{api.channels['linkedin-page']}").json()["output"]
    assert li["settings"] == "No additional settings required" and li["maxLength"] == 3000
    tiktok = api.get(f"/integration-settings/{api.channels['tiktok-main']}").json()["output"]
    assert "privacy_level" in tiktok["settings"]["required"]
    response = api.get("/integration-settings/no-such")
    assert (response.status_code, response.json()) == (404, {"msg": "Integration not found"})


def test_find_slot_skips_taken_slots_and_does_not_hang_forever(api):
    api.controls.set_clock("2030-01-01T03:00:00Z")
    x = api.channels["x-main"]
    assert api.get(f"/find-slot/{x}").json() == {"date": "2030-01-01T06:40:00"}
    assert api.create(api.entry(), date="2030-01-01T06:40:00Z").status_code == 201
    assert api.get(f"/find-slot/{x}").json() == {"date": "2030-01-01T11:40:00"}
    api.controls.set_clock("2030-01-01T12:00:00Z")
    assert api.get(f"/find-slot/{x}").json() == {"date": "2030-01-02T02:00:00"}
    # Postiz recurses for ever on unknown ids; the sandbox answers 500 after a bounded wait.
    response = api.get("/find-slot/unknown")
    assert response.status_code == 500


def test_upload_sniffs_bytes_and_serves_the_file_back(api):
    response = api.post("/upload", files={"file": ("whatever.txt", MP4)})
    assert response.status_code == 201
    media = response.json()
    assert set(media) == {"id", "name", "originalName", "path", "thumbnail", "alt"}
    assert media["originalName"] is None and media["thumbnail"] is None and media["alt"] is None
    assert media["name"].endswith(".mp4") and len(media["name"]) == 36
    assert media["path"].startswith(api.sb.base_url + "/uploads/") and media["path"].endswith(media["name"])
    assert requests.get(media["path"]).content == MP4
    png = api.post("/upload", files={"file": ("x.mp4", PNG)}).json()
    assert png["name"].endswith(".png")


def test_upload_errors(api):
    text = api.post("/upload", files={"file": ("clip.mp4", b"not a video at all\n")})
    assert (text.status_code, text.json()) == (
        400, {"message": "Unsupported file type.", "error": "Bad Request", "statusCode": 400})
    none = api.post("/upload", json={})
    assert (none.status_code, none.json()) == (400, {"msg": "No file provided"})
    wrong = api.post("/upload", files={"media": ("a.mp4", MP4)})
    assert wrong.json()["message"] == "Unexpected field - media"
    huge = api.post("/upload", files={"file": ("big.png", PNG + b"\x00" * (10 * 1024 * 1024))})
    assert huge.json()["message"] == "File size exceeds the maximum allowed size of 10485760 bytes."


def test_a_big_upload_goes_to_a_file_beside_the_db_not_into_memory(tmp_path):
    # A 1 GiB clip must not need 1 GiB of server RAM: the bytes stream to disk.
    # 64 MiB tells streaming (a few MiB peak, whatever else the process holds) from
    # buffering (64+ MiB).
    size = 64 * 1024 * 1024
    clip = tmp_path / "clip.mp4"
    with clip.open("wb") as fh:
        fh.write(MP4)
        fh.truncate(size)
    with running_sandbox(tmp_path) as server:
        tracemalloc.start()
        try:
            with clip.open("rb") as fh:  # streamed from disk, so the peak is the server's
                form = MultipartEncoder({"file": ("clip.mp4", fh, "video/mp4")})
                media = requests.post(server.api_url + "/public/v1/upload", data=form, headers={
                    "Authorization": server.api_key, "Content-Type": form.content_type}).json()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        stored = tmp_path / "sandbox-uploads" / media["path"].split("/uploads/", 1)[1]
        assert stored.stat().st_size == size
        assert sha256_file(stored) == sha256_file(clip)
        served = requests.get(media["path"], stream=True)
        assert served.headers["Content-Type"] == "video/mp4"
        assert int(served.headers["Content-Length"]) == size
        served.close()
    assert peak < 24 * 1024 * 1024, f"upload peak {peak / 2**20:.0f} MiB of Python memory"
    assert (tmp_path / "sandbox.db").stat().st_size < 1024 * 1024
    # A restart on the same db still serves the file.
    with running_sandbox(tmp_path) as server:
        assert requests.head(media["path"].replace(media["path"].split("/uploads/")[0], server.base_url)).ok
