"""Syncs against the contract fake: what the workflows bring in, and how a sync survives the
platform (rate limits, an expiring token, short pages) and a crash at any page."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from django.db import connection
from django.db.models import F
from django.utils.translation import override as translation_override

from privet.integrations import services
from privet.integrations.errors import PlatformError, Refused
from privet.integrations.models import (
    Campaign,
    CampaignDay,
    Comment,
    Conversation,
    Grant,
    Message,
    OutboundCall,
    SyncRun,
    SyncState,
    Video,
)
from privet.integrations.sync import SyncConflict, WorkflowUnavailable, run_workflow
from privet.integrations.tiktok.fake import CANARY

from .conftest import audit_events, authorise

ALL = ["moderation", "messages", "insights", "reporting"]


def connect(make_client, make_link, flow: str = "account", workflows=ALL, slug: str = "",
            scopes=None) -> Grant:
    client = make_client(slug=slug) if slug else make_client()
    services.set_workflows(client=client, workflows=workflows, actor="test")
    link = make_link(client, flow=flow, scopes=scopes)
    journey = authorise(link)
    assert journey.response.status_code == 200, journey.response.content
    link.refresh_from_db()
    return Grant.objects.for_client(client).get(pk=link.grant_id)


def comments_of(grant: Grant):
    return Comment.objects.for_client(grant.client).filter(grant=grant)


@pytest.fixture
def grant(tiktok_fake, make_client, make_link) -> Grant:
    return connect(make_client, make_link)


def test_moderation_brings_in_videos_comments_and_replies_as_the_platform_has_them(grant, tiktok_fake):
    run = run_workflow(grant, "moderation", actor="test")
    assert run.status == SyncRun.Status.DONE, run.error
    videos = Video.objects.for_client(grant.client).filter(grant=grant)
    assert {v.external_id for v in videos} == {v["item_id"] for v in tiktok_fake.videos}
    expected = {c["comment_id"] for v in tiktok_fake.videos for c in tiktok_fake.comments_of(v["item_id"])}
    first = tiktok_fake.comments_of(tiktok_fake.videos[0]["item_id"])[-1]
    replies = {c["comment_id"] for c in tiktok_fake.state.replies[first["comment_id"]]}
    stored = comments_of(grant)
    assert {c.external_id for c in stored} >= expected | replies
    reply = stored.get(external_id=next(iter(replies)))
    assert reply.parent_id == first["comment_id"] and reply.username
    assert run.counts["comment"] == stored.count() and run.counts["video"] == videos.count()
    assert audit_events("integrations.synced")[-1] | {} == {
        "client": grant.client.slug, "workflow": "moderation", "records": sum(run.counts.values()),
        "outcome": "done"}


def test_a_field_outside_the_contract_never_reaches_the_database(grant, tiktok_fake):
    for workflow in ALL[:3]:
        assert run_workflow(grant, workflow).status == SyncRun.Status.DONE
    with connection.cursor() as cursor:
        for model in (Video, Comment, Conversation, Message):
            columns = [f.column for f in model._meta.concrete_fields]
            cursor.execute(f"SELECT {', '.join(columns)} FROM {model._meta.db_table}")
            rows = cursor.fetchall()
            assert rows, model
            assert not any(CANARY in str(value) for row in rows for value in row), model
    states = SyncState.objects.for_client(grant.client).filter(grant=grant, stream="comments")
    assert sum(s.dropped_fields for s in states) > 0  # counted, not kept


def test_a_second_sync_reads_only_what_changed(grant, tiktok_fake):
    run_workflow(grant, "moderation")
    before = tiktok_fake.call_count("business/comment/list/")
    video = tiktok_fake.videos[1]["item_id"]
    new = tiktok_fake.add_comment(video, "Nowy komentarz", "nowa_osoba")
    run_workflow(grant, "moderation")
    # one video's count changed: its comments are read again, the others' are not
    assert tiktok_fake.call_count("business/comment/list/") - before == 1
    assert comments_of(grant).filter(external_id=new["comment_id"], video_id=video).exists()


def test_short_pages_are_not_the_end(grant, tiktok_fake):
    video = tiktok_fake.videos[0]["item_id"]
    tiktok_fake.add_comments(video, 95)
    tiktok_fake.short_pages()
    run_workflow(grant, "moderation")
    top = [c["comment_id"] for c in tiktok_fake.comments_of(video)]
    assert set(comments_of(grant).filter(video_id=video, parent_id="")
               .values_list("external_id", flat=True)) == set(top)


def test_a_rate_limit_mid_sync_is_waited_out(grant, tiktok_fake):
    video = tiktok_fake.videos[0]["item_id"]
    tiktok_fake.add_comments(video, 100)
    tiktok_fake.fail_after("business/comment/list/", 2, code=40100, count=2)
    run = run_workflow(grant, "moderation")
    assert run.status == SyncRun.Status.DONE
    assert comments_of(grant).filter(video_id=video, parent_id="").count() == \
        len(tiktok_fake.comments_of(video))
    retried = OutboundCall.objects.for_client(grant.client).filter(
        endpoint="account.comments", attempts=3)
    assert retried.count() == 1


def test_an_expired_token_mid_sync_is_refreshed_on_the_same_page(grant, tiktok_fake):
    video = tiktok_fake.videos[0]["item_id"]
    tiktok_fake.add_comments(video, 100)
    tiktok_fake.expire_after("business/comment/list/", 2)
    run = run_workflow(grant, "moderation")
    assert run.status == SyncRun.Status.DONE, run.error
    assert comments_of(grant).filter(video_id=video, parent_id="").count() == \
        len(tiktok_fake.comments_of(video))
    grant.refresh_from_db()
    assert grant.live and grant.refreshed_at is not None
    assert len(tiktok_fake.calls("tt_user/oauth2/refresh_token/")) == 1


@pytest.mark.parametrize("after", [0, 1, 3])
def test_a_sync_cut_short_resumes_without_duplicates_or_gaps(grant, tiktok_fake, settings, after):
    settings.PRIVET_INTEGRATIONS_RETRY_ATTEMPTS = 1
    video = tiktok_fake.videos[0]["item_id"]
    tiktok_fake.add_comments(video, 140)
    run_workflow(grant, "moderation")  # the videos, the small lists
    tiktok_fake.add_comments(video, 60)
    tiktok_fake.fail_after("business/comment/list/", after, code=50000, count=1)
    failed = run_workflow(grant, "moderation", full=True)
    assert failed.status == SyncRun.Status.FAILED and failed.error == "Transient"
    state = SyncState.objects.for_client(grant.client).get(grant=grant, stream="comments",
                                                           parent=video)
    assert state.status == SyncState.Status.FAILED
    asked = len(tiktok_fake.calls("business/comment/list/"))
    resumed = run_workflow(grant, "moderation")
    assert resumed.status == SyncRun.Status.DONE
    ids = list(comments_of(grant).filter(video_id=video, parent_id="").values_list("external_id", flat=True))
    assert len(ids) == len(set(ids)) == len(tiktok_fake.comments_of(video)) == 204
    cursors = [r.params.get("cursor") for r in tiktok_fake.calls("business/comment/list/")[asked:]
               if r.params.get("video_id") == video]
    # the page it had not stored, not the first
    assert cursors[0] == (str(after * 30) if after else None)


def test_a_workflow_whose_scope_was_not_granted_is_never_attempted(tiktok_fake, make_client, make_link):
    tiktok_fake.grant_only(["user.info.basic", "video.list", "comment.list"])  # no manage
    grant = connect(make_client, make_link, workflows=["moderation", "messages"])
    assert "comment.list.manage" not in grant.scopes
    before = len(tiktok_fake.requests)
    for workflow in ("moderation", "messages"):
        with pytest.raises(WorkflowUnavailable) as refused:
            run_workflow(grant, workflow)
        assert refused.value.reason == "scope_not_granted"
    assert len(tiktok_fake.requests) == before
    assert not SyncRun.objects.for_client(grant.client).exists()


def test_a_workflow_the_client_did_not_choose_is_not_run(tiktok_fake, make_client, make_link):
    grant = connect(make_client, make_link, workflows=["moderation"])
    with pytest.raises(WorkflowUnavailable) as refused:
        run_workflow(grant, "messages")
    assert refused.value.reason == "not_chosen"


def test_a_link_requests_only_the_scopes_of_the_clients_workflows(tiktok_fake, make_client, make_link):
    grant = connect(make_client, make_link, workflows=["moderation"])
    assert sorted(grant.scopes) == ["comment.list", "comment.list.manage", "user.info.basic",
                                    "video.list"]
    asked = tiktok_fake.calls("/v2/auth/authorize/")[0].params["scope"].split(",")
    assert sorted(asked) == sorted(grant.scopes)


def test_messages_bring_in_conversations_with_the_person_on_the_other_side(grant, tiktok_fake):
    run = run_workflow(grant, "messages")
    assert run.status == SyncRun.Status.DONE
    conversations = Conversation.objects.for_client(grant.client).filter(grant=grant)
    assert {c.external_id for c in conversations} == {c["conversation_id"] for c in tiktok_fake.conversations}
    one = tiktok_fake.conversations[0]
    stored = conversations.get(external_id=one["conversation_id"])
    assert stored.username == one["username"]
    messages = Message.objects.for_client(grant.client).filter(conversation_id=one["conversation_id"])
    sent = tiktok_fake.messages_of(one["conversation_id"])
    assert [m.text for m in messages] == [m["text"]["body"] for m in sent]
    assert {m.by_account for m in messages} == {True, False}


def test_reporting_brings_in_campaigns_and_their_days(tiktok_fake, make_client, make_link):
    grant = connect(make_client, make_link, flow="advertiser", workflows=["reporting"])
    run = run_workflow(grant, "reporting")
    assert run.status == SyncRun.Status.DONE, run.error
    campaigns = Campaign.objects.for_client(grant.client).filter(grant=grant)
    assert {c.external_id for c in campaigns} == {c["campaign_id"] for c in tiktok_fake.campaigns}
    days = CampaignDay.objects.for_client(grant.client).filter(grant=grant)
    assert days.count() == len(tiktok_fake.campaigns) * 30
    from privet.integrations.tiktok.fake import report_metrics

    day = days.first()
    figures = report_metrics(day.campaign_id, day.day)
    assert str(day.spend) == figures["spend"] and day.clicks == int(figures["clicks"])
    # a second run reads from three days before the last day read, not the whole range again
    asked = len(tiktok_fake.calls("report/integrated/get/"))
    run_workflow(grant, "reporting")
    again = tiktok_fake.calls("report/integrated/get/")[asked:]
    assert len(again) == 2 and all(r.params["start_date"] < r.params["end_date"] for r in again)


def test_a_refused_sync_call_is_a_failed_run_not_a_crash(grant, tiktok_fake):
    tiktok_fake.revoke_as_owner(grant.account_id)
    run = run_workflow(grant, "moderation")
    assert run.status == SyncRun.Status.FAILED and run.error == "TokenRefused"
    grant.refresh_from_db()
    assert not grant.live
    with pytest.raises(WorkflowUnavailable):
        run_workflow(grant, "moderation")
    assert issubclass(type(PlatformError(None, None)), Exception)


def test_a_call_the_framework_refuses_stops_the_run_as_failed(grant, tiktok_fake, settings):
    settings.PRIVET_TIKTOK_API_BASE = "https://www.tiktok.com/open_api/v1.3/"
    before = len(tiktok_fake.requests)
    run = run_workflow(grant, "moderation")
    assert (run.status, run.error) == (SyncRun.Status.FAILED, "Refused:host_not_allowed")
    assert len(tiktok_fake.requests) == before


def test_nothing_is_stored_or_asked_with_a_grant_ended_meanwhile(grant, tiktok_fake):
    from privet.integrations import grants
    from privet.integrations.sync import GrantEnded, upsert

    held = Grant.objects.for_client(grant.client).get(pk=grant.pk)  # as a running sync holds it
    grants.deauthorise(grant, by_owner=True, actor="owner", reason="test")
    with pytest.raises(GrantEnded):
        upsert(held, Video, [{"external_id": "v-late"}])
    asked = len(tiktok_fake.requests)
    run = run_workflow(held, "moderation")
    assert (run.status, run.error) == (SyncRun.Status.FAILED, "Refused:grant_not_live")
    assert len(tiktok_fake.requests) == asked
    assert not Video.objects.for_client(grant.client).exists()


def test_a_full_sync_removes_what_was_deleted_on_the_platform(grant, tiktok_fake):
    run_workflow(grant, "moderation")
    video = tiktok_fake.videos[0]["item_id"]
    thread = tiktok_fake.comments_of(video)[-1]  # the one with replies
    assert thread["replies"]
    with tiktok_fake.state.lock:
        tiktok_fake.state.comments[video].remove(next(
            c for c in tiktok_fake.state.comments[video] if c["comment_id"] == thread["comment_id"]))
    run = run_workflow(grant, "moderation", full=True)
    assert run.counts["removed"] >= 1 + thread["replies"]
    stored = comments_of(grant)
    assert not stored.filter(external_id=thread["comment_id"]).exists()
    assert not stored.filter(parent_id=thread["comment_id"]).exists()
    assert stored.filter(video_id=video).count() == len(tiktok_fake.comments_of(video))


def test_comments_that_came_while_a_read_waited_to_resume_are_read_next_time(grant, tiktok_fake,
                                                                             settings):
    settings.PRIVET_INTEGRATIONS_RETRY_ATTEMPTS = 1
    video = tiktok_fake.videos[0]["item_id"]
    tiktok_fake.add_comments(video, 100)
    tiktok_fake.fail_after("business/comment/list/", 1, code=50000)
    assert run_workflow(grant, "moderation").status == SyncRun.Status.FAILED
    late = tiktok_fake.add_comment(video, "Spóźniony", "spozniony")
    assert run_workflow(grant, "moderation").status == SyncRun.Status.DONE  # resumes the tail
    assert run_workflow(grant, "moderation").status == SyncRun.Status.DONE  # the count moved
    assert comments_of(grant).filter(external_id=late["comment_id"]).exists()


def test_a_time_no_calendar_holds_is_no_time(grant):
    from privet.integrations.tiktok.sync import comment_row

    row = comment_row({"comment_id": "1", "create_time": "1e400", "likes": "9" * 400})
    assert row["created"] is None and row["likes"] >= 0


# --- the next page asked for while this one is stored ---------------------------------------------

def walk_comments(grant: Grant, video: str, row=None):
    """The moderation workflow's walk of one video's comments, in full; ``row`` replaces the
    stream's (it sees each item as the page is read, in the sync's own thread)."""
    from privet.integrations.sync import walk
    from privet.integrations.tiktok.connector import TIKTOK
    from privet.integrations.tiktok.sync import COMMENTS

    return walk(grant, replace(COMMENTS, row=row) if row else COMMENTS, parent=video, full=True,
                params={"business_id": grant.account_id, "video_id": video, "status": "ALL",
                        "sort_field": "create_time", "sort_order": "desc",
                        "fields": json.dumps(sorted(TIKTOK.contract["comment"].fields))})


def on_item(number: int, then):
    """A stream's row function that does ``then()`` when the ``number``-th item is read."""
    from privet.integrations.tiktok.sync import comment_row

    seen = []

    def row(kept):
        seen.append(kept)
        if len(seen) == number:
            then()
        return comment_row(kept)

    return row


