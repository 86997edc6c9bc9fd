"""What each TikTok workflow reads, as :class:`~privet.integrations.sync.Stream` s, and in
which order (:func:`sync`).

- moderation: the profile, the videos (cursor: a time in ms, newest first, 20 a page), each
  video's comments whose count changed since its last complete read (cursor: an offset, 30 a
  page, hidden ones included), and each comment's replies whose count changed;
- messages: the profile, the conversations (both kinds), and each conversation's messages
  when it changed (the content list is one page);
- insights: the profile's daily figures (``business/get/`` with ``start_date``/``end_date``,
  60 days back at most);
- reporting: per advertiser account, its campaigns (numbered pages) and the daily integrated
  report by campaign (30-day windows, from three days before the last day read, as the
  platform restates recent days).

Every child list is chosen from what the database holds after its parent list was stored, so a
sync cut short anywhere picks up the same children on the next run.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from privet.integrations.http import call
from privet.integrations.models import (
    AccountDay,
    Campaign,
    CampaignDay,
    Comment,
    Conversation,
    Message,
    SyncState,
    Video,
)
from privet.integrations.sync import Stream, state_of, upsert, walk

if TYPE_CHECKING:
    from privet.integrations.connectors import Connector, Workflow
    from privet.integrations.models import Grant

REPORT_WINDOW_DAYS = 30  # the report's longest daily range (Airbyte's experience)
REPORT_FIRST_DAYS = 30  # how far back a first report sync reads
REPORT_RESTATED_DAYS = 3  # recent days read again: the platform restates them
INSIGHTS_DAYS = 60  # business/get/'s longest lookback


# --- conversions (the platform's types are loose: numbers as strings, "-" for none) -------------

def _text(value: Any, limit: int) -> str:
    return str(value)[:limit] if value not in (None, "") else ""


BIGGEST = 2**63 - 1  # a database's big integer
COUNT_MOST = 2**31 - 1  # its integer


def _int(value: Any) -> int | None:
    try:
        number = int(Decimal(str(value))) if value not in (None, "", "-") else None
    except (InvalidOperation, ValueError, OverflowError):  # "1e400" is a Decimal, not an int
        return None
    return number if number is None or abs(number) <= BIGGEST else None


def _count(value: Any) -> int:
    return min(max(_int(value) or 0, 0), COUNT_MOST)


def _decimal(value: Any, places: int = 4) -> Decimal | None:
    try:
        return round(Decimal(str(value)), places) if value not in (None, "", "-") else None
    except (InvalidOperation, ValueError):
        return None


def _when(seconds: Any) -> datetime | None:
    value = _int(seconds)
    if value is None or value <= 0:
        return None
    if value > 10**11:  # milliseconds
        value //= 1000
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):  # a time no calendar holds: none
        return None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _epoch(row_time: datetime | None) -> int | None:
    return int(row_time.timestamp()) if row_time else None


# --- rows ---------------------------------------------------------------------------------------------

def video_row(kept: dict[str, Any]) -> dict[str, Any] | None:
    if not kept.get("item_id"):
        return None
    return {"external_id": _text(kept["item_id"], 64), "caption": _text(kept.get("caption"), 5000),
            "created": _when(kept.get("create_time")),
            "share_url": _text(kept.get("share_url"), 500),
            "thumbnail_url": _text(kept.get("thumbnail_url"), 500),
            "duration": float(_decimal(kept.get("video_duration")) or 0) or None,
            "likes": _count(kept.get("likes")), "comments": _count(kept.get("comments")),
            "shares": _count(kept.get("shares")), "views": _count(kept.get("video_views"))}


def comment_row(kept: dict[str, Any]) -> dict[str, Any] | None:
    if not kept.get("comment_id"):
        return None
    status = str(kept.get("status") or "PUBLIC").upper()
    parent = _text(kept.get("parent_comment_id"), 64)
    return {"external_id": _text(kept["comment_id"], 64), "video_id": _text(kept.get("video_id"), 64),
            "parent_id": "" if parent in ("", "0") else parent,
            "text": _text(kept.get("text"), 5000), "username": _text(kept.get("username"), 200),
            "display_name": _text(kept.get("display_name"), 200),
            "created": _when(kept.get("create_time")),
            "status": status if status in Comment.Status.values else Comment.Status.PUBLIC,
            "likes": _count(kept.get("likes")), "replies": _count(kept.get("replies")),
            "by_account": bool(kept.get("owner"))}


def conversation_row(kept: dict[str, Any]) -> dict[str, Any] | None:
    if not kept.get("conversation_id"):
        return None
    return {"external_id": _text(kept["conversation_id"], 200), "updated": _when(kept.get("up_time"))}


def message_row(kept: dict[str, Any], *, account: str) -> dict[str, Any] | None:
    if not kept.get("message_id"):
        return None
    text = kept.get("text")
    body = text.get("body") if isinstance(text, dict) else None
    sender = _text(kept.get("sender"), 200)
    return {"external_id": _text(kept["message_id"], 200),
            "conversation_id": _text(kept.get("conversation_id"), 200), "sender": sender,
            "kind": _text(kept.get("message_type"), 16), "text": _text(body, 6000),
            "created": _when(kept.get("timestamp")),
            "by_account": bool(account) and sender == account}


def campaign_row(kept: dict[str, Any]) -> dict[str, Any] | None:
    if not kept.get("campaign_id"):
        return None
    created = kept.get("create_time")
    try:
        when = datetime.strptime(str(created), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) \
            if created else None
    except ValueError:
        when = None
    return {"external_id": _text(kept["campaign_id"], 64),
            "advertiser_id": _text(kept.get("advertiser_id"), 64),
            "name": _text(kept.get("campaign_name"), 500),
            "objective": _text(kept.get("objective_type"), 64),
            "status": _text(kept.get("secondary_status"), 64),
            "budget": _decimal(kept.get("budget"), 2), "budget_mode": _text(kept.get("budget_mode"), 32),
            "created": when}


def campaign_day_row(kept: dict[str, Any]) -> dict[str, Any] | None:
    day = _day(kept.get("stat_time_day"))
    if not kept.get("campaign_id") or day is None:
        return None
    campaign = _text(kept["campaign_id"], 64)
    return {"external_id": f"{campaign}:{day.isoformat()}", "campaign_id": campaign, "day": day,
            "spend": _decimal(kept.get("spend"), 2), "impressions": _int(kept.get("impressions")),
            "clicks": _int(kept.get("clicks")), "conversions": _int(kept.get("conversion")),
            "ctr": _decimal(kept.get("ctr")), "cpc": _decimal(kept.get("cpc")),
            "cpm": _decimal(kept.get("cpm"))}


def account_day_row(kept: dict[str, Any]) -> dict[str, Any] | None:
    day = _day(kept.get("date"))
    if day is None:
        return None
    return {"external_id": day.isoformat(), "day": day, "video_views": _int(kept.get("video_views")),
            "profile_views": _int(kept.get("profile_views")), "likes": _int(kept.get("likes")),
            "comments": _int(kept.get("comments")), "shares": _int(kept.get("shares")),
            "followers": _int(kept.get("followers_count"))}


def _report_item(item: dict[str, Any]) -> dict[str, Any]:
    """A report row is ``{dimensions: {...}, metrics: {...}}``: one flat item for the contract."""
    flat: dict[str, Any] = {}
    for part in ("dimensions", "metrics"):
        if isinstance(item.get(part), dict):
            flat.update(item[part])
    return flat


# The video list is read whole each time (20 a page: an account's videos are few), so every
# video's comment count is fresh and a video deleted on TikTok goes here too.
VIDEOS = Stream("videos", "account.videos", "video", Video, "videos", video_row, page_size=20,
                covers=lambda parent: {})
COMMENTS = Stream("comments", "account.comments", "comment", Comment, "comments", comment_row,
                  page_size=30, created=lambda k: _int(k.get("create_time")),
                  covers=lambda video: {"video_id": video, "parent_id": ""})
REPLIES = Stream("replies", "account.replies", "comment", Comment, "comments", comment_row,
                 page_size=30, created=lambda k: _int(k.get("create_time")),
                 covers=lambda comment: {"parent_id": comment})
CONVERSATIONS = Stream("conversations", "account.conversations", "conversation", Conversation,
                       "conversations", conversation_row, page_size=100, size_param="limit")
CAMPAIGNS = Stream("campaigns", "advertiser.campaigns", "campaign", Campaign, "list", campaign_row,
                   paging="page", page_size=100, size_param="page_size",
                   covers=lambda advertiser: {"advertiser_id": advertiser})
REPORT = Stream("report", "advertiser.report", "campaign_day", CampaignDay, "list",
                campaign_day_row, paging="page", page_size=1000, size_param="page_size",
                flatten=_report_item)
STREAMS = (VIDEOS, COMMENTS, REPLIES, CONVERSATIONS, CAMPAIGNS, REPORT)

CONVERSATION_TYPES = ("SINGLE", "STRANGER")
REPORT_METRICS = ("spend", "impressions", "clicks", "ctr", "cpc", "cpm", "conversion")


def _fields(connector: Connector, contract: str) -> str:
    return json.dumps(sorted(connector.contract[contract].fields))


def _add(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


# --- the workflows ----------------------------------------------------------------------------------

def sync(connector: Connector, grant: Grant, workflow: Workflow, *, full: bool,
         counts: dict[str, int]) -> None:
    steps = {"moderation": _moderation, "messages": _messages, "insights": _insights,
             "reporting": _reporting}
    steps[workflow.id](connector, grant, full=full, counts=counts)


def _profile(connector: Connector, grant: Grant, counts: dict[str, int]) -> str:
    """Read the account's profile (the business account object): its username."""
    connector.after_grant(grant)
    _add(counts, "business_account", 1)
    from privet.integrations.models import PlatformAccount

    account = PlatformAccount.objects.for_client(grant.client).filter(
        grant=grant, kind="business_account").first()
    return account.username if account else ""


