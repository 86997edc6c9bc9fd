"""Comment moderation against the contract fake: each action reflected here only once the
platform confirmed it, refused before any call when the platform would refuse it, nothing
changed when the platform says no; the reads (filters, newest first, replies nested); and
``comment.update`` webhooks that bring a comment in, or take it away, without a sync."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.http import Http404

from privet.integrations import moderation, services
from privet.integrations.errors import PlatformError
from privet.integrations.models import Comment, Grant, PlatformAccount, WebhookDelivery
from privet.integrations.sync import run_workflow

from .conftest import audit_events
from .test_sync import connect

pytestmark = pytest.mark.django_db
WEBHOOK = "/integrations/webhooks/tiktok_business/"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # webhook replay ids: the fake's ids repeat from test to test
    yield
    cache.clear()


@pytest.fixture
def synced(tiktok_fake, make_client, make_link):
    grant = connect(make_client, make_link, workflows=["moderation"])
    run = run_workflow(grant, "moderation", actor="test")
    assert run.status == "done", run.error
    return grant


def held(grant):
    return Comment.objects.for_client(grant.client).filter(grant=grant)


def top_level(grant, tiktok_fake) -> Comment:
    """The newest video's oldest comment: the one with replies."""
    video = tiktok_fake.videos[0]["item_id"]
    first = tiktok_fake.comments_of(video)[-1]
    return held(grant).get(external_id=first["comment_id"])


def snapshot(grant) -> list[tuple]:
    return sorted(held(grant).values_list("external_id", "status", "replies", "text"))


def test_a_reply_is_stored_once_the_platform_made_it(synced, tiktok_fake, make_operator):
    olga = make_operator("olga")
    comment = top_level(synced, tiktok_fake)
    replies_before = comment.replies
    reply = moderation.reply_to_comment(synced, comment, "  Dziękujemy!  ", olga)
    on_platform = tiktok_fake.comment(reply.external_id)
    assert on_platform and on_platform["text"] == "Dziękujemy!" and on_platform["owner"]
    assert on_platform["parent_comment_id"] == comment.external_id
    account = PlatformAccount.objects.for_client(synced.client).get(grant=synced)
    assert (reply.by_account, reply.username, reply.parent_id, reply.video_id) == (
        True, account.username, comment.external_id, comment.video_id)
    comment.refresh_from_db()
    assert comment.replies == replies_before + 1
    assert audit_events("integrations.comment_replied")[-1] == {
        "client": synced.client.slug, "comment": comment.external_id, "video": comment.video_id,
        "length": len("Dziękujemy!")}
    # A sync afterwards finds the same reply: no duplicate.
    run_workflow(synced, "moderation", actor="test")
    assert held(synced).filter(external_id=reply.external_id).count() == 1


@pytest.mark.parametrize("text", ["", "   ", "x" * 151])
def test_an_empty_or_too_long_reply_is_refused_before_any_call(synced, tiktok_fake, text):
    comment = top_level(synced, tiktok_fake)
    before, calls = snapshot(synced), len(tiktok_fake.requests)
    with pytest.raises(moderation.InvalidReply):
        moderation.reply_to_comment(synced, comment, text, "test")
    assert len(tiktok_fake.requests) == calls and snapshot(synced) == before


def test_a_reply_of_exactly_the_limit_is_sent(synced, tiktok_fake):
    reply = moderation.reply_to_comment(synced, top_level(synced, tiktok_fake), "x" * 150, "test")
    assert tiktok_fake.comment(reply.external_id)["text"] == "x" * 150


def test_hide_and_unhide_follow_the_platform(synced, tiktok_fake):
    comment = top_level(synced, tiktok_fake)
    moderation.hide_comment(synced, comment, "test")
    assert tiktok_fake.comment(comment.external_id)["status"] == "HIDDEN"
    assert held(synced).get(pk=comment.pk).status == "HIDDEN"
    moderation.unhide_comment(synced, comment, "test")
    assert tiktok_fake.comment(comment.external_id)["status"] == "PUBLIC"
    assert held(synced).get(pk=comment.pk).status == "PUBLIC"
    assert [e["comment"] for e in audit_events("integrations.comment_hidden")] == [comment.external_id]
    assert [e["comment"] for e in audit_events("integrations.comment_unhidden")] == [comment.external_id]


def test_delete_removes_the_comment_and_its_replies_once_the_platform_did(synced, tiktok_fake):
    comment = top_level(synced, tiktok_fake)
    replies = list(held(synced).filter(parent_id=comment.external_id).values_list("pk", flat=True))
    assert replies
    moderation.delete_comment(synced, comment, "test")
    assert tiktok_fake.comment(comment.external_id) is None
    assert not held(synced).filter(pk__in=[comment.pk, *replies]).exists()
    assert audit_events("integrations.comment_deleted")[-1]["comment"] == comment.external_id


def test_deleting_a_reply_counts_it_off_its_thread(synced, tiktok_fake):
    comment = top_level(synced, tiktok_fake)
    reply = held(synced).filter(parent_id=comment.external_id).first()
    moderation.delete_comment(synced, reply, "test")
    assert held(synced).get(pk=comment.pk).replies == comment.replies - 1