def comment_calls(grant: Grant):
    return OutboundCall.objects.for_client(grant.client).filter(endpoint="account.comments")


def state_of_comments(grant: Grant, video: str) -> SyncState:
    return SyncState.objects.for_client(grant.client).get(grant=grant, stream="comments",
                                                          parent=video)


def test_every_page_asked_for_ahead_is_recorded(grant, tiktok_fake):
    video = tiktok_fake.videos[0]["item_id"]
    tiktok_fake.add_comments(video, 100)
    run = run_workflow(grant, "moderation", full=True)
    assert run.status == SyncRun.Status.DONE, run.error
    assert comment_calls(grant).count() == tiktok_fake.call_count("business/comment/list/")
    assert comments_of(grant).filter(video_id=video, parent_id="").count() == \
        len(tiktok_fake.comments_of(video))


def test_a_page_another_runner_got_ahead_of_still_records_the_next_pages_call(grant, tiktok_fake):
    """Another runner stores a page while this one reads its second: the second is not stored
    (the compare-and-set on ``seq``), and the third, already asked for, is recorded."""
    video = tiktok_fake.videos[0]["item_id"]
    tiktok_fake.add_comments(video, 100)
    before = tiktok_fake.call_count("business/comment/list/")

    def another_runner():
        SyncState.objects.for_client(grant.client).filter(
            grant=grant, stream="comments", parent=video).update(seq=F("seq") + 1)

    with pytest.raises(SyncConflict):
        walk_comments(grant, video, row=on_item(31, another_runner))
    assert tiktok_fake.call_count("business/comment/list/") - before == 3
    assert comment_calls(grant).count() == 3
    abandoned = comment_calls(grant).order_by("-pk").first()
    assert (abandoned.attempts, abandoned.error, abandoned.records) == (1, "", 30)
    first_page = [c["comment_id"] for c in tiktok_fake.comments_of(video)][:30]
    assert sorted(comments_of(grant).values_list("external_id", flat=True)) == sorted(first_page)
    assert str(state_of_comments(grant, video).progress["cursor"]) == "30"  # not ahead of the data