def _changed(grant: Grant, stream: str, parents: dict[str, int], full: bool) -> list[tuple[str, int]]:
    """The parents whose child list must be read: never read completely, cut short, or whose
    announced count changed since (``parents``: id -> count the platform announces)."""
    states = {s.parent: s for s in SyncState.objects.for_client(grant.client).filter(
        grant=grant, stream=stream, parent__in=list(parents))}
    chosen = []
    for parent, count in parents.items():
        state = states.get(parent)
        if state is None and not count:
            continue  # never read and nothing to read
        if full or state is None or state.status != SyncState.Status.DONE or \
                state.progress.get("expected") != count:
            chosen.append((parent, count))  # a count fallen to 0 is read too: deletions
    return chosen


def _moderation(connector: Connector, grant: Grant, *, full: bool, counts: dict[str, int]) -> None:
    _profile(connector, grant, counts)
    business = {"business_id": grant.account_id}
    walked = walk(grant, VIDEOS, params={**business, "fields": _fields(connector, "video")},
                  full=full)
    grant = walked.grant
    _add(counts, "video", walked.records)
    videos = dict(Video.objects.for_client(grant.client).filter(grant=grant)
                  .values_list("external_id", "comments"))
    for video_id, count in _changed(grant, "comments", videos, full):
        walked = walk(grant, COMMENTS, parent=video_id, full=full, expected=count, params={
            **business, "video_id": video_id, "status": "ALL", "sort_field": "create_time",
            "sort_order": "desc", "fields": _fields(connector, "comment")})
        grant = walked.grant
        _add(counts, "comment", walked.records)
        _add(counts, "removed", walked.removed)
    announced = dict(Comment.objects.for_client(grant.client).filter(
        grant=grant, parent_id="", replies__gt=0).values_list("external_id", "replies"))
    video_of = dict(Comment.objects.for_client(grant.client).filter(
        grant=grant, external_id__in=list(announced)).values_list("external_id", "video_id"))
    for comment_id, count in _changed(grant, "replies", announced, full):
        walked = walk(grant, REPLIES, parent=comment_id, full=full, expected=count, params={
            **business, "video_id": video_of.get(comment_id, ""), "comment_id": comment_id,
            "fields": _fields(connector, "comment")})
        grant = walked.grant
        _add(counts, "comment", walked.records)
        _add(counts, "removed", walked.removed)
    _add(counts, "removed", _orphans(grant))


