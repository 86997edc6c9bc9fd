# ruff: noqa: F811  (the integrations fixtures, imported: pytest finds them as this module's)
"""The comment moderation pages against the contract fake: videos and comments newest first,
replies nested, filters; reply, hide, show again and delete from the page, each reflected once
the platform confirmed; a reply too long refused beside its field; another client's comment a
404; and a comment webhook that changes the page without a sync."""

from __future__ import annotations

import html
import re
import time

import pytest
from django.core.cache import cache
from django.test import Client as Browser
from django.test import TestCase

from privet.integrations import services
from privet.integrations.models import Comment
from privet.integrations.sync import run_workflow
from privet.integrations.tests.conftest import make_client, make_link, tiktok_fake  # noqa: F401
from privet.integrations.tests.test_sync import connect
from privet.panel.roles import OPERATOR

from .conftest import sign_in

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def setup(tiktok_fake, make_client, make_link, make_operator):
    grant = connect(make_client, make_link, workflows=["moderation"])
    assert run_workflow(grant, "moderation", actor="test").status == "done"
    olga = make_operator("olga", OPERATOR)
    services.assign_operators(client=grant.client, users=[olga], actor="test")
    video = tiktok_fake.videos[0]["item_id"]
    base = f"/panel/clients/{grant.client.slug}/grants/{grant.pk}"
    return {"grant": grant, "browser": sign_in(Browser(), olga), "video": video, "base": base,
            "page": f"{base}/moderation/?video={video}"}


def held(grant):
    return Comment.objects.for_client(grant.client).filter(grant=grant)


def test_the_page_lists_videos_and_comments_newest_first_with_replies_nested(setup, tiktok_fake):
    browser, grant = setup["browser"], setup["grant"]
    start = browser.get(f"{setup['base']}/moderation/")
    assert start.status_code == 200
    shown = text(start)
    captions = [v["caption"] for v in tiktok_fake.videos]
    assert [shown.index(c) for c in captions] == sorted(shown.index(c) for c in captions)
    page = browser.get(setup["page"])
    body = page.content.decode()
    comments = tiktok_fake.comments_of(setup["video"])
    positions = [body.index(f'id="comment-{held(grant).get(external_id=c["comment_id"]).pk}"')
                 for c in comments]
    assert positions == sorted(positions)  # newest first
    first = held(grant).get(external_id=comments[-1]["comment_id"])
    thread = body[body.index(f'id="comment-{first.pk}"'):]
    assert '<ol class="plain replies">' in thread
    for reply in held(grant).filter(parent_id=first.external_id):
        assert f'id="comment-{reply.pk}"' in thread
    assert 'maxlength="150"' in body


def test_the_client_page_links_to_moderation(setup):
    page = text(setup["browser"].get(f"/panel/clients/{setup['grant'].client.slug}/"))
    assert "Moderate comments" in page


def test_the_client_page_says_why_moderation_is_unavailable(tiktok_fake, make_client, make_link,
                                                            make_operator):
    grant = connect(make_client, make_link, workflows=["moderation"],
                    scopes=["user.info.basic", "video.list", "comment.list"])
    olga = make_operator("olga", OPERATOR)
    services.assign_operators(client=grant.client, users=[olga], actor="test")
    browser = sign_in(Browser(), olga)
    page = text(browser.get(f"/panel/clients/{grant.client.slug}/"))
    assert "Comment moderation unavailable: the owner did not grant: comment.list.manage" in page
    moderation = browser.get(f"/panel/clients/{grant.client.slug}/grants/{grant.pk}/moderation/")
    assert moderation.status_code == 200 and "Moderation unavailable" in text(moderation)


def test_filters(setup, tiktok_fake):
    browser, grant, video = setup["browser"], setup["grant"], setup["video"]
    comments = list(held(grant).filter(video_id=video, parent_id="").order_by("-created"))
    held(grant).filter(pk=comments[0].pk).update(status="HIDDEN")
    hidden = browser.get(setup["page"] + "&hidden=on").content.decode()
    assert f'id="comment-{comments[0].pk}"' in hidden and f'id="comment-{comments[1].pk}"' not in hidden
    word = comments[1].text.split()[0]
    found = browser.get(setup["page"] + f"&q={word}").content.decode()
    assert f'id="comment-{comments[1].pk}"' in found
    nothing = text(browser.get(setup["page"] + "&q=nic-takiego"))
    assert "No comment matches these filters." in nothing
    browser.post(f"{setup['base']}/comments/{comments[1].pk}/reply/",
                 {f"c{comments[1].pk}-text": "Dzięki!", "back": f"video={video}"})
    unanswered = browser.get(setup["page"] + "&unanswered=on").content.decode()
    assert f'id="comment-{comments[1].pk}"' not in unanswered
    assert f'id="comment-{comments[2].pk}"' in unanswered


