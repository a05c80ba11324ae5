"""`--compat v2.23.0` against what release v2.23.0 of Postiz does, and the settings
messages both versions share, over HTTP (docs/postiz-api.md §11.1, §18).

Each expectation comes from the Postiz source at the tag (`git show v2.23.0:…`):
the X and TikTok DTOs, the settings discriminator list and the posts query.
"""

from __future__ import annotations

import json

import pytest

from support.sandbox import PublicApi, running_sandbox

MP4 = [{"id": "m1", "path": "http://127.0.0.1/uploads/2030/01/01/abc.mp4"}]
TIKTOK_OK = {"privacy_level": "PUBLIC_TO_EVERYONE", "duet": False, "stitch": False, "comment": True,
             "autoAddMusic": "no", "brand_content_toggle": False, "brand_organic_toggle": False,
             "content_posting_method": "DIRECT_POST"}
REPLY = "who_can_reply_post must be one of the following values: everyone, following, mentionedUsers, subscribers, verified"
# v2.23.0's allProviders() names, in order: the message of EmptySettings' @IsIn.
V2_23_0_TYPES = ("reddit, lemmy, youtube, pinterest, dribbble, tiktok, discord, slack, kick, twitch, x, "
                 "linkedin, linkedin-page, instagram, instagram-standalone, medium, devto, wordpress, "
                 "hashnode, listmonk, gmb, wrapcast, facebook, threads, mastodon, bluesky, telegram, nostr, "
                 "vk, moltbook, skool, whop, mewe, tumblr")
CUSTOMER = {"id": "6c1e8a8e-0a77-4a8e-9a51-3c1f0b0f2d11", "name": "Acme"}


@pytest.fixture
def old(tmp_path):
    with running_sandbox(tmp_path, compat="v2.23.0") as sb:
        yield PublicApi(sb)


@pytest.fixture(params=["main", "v2.23.0"])
def both(tmp_path, request):
    with running_sandbox(tmp_path, compat=request.param) as sb:
        yield PublicApi(sb)


def bad_request(*messages):
    return 400, {"message": list(messages), "error": "Bad Request", "statusCode": 400}


def answer(response):
    return response.status_code, response.json()


def stored_settings(api, post_id):
    """Settings as stored: v2.23.0 does not list them, the sandbox's row does."""
    return json.loads(next(r for r in api.controls.rows() if r["id"] == post_id)["settings"])


# -- (a) X settings: v2.23.0's XDto has no article fields ---------------------------
def test_v2_23_0_x_schema_requires_who_can_reply_and_has_no_article_fields(old):
    output = old.get(f"/integration-settings/{old.channels['x-main']}").json()["output"]
    assert output == {
        "rules": "X can have maximum 4 pictures, or maximum one video, it can also be without attachments ",
        "maxLength": 280,
        "settings": {
            "properties": {
                "community": {"pattern": "^(https:\\/\\/x\\.com\\/i\\/communities\\/\\d+)?$", "type": "string"},
                "who_can_reply_post": {"type": "string", "enum": ["everyone", "following", "mentionedUsers",
                                                                  "subscribers", "verified"]},
                "made_with_ai": {"type": "boolean"},
                "paid_partnership": {"type": "boolean"},
            },
            "type": "object",
            "required": ["who_can_reply_post"],
        },
        "tools": [],
    }
    assert list(output["settings"]["properties"]) == ["community", "who_can_reply_post", "made_with_ai",
                                                      "paid_partnership"]


def test_main_x_schema_keeps_article_fields_and_no_required_list(api):
    settings = api.get(f"/integration-settings/{api.channels['x-main']}").json()["output"]["settings"]
    assert "required" not in settings
    assert {"post_type", "article_title", "article_status", "article_cover"} <= set(settings["properties"])


def test_v2_23_0_x_article_is_just_an_unknown_key(old):
    article = {"post_type": "article", "article_title": "T", "article_status": "draft"}
    refused = old.create(old.entry("x-main", settings=article))
    assert answer(refused) == bad_request("posts.0.settings." + REPLY)
    long_html = "<p>" + "word " * 100 + "</p>"
    too_long = old.create(old.entry("x-main", content=long_html, settings={**article, "who_can_reply_post": "everyone"}))
    assert (too_long.status_code, too_long.json()) == (400, {"statusCode": 400, "provider": "x", "name": "x-main",
                                                             "message": "post is too long, please fix it"})
    # No article media rule either: a video is fine.
    video = old.create(old.entry("x-main", image=MP4, settings={**article, "who_can_reply_post": "everyone"}))
    assert video.status_code == 201


def test_v2_23_0_x_booleans_are_coerced_like_main(old):
    post_id = old.create(old.entry("x-main", settings={"who_can_reply_post": "everyone", "made_with_ai": "false",
                                                       "paid_partnership": 0})).json()[0]["postId"]
    stored = stored_settings(old, post_id)
    assert (stored["made_with_ai"], stored["paid_partnership"]) == (True, False)


def test_x_community_message_is_the_dto_custom_one(both):
    bad = both.create(both.entry("x-main", settings={"who_can_reply_post": "everyone",
                                                     "community": "https://x.com/foo"}))
    assert answer(bad) == bad_request("posts.0.settings.Invalid X community URL. It should be in the format: "
                                     "https://x.com/i/communities/1493446837214187523")