def _orphans(grant: Grant) -> int:
    """Comments whose video, and replies whose comment, the syncs found deleted."""
    held = Comment.objects.for_client(grant.client).filter(grant=grant)
    videos = Video.objects.for_client(grant.client).filter(grant=grant).values("external_id")
    gone = held.exclude(video_id__in=videos).delete()[0]
    threads = held.filter(parent_id="").values("external_id")
    return gone + held.exclude(parent_id="").exclude(parent_id__in=threads).delete()[0]


def _messages(connector: Connector, grant: Grant, *, full: bool, counts: dict[str, int]) -> None:
    account = _profile(connector, grant, counts)
    business = {"business_id": grant.account_id}
    for kind in CONVERSATION_TYPES:
        walked = walk(grant, CONVERSATIONS, parent=kind, full=True,
                      params={**business, "conversation_type": kind})
        grant = walked.grant
        _add(counts, "conversation", walked.records)
    participant = connector.contract["participant"]
    message = connector.contract["message"]
    for conversation in Conversation.objects.for_client(grant.client).filter(grant=grant):
        # Its messages are read again when the conversation's last message time moved since
        # they were last read in full (kept on their state, not compared with the
        # conversation's own row, which a cut-short run may have updated already).
        state = state_of(grant, "messages", conversation.external_id)
        updated = _epoch(conversation.updated)
        if not full and state.status == SyncState.Status.DONE and state.pages and \
                state.high_water == updated:
            continue
        answer = call(grant.client, connector, "account.messages", grant=grant, params={
            **business, "conversation_id": conversation.external_id})
        grant = answer.grant or grant
        rows, dropped = [], 0
        for item in answer.data.get("messages") or ():
            if not isinstance(item, dict):
                continue
            kept, extra = message.keep(item)
            dropped += extra
            row = message_row({**kept, "conversation_id": conversation.external_id},
                              account=account)
            if row:
                rows.append(row)
        other = {}
        for item in answer.data.get("participants") or ():
            if isinstance(item, dict):
                kept, extra = participant.keep(item)
                dropped += extra
                if str(kept.get("role") or "").upper() != "BUSINESS_ACCOUNT" and \
                        kept.get("username") != account:
                    other = kept
        with transaction.atomic():
            stored = upsert(grant, Message, rows)
            if other:
                Conversation.objects.for_client(grant.client).filter(pk=conversation.pk).update(
                    username=_text(other.get("username"), 200),
                    display_name=_text(other.get("display_name"), 200))
            SyncState.objects.for_client(grant.client).filter(pk=state.pk).update(
                status=SyncState.Status.DONE, pages=1, records=stored, dropped_fields=dropped,
                started_at=timezone.now(), finished_at=timezone.now(), error="",
                high_water=updated)
        _add(counts, "message", stored)