def test_reply_hide_unhide_and_delete_from_the_page(setup, tiktok_fake):
    browser, grant, video = setup["browser"], setup["grant"], setup["video"]
    comment = held(grant).filter(video_id=video, parent_id="").first()
    base = f"{setup['base']}/comments/{comment.pk}"
    back = {"back": f"video={video}&hidden=on&evil=https://example.com"}
    response = browser.post(f"{base}/reply/", {f"c{comment.pk}-text": "Dziękujemy!", **back})
    assert response.status_code == 302
    assert response["Location"] == f"{setup['base']}/moderation/?video={video}&hidden=on"
    reply = held(grant).get(parent_id=comment.external_id, by_account=True)
    assert tiktok_fake.comment(reply.external_id)["text"] == "Dziękujemy!"
    assert "Reply sent to the platform." in text(browser.get(response["Location"]))
    assert browser.post(f"{base}/hide/", back).status_code == 302
    assert tiktok_fake.comment(comment.external_id)["status"] == "HIDDEN"
    assert held(grant).get(pk=comment.pk).status == "HIDDEN"
    assert browser.post(f"{base}/unhide/", back).status_code == 302
    assert held(grant).get(pk=comment.pk).status == "PUBLIC"
    unconfirmed = browser.post(f"{base}/delete/", back)
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm the deletion." in text(unconfirmed)
    assert held(grant).filter(pk=comment.pk).exists()
    assert browser.post(f"{base}/delete/", {f"c{comment.pk}-confirm": "on", **back}).status_code == 302
    assert not held(grant).filter(pk=comment.pk).exists()
    assert tiktok_fake.comment(comment.external_id) is None


def test_a_reply_too_long_is_refused_beside_the_field_and_nothing_is_sent(setup, tiktok_fake):
    browser, grant, video = setup["browser"], setup["grant"], setup["video"]
    comment = held(grant).filter(video_id=video, parent_id="").first()
    calls = len(tiktok_fake.requests)
    response = browser.post(f"{setup['base']}/comments/{comment.pk}/reply/",
                            {f"c{comment.pk}-text": "x" * 151, "back": f"video={video}"})
    assert response.status_code == 400
    body = response.content.decode()
    error = body.index(f'id="id_c{comment.pk}-text_error"')
    assert body.index(f'id="id_c{comment.pk}-text"') < error
    assert "at most 150 characters on the platform; this one has 151" in text(response)
    assert len(tiktok_fake.requests) == calls
    assert not held(grant).filter(parent_id=comment.external_id, by_account=True).exists()


def test_a_platform_error_is_a_message_and_changes_nothing(setup, tiktok_fake):
    browser, grant, video = setup["browser"], setup["grant"], setup["video"]
    comment = held(grant).filter(video_id=video, parent_id="").first()
    tiktok_fake.fail_next(1, code=40002)
    response = browser.post(f"{setup['base']}/comments/{comment.pk}/hide/", {"back": f"video={video}"},
                            follow=True)
    assert "The platform refused it (code 40002)" in text(response)
    assert held(grant).get(pk=comment.pk).status == "PUBLIC"


def test_a_crafted_post_for_a_client_without_moderation_sends_nothing(setup, tiktok_fake):
    browser, grant, video = setup["browser"], setup["grant"], setup["video"]
    comment = held(grant).filter(video_id=video, parent_id="").first()
    services.set_workflows(client=grant.client, workflows=["messages"], actor="test")
    asked = len(tiktok_fake.requests)
    for action in ("hide", "delete"):
        response = browser.post(f"{setup['base']}/comments/{comment.pk}/{action}/",
                                {"back": f"video={video}", f"c{comment.pk}-confirm": "on"},
                                follow=True)
        assert "not one of this client's workflows: nothing was sent" in text(response)
    assert len(tiktok_fake.requests) == asked
    assert held(grant).get(pk=comment.pk).status == "PUBLIC"


def test_another_clients_comment_is_a_404(setup, tiktok_fake, make_client, make_link):
    other = connect(make_client, make_link, workflows=["moderation"], slug="inny")
    theirs = Comment.objects.for_client(other.client).create(
        client=other.client, grant=other, external_id="99", video_id="2", text="Ich")
    browser = setup["browser"]
    for action in ("reply", "hide", "unhide", "delete"):
        assert browser.post(f"{setup['base']}/comments/{theirs.pk}/{action}/").status_code == 404
        assert browser.post(f"/panel/clients/inny/grants/{other.pk}/comments/{theirs.pk}/{action}/"
                            ).status_code == 404
    assert browser.get(f"/panel/clients/inny/grants/{other.pk}/moderation/").status_code == 404
    assert held(other).get(pk=theirs.pk).status == "PUBLIC"


def test_a_comment_webhook_changes_the_page_without_a_sync(setup, tiktok_fake):
    browser, grant, video = setup["browser"], setup["grant"], setup["video"]
    new = tiktok_fake.add_comment(video, "Najlepsza kawa w mieście", "stały_gość")
    assert "Najlepsza kawa w mieście" not in text(browser.get(setup["page"]))

    def deliver(comment_id: str, at: int) -> None:
        headers, body = tiktok_fake.webhook("comment.update", grant.account_id,
                                            {"comment_id": comment_id, "video_id": video}, at=at)
        # the re-read is queued after the delivery's commit (the task backend is immediate)
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = Browser().generic("POST", "/integrations/webhooks/tiktok_business/", body,
                                         content_type="application/json",
                                         HTTP_TIKTOK_SIGNATURE=headers["TikTok-Signature"])
        assert response.status_code == 200, response.content

    now = int(time.time())
    deliver(new["comment_id"], now - 1)
    assert "Najlepsza kawa w mieście" in text(browser.get(setup["page"]))
    tiktok_fake.delete_comment(new["comment_id"])
    deliver(new["comment_id"], now)  # another event about the same comment
    assert "Najlepsza kawa w mieście" not in text(browser.get(setup["page"]))