@pytest.mark.parametrize("action", ["reply", "hide", "unhide", "delete"])
def test_a_platform_error_changes_nothing(synced, tiktok_fake, action):
    comment = top_level(synced, tiktok_fake)
    before = snapshot(synced)
    tiktok_fake.fail_next(1, code=40002)
    with pytest.raises(PlatformError):
        {"reply": lambda: moderation.reply_to_comment(synced, comment, "Hej", "test"),
         "hide": lambda: moderation.hide_comment(synced, comment, "test"),
         "unhide": lambda: moderation.unhide_comment(synced, comment, "test"),
         "delete": lambda: moderation.delete_comment(synced, comment, "test")}[action]()
    assert snapshot(synced) == before
    for done in ("replied", "hidden", "unhidden", "deleted"):
        assert audit_events(f"integrations.comment_{done}") == []


def test_a_grant_without_comment_management_is_refused_without_a_call(tiktok_fake, make_client,
                                                                      make_link):
    grant = connect(make_client, make_link, workflows=["moderation"],
                    scopes=["user.info.basic", "video.list", "comment.list"])
    comment = Comment.objects.for_client(grant.client).create(
        client=grant.client, grant=grant, external_id="1", video_id="2", text="Hej")
    calls = len(tiktok_fake.requests)
    with pytest.raises(moderation.ModerationError) as refused:
        moderation.hide_comment(grant, comment, "test")
    assert "did not grant every scope" in str(refused.value)
    assert len(tiktok_fake.requests) == calls
    assert held(grant).get(pk=comment.pk).status == "PUBLIC"


def test_another_clients_comment_is_not_found(synced, tiktok_fake, make_client, make_link):
    other = connect(make_client, make_link, workflows=["moderation"], slug="inny")
    theirs = Comment.objects.for_client(other.client).create(
        client=other.client, grant=other, external_id="99", video_id="2", text="Ich")
    with pytest.raises(Http404):
        moderation.comment_of(synced, theirs.pk)
    with pytest.raises(moderation.ModerationError):
        moderation.hide_comment(synced, theirs, "test")


# --- reads ------------------------------------------------------------------------------------------

def test_videos_newest_first_with_their_counts(synced, tiktok_fake):
    videos = list(moderation.videos_of(synced))
    assert [v.external_id for v in videos] == [v["item_id"] for v in tiktok_fake.videos]
    assert [v.held for v in videos] == [held(synced).filter(video_id=v.external_id).count()
                                        for v in videos]


def test_comments_newest_first_replies_nested_and_filters(synced, tiktok_fake):
    video = tiktok_fake.videos[0]["item_id"]
    comments = list(moderation.comments_of(synced, video))
    assert [c.external_id for c in comments] == [c["comment_id"] for c in tiktok_fake.comments_of(video)]
    assert all(not c.parent_id for c in comments)
    threads = moderation.threads(synced, comments)
    first = threads[-1]
    assert [r.external_id for r in first.replies] == [
        r["comment_id"] for r in reversed(tiktok_fake.state.replies[first.comment.external_id])]
    # hidden
    moderation.hide_comment(synced, comments[0], "test")
    assert [c.pk for c in moderation.comments_of(synced, video, hidden=True)] == [comments[0].pk]
    # unanswered: answered once the account replied
    moderation.reply_to_comment(synced, comments[1], "Dzięki", "test")
    unanswered = {c.pk for c in moderation.comments_of(synced, video, unanswered=True)}
    assert comments[1].pk not in unanswered and comments[0].pk in unanswered
    # keyword, in any case, in the comment or in a reply
    word = comments[2].text.split()[0]
    assert comments[2].pk in {c.pk for c in moderation.comments_of(synced, video, keyword=word.upper())}
    assert {c.pk for c in moderation.comments_of(synced, video, keyword="dzięki")} == {comments[1].pk}
    assert not moderation.comments_of(synced, video, keyword="nic-takiego-nie-ma").exists()


# --- webhooks -------------------------------------------------------------------------------------

def deliver(client, tiktok_fake, grant, content: dict, event: str = "comment.update"):
    """Post a signed delivery; the re-read it queues after its commit runs at once (the tests'
    task backend is immediate)."""
    from django.test import TestCase

    headers, body = tiktok_fake.webhook(event, grant.account_id, content)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.generic("POST", WEBHOOK, body, content_type="application/json",
                              HTTP_TIKTOK_SIGNATURE=headers["TikTok-Signature"])


def processed() -> str:
    """The outcome of the last comment re-read a webhook queued."""
    return audit_events("integrations.webhook_processed")[-1]["outcome"]