def _insights(connector: Connector, grant: Grant, *, full: bool, counts: dict[str, int]) -> None:
    _profile(connector, grant, counts)
    today = timezone.now().astimezone(UTC).date()
    answer = call(grant.client, connector, "account.insights", grant=grant, params={
        "business_id": grant.account_id, "fields": json.dumps(["metrics"]),
        "start_date": (today - timedelta(days=INSIGHTS_DAYS - 1)).isoformat(),
        "end_date": today.isoformat()})
    grant = answer.grant or grant
    contract = connector.contract["account_day"]
    rows = []
    for item in answer.data.get("metrics") or ():
        if isinstance(item, dict):
            row = account_day_row(contract.keep(item)[0])
            if row:
                rows.append(row)
    _add(counts, "account_day", upsert(grant, AccountDay, rows))


def advertiser_ids(grant: Grant) -> list[str]:
    ids = [str(a.get("id")) for a in grant.accounts or () if isinstance(a, dict) and a.get("id")]
    return ids or [i for i in (grant.account_id or "").split(",") if i]


def _reporting(connector: Connector, grant: Grant, *, full: bool, counts: dict[str, int]) -> None:
    connector.after_grant(grant)  # the advertiser accounts' names
    today = timezone.now().astimezone(UTC).date()
    for advertiser in advertiser_ids(grant):
        walked = walk(grant, CAMPAIGNS, parent=advertiser, full=True, params={
            "advertiser_id": advertiser, "fields": _fields(connector, "campaign")})
        grant = walked.grant
        _add(counts, "campaign", walked.records)
        state = state_of(grant, "report_days", advertiser)
        last = date.fromordinal(state.high_water) if state.high_water and not full else None
        start = (last - timedelta(days=REPORT_RESTATED_DAYS)) if last else \
            today - timedelta(days=REPORT_FIRST_DAYS - 1)
        while start <= today:
            end = min(start + timedelta(days=REPORT_WINDOW_DAYS - 1), today)
            walked = walk(grant, REPORT, parent=f"{advertiser}:{start.isoformat()}", full=True,
                          params={"advertiser_id": advertiser, "service_type": "AUCTION",
                                  "report_type": "BASIC", "data_level": "AUCTION_CAMPAIGN",
                                  "dimensions": json.dumps(["campaign_id", "stat_time_day"]),
                                  "metrics": json.dumps(list(REPORT_METRICS)),
                                  "start_date": start.isoformat(), "end_date": end.isoformat()})
            grant = walked.grant
            _add(counts, "campaign_day", walked.records)
            with transaction.atomic():
                SyncState.objects.for_client(grant.client).filter(pk=state.pk).update(
                    high_water=end.toordinal(), status=SyncState.Status.DONE,
                    finished_at=timezone.now())
                # The window's own state is done with (a new one each day would pile up); a
                # window cut short keeps its state and is resumed by the next run.
                SyncState.objects.for_client(grant.client).filter(
                    grant=grant, stream="report", parent=f"{advertiser}:{start.isoformat()}").delete()
            start = end + timedelta(days=1)
