"""Comment moderation: an operator replies to, hides, shows again or deletes a client's comment
on the platform, and reads the videos and comments a sync (or a webhook) brought in.

Each action is one service (:func:`reply_to_comment`, :func:`hide_comment`,
:func:`unhide_comment`, :func:`delete_comment`) and goes the same way:

1. what the platform would refuse anyway is refused first, before any call (a reply empty or
   longer than the connector's limit: :class:`InvalidReply`);
2. the platform is asked through the outbound client (:func:`.http.call`), which refuses a
   grant that is not live or lacks the endpoint's scope (``comment.list.manage``) with
   :class:`~.errors.Refused`, and raises :class:`~.errors.PlatformError` when the platform says
   no; either way nothing here changes;
3. only once the platform has confirmed, the local copy is made to agree (the reply row, the
   status, the row gone) and the action is audited with its operator, in one transaction.

The reads (:func:`videos_of`, :func:`comments_of`, :func:`threads`) take the grant's client and
go through its client-scoped manager, like every read of a client's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privet.audit.services import Actor, append_event

from .connectors import connectors
from .errors import PlatformError
from .http import call
from .models import Comment, Grant, PlatformAccount, Video
from .services import IntegrationError
from .sync import remove_comment as remove_local
from .sync import unavailable_reason, upsert
from .tiktok.connector import REPLY_MAX

__all__ = ["REPLY_MAX", "InvalidReply", "comment_of", "comments_of", "delete_comment",
           "hide_comment", "reply_to_comment", "threads", "unhide_comment", "videos_of"]


UNAVAILABLE = {
    "not_chosen": gettext_lazy("Comment moderation is not one of this client's workflows: "
                               "nothing was sent."),
    "other_flow": gettext_lazy("Comments are moderated through a TikTok business account's "
                               "authorisation: nothing was sent."),
    "not_live": gettext_lazy("This authorisation has ended: nothing was sent."),
    "scope_not_granted": gettext_lazy("The account owner did not grant every scope comment "
                                      "moderation needs: nothing was sent."),
    "unknown": gettext_lazy("This platform has no comment moderation: nothing was sent."),
}


class ModerationError(IntegrationError):
    code = "moderation_error"


class InvalidReply(ModerationError):
    """A reply the platform would refuse: empty, or longer than its limit. Nothing was sent."""

    code = "invalid_reply"


def _check(grant: Grant, comment: Comment) -> None:
    # A view finds the comment through :func:`comment_of`; a comment of another grant reaching
    # a service is a programming error, never something to act on.
    if comment.grant_id != grant.pk or comment.client_id != grant.client_id:
        raise ModerationError(f"Comment {comment.pk} is not one of {grant}'s.")
    # Moderation is a workflow the client agreed to: not chosen (or its scopes not granted,
    # or the grant ended), nothing is done on the platform, whatever a form posts.
    workflow = _connector(grant).workflows.get("moderation")
    reason = unavailable_reason(grant, workflow) if workflow else "unknown"
    if reason:
        raise ModerationError(str(UNAVAILABLE.get(reason, UNAVAILABLE["unknown"])))


def _connector(grant: Grant):
    return connectors.get(grant.connector)


def _audit(grant: Grant, action: str, comment: Comment, actor: Actor, **extra: Any) -> None:
    append_event(actor=actor, action=f"integrations.{action}", obj=grant, details={
        "client": grant.client.slug, "comment": comment.external_id, "video": comment.video_id,
        **extra})


def reply_to_comment(grant: Grant, comment: Comment, text: str, actor: Actor) -> Comment:
    """Reply as the account to ``comment`` (a reply to a reply answers its thread: the platform
    takes replies to top-level comments only). Returns the stored reply."""
    _check(grant, comment)
    text = (text or "").strip()
    if not text:
        raise InvalidReply(_("Write the reply first."))
    if len(text) > REPLY_MAX:
        raise InvalidReply(_("A reply is at most %(most)d characters on the platform; this one "
                             "has %(length)d.") % {"most": REPLY_MAX, "length": len(text)})
    client = grant.client
    comments = Comment.objects.for_client(client).filter(grant=grant)
    thread = thread_of(grant, comment)
    answer = call(client, _connector(grant), "account.comment_reply", grant=grant, actor=actor,
                  json={"business_id": grant.account_id, "video_id": thread.video_id,
                        "comment_id": thread.external_id, "text": text})
    reply_id = str(answer.data.get("comment_id") or "")[:64]
    if not reply_id:  # confirmed without saying what it made: nothing to reflect
        raise PlatformError(answer.platform_code, answer.status)
    account = PlatformAccount.objects.for_client(client).filter(
        grant=grant, kind="business_account").first()
    with transaction.atomic():
        known = comments.filter(external_id=reply_id).exists()  # a sync got there first
        if not known:  # a sync that got there first has the platform's own values
            upsert(grant, Comment, [{
                "external_id": reply_id, "video_id": thread.video_id,
                "parent_id": thread.external_id, "text": text,
                "username": account.username if account else "",
                "display_name": account.display_name if account else "",
                "created": timezone.now(), "status": Comment.Status.PUBLIC, "by_account": True}])
            comments.filter(pk=thread.pk).update(replies=F("replies") + 1)
        _audit(grant, "comment_replied", thread, actor, length=len(text))
    return comments.get(external_id=reply_id)


def _set_hidden(grant: Grant, comment: Comment, hidden: bool, actor: Actor) -> Comment:
    _check(grant, comment)
    call(grant.client, _connector(grant), "account.comment_hide", grant=grant, actor=actor,
         json={"business_id": grant.account_id, "video_id": comment.video_id,
               "comment_id": comment.external_id, "action": "HIDE" if hidden else "UNHIDE"})
    comment.status = Comment.Status.HIDDEN if hidden else Comment.Status.PUBLIC
    with transaction.atomic():
        Comment.objects.for_client(grant.client).filter(pk=comment.pk).update(status=comment.status)
        _audit(grant, "comment_hidden" if hidden else "comment_unhidden", comment, actor)
    return comment


def hide_comment(grant: Grant, comment: Comment, actor: Actor) -> Comment:
    """Hide ``comment`` on the platform (its author still sees it; nobody else does)."""
    return _set_hidden(grant, comment, True, actor)


def unhide_comment(grant: Grant, comment: Comment, actor: Actor) -> Comment:
    """Show a hidden ``comment`` again on the platform."""
    return _set_hidden(grant, comment, False, actor)


def delete_comment(grant: Grant, comment: Comment, actor: Actor) -> None:
    """Delete ``comment`` on the platform; its replies go with it there, and so here."""
    _check(grant, comment)
    call(grant.client, _connector(grant), "account.comment_delete", grant=grant, actor=actor,
         json={"business_id": grant.account_id, "comment_id": comment.external_id})
    with transaction.atomic():
        remove_local(grant, comment)
        _audit(grant, "comment_deleted", comment, actor)


# --- reads ------------------------------------------------------------------------------------------

FILTERS = ("hidden", "unanswered")


def comment_of(grant: Grant, pk: Any) -> Comment:
    """The comment ``pk`` of ``grant`` (of its client), else 404."""
    found = Comment.objects.for_client(grant.client).filter(grant=grant, pk=pk).first() \
        if str(pk).isdigit() else None
    if found is None:
        raise Http404("No such comment.")
    return found


def thread_of(grant: Grant, comment: Comment) -> Comment:
    """The top-level comment of ``comment``'s thread (itself if it is one, or if its parent is
    not held)."""
    if not comment.parent_id:
        return comment
    return Comment.objects.for_client(grant.client).filter(
        grant=grant, external_id=comment.parent_id).first() or comment


def videos_of(grant: Grant) -> QuerySet[Video]:
    """The grant's videos, newest first, each with ``held`` (comments and replies stored) and
    ``hidden_held`` (of them hidden)."""
    client = grant.client
    per_video = Comment.objects.for_client(client).filter(
        grant=grant, video_id=OuterRef("external_id")).order_by().values("video_id")

    def count(qs: QuerySet) -> Coalesce:
        return Coalesce(Subquery(qs.annotate(n=Count("pk")).values("n")[:1],
                                 output_field=IntegerField()), Value(0))

    return (Video.objects.for_client(client).filter(grant=grant)
            .annotate(held=count(per_video),
                      hidden_held=count(per_video.filter(status=Comment.Status.HIDDEN)))
            .order_by(F("created").desc(nulls_last=True), "-pk"))


def comments_of(grant: Grant, video_id: str, *, hidden: bool = False, unanswered: bool = False,
                keyword: str = "") -> QuerySet[Comment]:
    """The top-level comments of one video, newest first, that match every filter given:
    ``hidden`` (it, or a reply to it, is hidden), ``unanswered`` (someone else's comment
    without a reply by the account), ``keyword`` (in it or in a reply, any case)."""
    comments = Comment.objects.for_client(grant.client).filter(grant=grant, video_id=video_id)
    replies = comments.exclude(parent_id="")
    top = comments.filter(parent_id="")
    if hidden:
        top = top.filter(Q(status=Comment.Status.HIDDEN) | Q(external_id__in=replies.filter(
            status=Comment.Status.HIDDEN).values("parent_id")))
    if unanswered:
        top = top.filter(by_account=False).exclude(
            external_id__in=replies.filter(by_account=True).values("parent_id"))
    keyword = (keyword or "").strip()
    if keyword:
        top = top.filter(Q(text__icontains=keyword) | Q(external_id__in=replies.filter(
            text__icontains=keyword).values("parent_id")))
    return top.order_by(F("created").desc(nulls_last=True), "-pk")


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def threads(grant: Grant, comments: list[Comment]) -> list[Thread]:
    """``comments`` (top-level) with their stored replies, oldest reply first (a conversation
    reads down). One query for the replies of all of them."""
    found = [Thread(c) for c in comments]
    by_id = {t.comment.external_id: t for t in found}
    if by_id:
        for reply in Comment.objects.for_client(grant.client).filter(
                grant=grant, parent_id__in=list(by_id)).order_by(
                F("created").asc(nulls_first=True), "pk"):
            by_id[reply.parent_id].replies.append(reply)
    return found