def test_a_next_page_the_framework_refuses_leaves_this_page_stored(grant, tiktok_fake, settings):
    """The next page's call is checked in the sync's thread before it leaves: refused, nothing
    is sent, the page read before it is stored and the walk stops there, as failed."""
    video = tiktok_fake.videos[0]["item_id"]
    tiktok_fake.add_comments(video, 100)
    before = tiktok_fake.call_count("business/comment/list/")

    def undeclared_host():
        settings.PRIVET_TIKTOK_API_BASE = "https://www.tiktok.com/open_api/v1.3/"

    with pytest.raises(Refused) as refused:
        walk_comments(grant, video, row=on_item(31, undeclared_host))
    assert refused.value.reason == "host_not_allowed"
    assert tiktok_fake.call_count("business/comment/list/") - before == 2
    assert comments_of(grant).count() == 60
    state = state_of_comments(grant, video)
    assert state.status == SyncState.Status.FAILED and str(state.progress["cursor"]) == "60"
    # refused (and recorded) before the page before it was stored with its own call's record
    assert sorted(comment_calls(grant).values_list("refused", flat=True)) == \
        ["", "", "host_not_allowed"]


def test_an_incremental_sync_asks_for_no_page_past_the_last_runs_newest(grant, tiktok_fake):
    video = tiktok_fake.videos[0]["item_id"]
    tiktok_fake.add_comments(video, 100, start=int(time.time()) - 10 * 86400)
    run_workflow(grant, "moderation")
    before = tiktok_fake.call_count("business/comment/list/")
    tiktok_fake.add_comment(video, "Nowy komentarz", "nowa_osoba")
    run_workflow(grant, "moderation")
    assert tiktok_fake.call_count("business/comment/list/") - before == 1
    assert comment_calls(grant).count() == tiktok_fake.call_count("business/comment/list/")


def test_the_owners_page_lists_only_what_the_links_workflows_read(tiktok_fake, make_client,
                                                                   published, client):
    from django.urls import reverse

    owner = make_client()
    services.set_workflows(client=owner, workflows=["moderation", "reporting"], actor="test")
    pages = {}
    for flow in ("account", "advertiser"):
        link = services.create_link(client=owner, connector_id="tiktok_business", flow_id=flow,
                                    language="en", actor="test")
        with translation_override("en"):
            response = client.get(reverse("integrations:authorise", args=[link.public_id]))
        assert response.status_code == 200, response.status_code
        pages[flow] = response.content.decode()
    assert "<li>Comments</li>" in pages["account"] and "Campaign data" not in pages["account"]
    assert "Messages" not in pages["account"] and "Comment moderation" in pages["account"]
    assert "Campaign data" in pages["advertiser"] and "<li>Comments</li>" not in pages["advertiser"]
    assert "Campaign reporting" in pages["advertiser"]