def test_a_comment_webhook_brings_a_new_comment_in_without_a_sync(client, synced, tiktok_fake):
    video = tiktok_fake.videos[0]["item_id"]
    new = tiktok_fake.add_comment(video, "Świetny film!", "nowa_osoba", display_name="Nowa")
    listed = len(tiktok_fake.calls("business/video/list/"))
    response = deliver(client, tiktok_fake, synced, {"comment_id": new["comment_id"],
                                                      "video_id": video})
    assert response.status_code == 200 and response.json()["outcome"] == "comment_queued"
    stored = held(synced).get(external_id=new["comment_id"])
    assert (stored.text, stored.username, stored.video_id) == ("Świetny film!", "nowa_osoba", video)
    assert len(tiktok_fake.calls("business/video/list/")) == listed  # no sync ran
    assert WebhookDelivery.objects.get().outcome == "comment_queued"
    assert audit_events("integrations.webhook_processed")[-1] == {
        "client": synced.client.slug, "outcome": "comment_updated",
        "comment": new["comment_id"], "video": video}


def test_a_reply_webhook_updates_the_thread_too(client, synced, tiktok_fake):
    comment = top_level(synced, tiktok_fake)
    reply = tiktok_fake.add_comment(comment.video_id, "Też tak myślę", parent=comment.external_id)
    deliver(client, tiktok_fake, synced, {"comment_id": reply["comment_id"],
                                          "video_id": comment.video_id,
                                          "parent_comment_id": comment.external_id})
    assert held(synced).get(external_id=reply["comment_id"]).parent_id == comment.external_id
    assert held(synced).get(pk=comment.pk).replies == comment.replies + 1


def test_a_comment_webhook_for_a_comment_deleted_on_the_platform_removes_it(client, synced,
                                                                             tiktok_fake):
    comment = top_level(synced, tiktok_fake)
    tiktok_fake.delete_comment(comment.external_id)
    response = deliver(client, tiktok_fake, synced, {"comment_id": comment.external_id,
                                                      "video_id": comment.video_id})
    assert response.json()["outcome"] == "comment_queued" and processed() == "comment_removed"
    assert not held(synced).filter(external_id=comment.external_id).exists()
    assert not held(synced).filter(parent_id=comment.external_id).exists()


def test_a_comment_webhook_touches_no_client_that_does_not_moderate(client, tiktok_fake,
                                                                    make_client, make_link):
    grant = connect(make_client, make_link, workflows=["messages"])
    video = tiktok_fake.videos[0]["item_id"]
    new = tiktok_fake.add_comment(video, "Hej")
    calls = len(tiktok_fake.calls("business/comment/list/"))
    response = deliver(client, tiktok_fake, grant, {"comment_id": new["comment_id"], "video_id": video})
    assert response.json()["outcome"] == "no_grant"
    assert not held(grant).exists()
    assert len(tiktok_fake.calls("business/comment/list/")) == calls


def test_a_platform_error_on_a_comment_webhook_changes_nothing(client, synced, tiktok_fake):
    before = snapshot(synced)
    video = tiktok_fake.videos[0]["item_id"]
    new = tiktok_fake.add_comment(video, "Hej")
    tiktok_fake.fail_next(1, code=40002)
    response = deliver(client, tiktok_fake, synced, {"comment_id": new["comment_id"], "video_id": video})
    assert response.json()["outcome"] == "comment_queued" and processed() == "platform_error"
    assert snapshot(synced) == before


def test_a_comment_webhook_is_answered_before_any_platform_call(client, synced, tiktok_fake):
    video = tiktok_fake.videos[0]["item_id"]
    new = tiktok_fake.add_comment(video, "Hej")
    asked = len(tiktok_fake.calls("business/comment/list/"))
    headers, body = tiktok_fake.webhook("comment.update", synced.account_id,
                                        {"comment_id": new["comment_id"], "video_id": video})
    response = client.generic("POST", WEBHOOK, body, content_type="application/json",
                              HTTP_TIKTOK_SIGNATURE=headers["TikTok-Signature"])
    assert response.json()["outcome"] == "comment_queued"
    # the re-read waits for the delivery's commit and the worker, not the platform's answer
    assert len(tiktok_fake.calls("business/comment/list/")) == asked


def test_nothing_is_done_on_the_platform_for_a_client_that_turned_moderation_off(synced,
                                                                                tiktok_fake):
    comment = top_level(synced, tiktok_fake)
    services.set_workflows(client=synced.client, workflows=["messages"], actor="test")
    synced.client.refresh_from_db()
    synced = Grant.objects.for_client(synced.client).get(pk=synced.pk)
    asked = len(tiktok_fake.requests)
    for act in (lambda: moderation.reply_to_comment(synced, comment, "Hej", "test"),
                lambda: moderation.hide_comment(synced, comment, "test"),
                lambda: moderation.delete_comment(synced, comment, "test")):
        with pytest.raises(moderation.ModerationError):
            act()
    assert len(tiktok_fake.requests) == asked


def test_a_webhook_about_a_comment_hidden_on_the_platform_keeps_it_hidden(client, synced,
                                                                          tiktok_fake):
    comment = top_level(synced, tiktok_fake)
    tiktok_fake.set_comment(comment.external_id, status="HIDDEN")
    deliver(client, tiktok_fake, synced, {"comment_id": comment.external_id,
                                          "video_id": comment.video_id})
    assert processed() == "comment_updated"
    assert held(synced).get(pk=comment.pk).status == "HIDDEN"
