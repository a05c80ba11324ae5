"""The pure parts on plain data: normalisation, classification, safety, state file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from planner.commands import views
from planner.errors import UserError
from planner.postiz.models import Channel, LivePost
from planner.reconcile import changes, diff, normalize, safety
from planner.reconcile.adopt import Entry
from planner.reconcile.desired import DesiredPost
from planner.reconcile.ownership import Signer
from planner.reconcile.records import Record
from planner.reconcile.state import Owned, State, load

T0 = datetime(2031, 3, 1, 14, 0, tzinfo=UTC)
X = Channel("ch-x", "x-main", "x")


def desired(at=T0, caption="hello", settings=None, key="clip-01") -> DesiredPost:
    rec = Record(at=at, content=normalize.content(caption), settings=settings or {"who_can_reply_post": "everyone"})
    return DesiredPost(f"{key}@x-main", key, "x-main", X, caption, rec, [])


def owned(rec: Record, caption="hello") -> Owned:
    return Owned("p1", "ch-x", "x", rec, group="g1", caption_digest=normalize.text_digest(caption))


def live(rec: Record, state="QUEUE", settings=True) -> LivePost:
    raw = {"__type": "x", **rec.settings, "cliper_sched": "ep12/clip-01@x-main"} if settings else None
    return LivePost(id="p1", content=rec.content, publish_date=rec.at, release_url=None, release_id=None,
                    state=state, interval_in_days=None, group="g2", creation_method=None, settings=raw,
                    integration_id="ch-x", provider="x", channel_name="x-main")


def classify(d, o, lv, **kw):
    kw.setdefault("now", T0 - timedelta(days=1))
    return diff.compute([Entry(d.address if d else "clip-01@x-main", d, o, lv)], **kw)


@pytest.mark.parametrize("text, stored", [
    ("Tom & Jerry \"q\" #x", "Tom & Jerry \"q\" #x"),      # no `<`: verbatim
    ("a < b & c <b>bold</b>", "a &lt; b &amp; c bold"),    # recorded from a real Postiz
    ("see <https://x.com>", "see "),
])
def test_content_is_compared_as_postiz_stores_it(text, stored):
    assert normalize.content(text) == stored


def test_instants_not_strings():
    assert normalize.instant("2031-03-01T08:00:00-06:00") == normalize.instant("2031-03-01T14:00:00.000Z")
    assert normalize.instant("2031-03-01T14:00:00") == T0  # zone-less is UTC, as Postiz reads it


def test_no_op_when_live_matches_plan_even_with_marker_and_type():
    d = desired()
    plan = classify(d, owned(d.record), live(d.record))
    assert not plan.has_changes and not plan.drifts and plan.noops == 1
    assert plan.state_refresh["clip-01@x-main"].group == "g2"  # groups rotate: remember the new one


def test_plan_change_is_an_update_with_field_level_old_and_new():
    before = desired()
    after = desired(at=T0 + timedelta(hours=1), caption="new")
    plan = classify(after, owned(before.record), live(before.record))
    [update] = plan.updates
    assert [(f.path, f.old, f.new) for f in update.fields] == [
        ("at", "2031-03-01T14:00:00.000Z", "2031-03-01T15:00:00.000Z"), ("content", "hello", "new")]
    assert not update.settings_only


def test_dashboard_edit_is_drift_kept_unless_overwrite():
    d = desired()
    moved = d.record.replace(at=T0 + timedelta(days=1))
    kept = classify(d, owned(d.record), live(moved))
    assert [(x.how, x.restored) for x in kept.drifts] == [("moved", False)]
    assert not kept.has_changes
    restored = classify(d, owned(d.record), live(moved), overwrite_drift=True)
    assert restored.drifts[0].restored and len(restored.updates) == 1


def test_deleted_in_dashboard_is_drift_and_recreated_only_with_overwrite():
    d = desired()
    assert classify(d, owned(d.record), None).drifts[0].how == "deleted"
    assert not classify(d, owned(d.record), None).creates
    assert len(classify(d, owned(d.record), None, overwrite_drift=True).creates) == 1


def test_published_post_is_never_changed_or_deleted():
    d = desired(caption="changed in the plan")
    rec = desired().record
    plan = classify(d, owned(rec), live(rec, state="PUBLISHED"), overwrite_drift=True)
    assert not plan.has_changes
    assert plan.drifts[0].how == "published"
    gone = classify(None, owned(rec), live(rec, state="PUBLISHED"))
    assert not gone.deletes


def test_owned_post_gone_from_plan_is_deleted_unowned_never_considered():
    rec = desired().record
    assert len(classify(None, owned(rec), live(rec)).deletes) == 1
    assert not classify(None, None, live(rec)).has_changes


def test_settings_only_update_is_marked_for_the_uncounted_route():
    before = desired()
    after = desired(settings={"who_can_reply_post": "following"})
    [update] = classify(after, owned(before.record), live(before.record)).updates
    assert update.settings_only
    assert [(f.path, f.old, f.new) for f in update.fields] == [
        ("settings.who_can_reply_post", "everyone", "following")]


def test_without_listed_settings_state_stands_in():
    d = desired()
    plan = classify(d, owned(d.record), live(d.record, settings=False))
    assert not plan.has_changes and not plan.drifts


def _plan_with(deletes: int, owned_count: int) -> changes.ChangeSet:
    rec = desired().record
    p = changes.ChangeSet(owned_count=owned_count)
    p.deletes = [changes.Delete(f"c{i}@x-main", owned(rec), live(rec)) for i in range(deletes)]
    return p


def test_mass_delete_guard():
    with pytest.raises(UserError, match="--allow-mass-delete"):
        safety.check(_plan_with(5, 10), plan_file="p.yaml", now=T0)
    safety.check(_plan_with(5, 10), plan_file="p.yaml", now=T0, allow_mass_delete=True)
    safety.check(_plan_with(4, 4), plan_file="p.yaml", now=T0)  # a handful is not "mass"
    safety.check(_plan_with(5, 20), plan_file="p.yaml", now=T0)  # 25%


def test_past_guard_names_the_post():
    p = changes.ChangeSet(creates=[changes.Create("clip-01@x-main", desired(at=datetime(2020, 1, 1, tzinfo=UTC)))])
    with pytest.raises(UserError, match="clip-01@x-main: time .* is in the past") as err:
        safety.check(p, plan_file="p.yaml", now=T0)
    assert "--allow-past" in err.value.render()


def test_human_and_json_views_render_one_plan():
    before = desired()
    after = desired(caption="new")
    plan = classify(after, owned(before.record), live(before.record))
    text = views.render(plan)
    data = views.data(plan)
    assert '~ clip-01@x-main' in text and 'content: "hello" → "new"' in text
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in text
    assert data["summary"] == {"add": 0, "change": 1, "destroy": 0, "drift": 0, "unchanged": 0}
    assert data["changes"][0]["fields"] == [{"path": "content", "old": "hello", "new": "new"}]
    json.dumps(data)


SIGNER = Signer(b"k" * 32)


def test_state_file_round_trips_sorted_signed_and_without_secrets(tmp_path):
    path = tmp_path / "ep12.state.json"
    st = State(path=path, plan_name="ep12", plan_id="plan0001", api_url="http://127.0.0.1:1/api", signer=SIGNER)
    st.posts["clip-01@x-main"] = owned(desired().record)
    st.save()
    text = path.read_text()
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    again = load(path, "ep12", "plan0001", SIGNER)
    assert again.posts["clip-01@x-main"].applied == desired().record and not again.notes
    # Another API key, another plan id, or a hand edit: the entry proves nothing and is left out.
    assert load(path, "ep12", "plan0001", Signer(b"j" * 32)).posts == {}
    assert load(path, "ep12", "plan0002", SIGNER).posts == {}
    data = json.loads(text)
    data["posts"]["clip-01@x-main"]["post_id"] = "someone-elses-post"
    path.write_text(json.dumps(data))
    forged = load(path, "ep12", "plan0001", SIGNER)
    assert forged.posts == {} and "not signed with this API key" in forged.notes[0]


def test_state_file_text_follows_every_change_of_its_entries(tmp_path):
    """The file is written at every step of an apply, each post rendered once and reused
    while it is unchanged: whatever changes (an entry replaced, forgotten or renamed, the
    plan id, media, the journal), the text is exactly the sorted, indented JSON of what the
    state holds, and every entry in it still verifies."""
    from dataclasses import replace

    from planner.reconcile.journal import Intent, IntentEntry

    path = tmp_path / "ep12.state.json"
    st = State(path=path, plan_name="ep12", plan_id="plan0001", api_url=None, signer=SIGNER)

    def check() -> None:
        st.save()
        text = path.read_text("utf-8")
        assert text == json.dumps(st.as_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        again = load(path, "ep12", st.plan_id, SIGNER)
        assert again.notes == [] and again.posts == st.posts and again.media == st.media
        assert again.journal == st.journal

    check()  # empty
    captions = ["hola", "línea 1\nlínea 2 \u200b", 'comillas "y" \\ barras', "日本語 🎬"]
    for i, caption in enumerate(captions):
        rec = desired(at=T0 + timedelta(hours=i), caption=caption, key=f"clip-0{i}").record
        st.own(f"clip-0{i}@x-main", owned(rec, caption))
        check()
    st.record_media("a" * 64, "m1", "/uploads/1.mp4")
    st.add_intents([Intent(date="2031-03-01T14:00:00.000Z", sent_at="2031-03-01T13:00:00.000Z", entries=(
        IntentEntry(address="clip-09@x-main", channel_id="ch-x", at="2031-03-01T14:00:00.000Z",
                    caption_digest="d", content="nuevo", record=desired(caption="nuevo").record),))])
    check()
    st.replace_intent(st.journal[0], st.journal[0].keeping(st.journal[0].entries, unanswered=True))
    check()
    first = st.posts["clip-01@x-main"]
    st.own("clip-01@x-main", replace(first, state="PUBLISHED", release_url="https://x.com/1"))
    check()
    assert '"release_url": "https://x.com/1"' in path.read_text("utf-8")
    st.forget("clip-02@x-main")
    st.rename("clip-03@x-main", "clip-33@x-main", st.posts["clip-03@x-main"])
    st.record_media("a" * 64, "m2", "/uploads/2.mp4")
    st.replace_journal([])
    check()
    st.plan_id = "plan0002"  # every entry is signed again for the new id
    check()
    # A setting that changes only its type (1 -> true) is equal in Python, not in the file.
    post = st.posts["clip-00@x-main"]
    for value in (1, True):
        record = replace(post.applied, settings={**post.applied.settings, "flag": value})
        st.own("clip-00@x-main", replace(post, applied=record))
        check()
    assert '"flag": true' in path.read_text("utf-8")


def test_state_file_errors_say_where_and_what_to_do(tmp_path):
    path = tmp_path / "ep12.state.json"
    path.write_text('{"version": 2, "plan": "ep12", "posts": {"x": {}}, "media": {}, "journal": []}')
    with pytest.raises(UserError) as err:
        load(path, "ep12", "plan0001", SIGNER)
    assert str(path) in err.value.render() and "cache" in err.value.render()
    path.write_text("{not json")
    with pytest.raises(UserError, match="cannot read the state file"):
        load(path, "ep12", "plan0001", SIGNER)


def test_long_note_lists_say_how_many_more_and_keep_their_hint():
    """A 25-post ERROR list must neither flood the terminal nor hide posts silently."""
    notes = [changes.Note(f"clip-{i:02d}@x-main", "error", "Postiz failed to publish this post", "reconnect the channel")
             for i in range(25)]
    notes += [changes.Note(f"clip-{i:02d}@tiktok-main", "adopted", "found in Postiz by marker") for i in range(22)]
    text = views.render(changes.ChangeSet(notes=notes))
    assert "clip-19@x-main" in text and "clip-20@x-main" not in text
    assert "… and 5 more" in text and "… and 2 more" in text
    assert text.count("hint: reconnect the channel") == 1
    assert "Adopted (already in Postiz, now owned by this plan): 22" in text