def test_main_article_title_messages(api):
    empty = api.create(api.entry("x-main", settings={"post_type": "article", "article_title": "",
                                                     "article_status": "draft"}))
    assert answer(empty) == bad_request("posts.0.settings.Article title is required")
    missing = api.create(api.entry("x-main", settings={"post_type": "article", "article_status": "draft"}))
    assert answer(missing) == bad_request("posts.0.settings.Article title is required",
                                         "posts.0.settings.article_title must be a string")


# -- (b) tiktok-business is not in v2.23.0's settings discriminator ---------------------
def test_v2_23_0_refuses_tiktok_business_settings_with_the_type_message(old):
    channel = old.controls.add_channel("tiktok-business", "tt-biz")["id"]
    entry = {"integration": {"id": channel}, "value": [{"content": "clip", "image": MP4}], "settings": TIKTOK_OK}
    refused = old.create(entry, old.entry("x-main"))
    assert answer(refused) == bad_request(f'posts.0.settings."__type" must be {V2_23_0_TYPES}',
                                         "posts.1.settings." + REPLY)
    assert refused.headers["X-RateLimit-Remaining"] == "29"  # counted like any create
    assert old.controls.rows() == []
    # A top-level draft still validates settings (entries default to "schedule"); an
    # entry-level draft passes them, then validatePosts finds no provider class: 500.
    assert old.create(entry, type="draft").json()["message"][0].startswith('posts.0.settings."__type"')
    draft = old.create({**entry, "type": "draft"}, type="draft")
    assert (draft.status_code, draft.json()) == (500, {"statusCode": 500, "message": "Internal server error"})
    assert old.controls.rows() == []
    schema = old.get(f"/integration-settings/{channel}").json()
    assert schema == {"output": {"rules": "", "maxLength": 0, "settings": {}, "tools": []}}


def test_main_accepts_tiktok_business(api):
    channel = api.controls.add_channel("tiktok-business", "tt-biz")["id"]
    entry = {"integration": {"id": channel}, "value": [{"content": "clip", "image": MP4}], "settings": TIKTOK_OK}
    assert api.create(entry).status_code == 201
    assert api.get(f"/integration-settings/{channel}").json()["output"]["maxLength"] == 2200


# -- (c) TikTok: privacy_level and content_posting_method are @IsString too -------------
def test_tiktok_missing_settings_give_every_message_in_dto_order(both):
    response = both.create(both.entry("tiktok-main", image=MP4, settings={}))
    prefix = "posts.0.settings."
    assert answer(response) == bad_request(*[prefix + m for m in (
        "privacy_level must be a string",
        "privacy_level must be one of the following values: PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, "
        "FOLLOWER_OF_CREATOR, SELF_ONLY",
        "duet must be a boolean value",
        "stitch must be a boolean value",
        "comment must be a boolean value",
        "autoAddMusic must be one of the following values: yes, no",
        "brand_content_toggle must be a boolean value",
        "brand_organic_toggle must be a boolean value",
        "content_posting_method must be a string",
        "content_posting_method must be one of the following values: DIRECT_POST, UPLOAD",
    )])


def test_tiktok_string_fields_are_converted_before_the_checks(both):
    # Implicit conversion makes 1 the string "1": only @IsIn fails. A list stays a list.
    response = both.create(both.entry("tiktok-main", image=MP4, settings={
        **TIKTOK_OK, "privacy_level": ["PUBLIC_TO_EVERYONE"], "content_posting_method": 1}))
    assert answer(response) == bad_request(
        "posts.0.settings.privacy_level must be a string",
        "posts.0.settings.privacy_level must be one of the following values: PUBLIC_TO_EVERYONE, "
        "MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY",
        "posts.0.settings.content_posting_method must be one of the following values: DIRECT_POST, UPLOAD")


# -- (d) GET /posts?customer= on v2.23.0 replaces the channel filter --------------------
def _customer_posts(api):
    """Posts on two channels of one customer and one without; then one customer channel goes."""
    x, li, tiktok = api.channels["x-main"], api.channels["linkedin-page"], api.channels["tiktok-main"]
    api.controls.update_channel(x, customer=CUSTOMER)
    api.controls.update_channel(li, customer=CUSTOMER)
    kept = api.create(api.entry("x-main", settings={"who_can_reply_post": "everyone"})).json()[0]["postId"]
    orphan = api.create(api.entry("linkedin-page")).json()[0]["postId"]
    other = api.create(api.entry("tiktok-main", image=MP4, settings=TIKTOK_OK)).json()[0]["postId"]
    api.controls.update_channel(li, deleted=True)
    assert tiktok not in (x, li)
    return kept, orphan, other


def test_v2_23_0_customer_filter_lists_posts_of_deleted_channels(old):
    kept, orphan, other = _customer_posts(old)
    listed = old.listing(customer=CUSTOMER["id"])
    assert [p["id"] for p in listed] == [kept, orphan]
    assert listed[1]["integration"]["id"] == old.channels["linkedin-page"]
    # Without `customer` the channel filter is intact.
    assert [p["id"] for p in old.listing()] == [kept, other]


def test_main_customer_filter_keeps_deleted_channels_out(api):
    kept, orphan, other = _customer_posts(api)
    assert [p["id"] for p in api.listing(customer=CUSTOMER["id"])] == [kept]
    assert [p["id"] for p in api.listing()] == [kept, other]
