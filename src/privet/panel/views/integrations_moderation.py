"""Comment moderation of a client's TikTok account: its videos, the comments of one of them
(newest first, replies nested, filtered: hidden, not answered, has the words), and the actions
reply, hide, show again and delete.

Like every client page, each view passes :func:`privet.integrations.selectors.client_for`
first (another client is a 404), then takes the grant and the comment through that client
(another grant's or client's comment is a 404 too). An action calls one service of
:mod:`privet.integrations.moderation`, which asks the platform first and changes the local copy
only once it confirmed; a refusal (the framework's or the platform's) is shown as a message and
changes nothing. A reply too long, or a deletion not confirmed, shows the page again with the
reason beside its field."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from privet.integrations import moderation, selectors
from privet.integrations.errors import PlatformError, Refused
from privet.integrations.models import Client, Comment, Grant

from ..access import panel_view
from ..forms import DeleteCommentForm, ModerationFilterForm, ReplyForm
from ..roles import WORK_INTEGRATIONS
from .integrations import labels, moderation_reason

THREADS_PER_PAGE = 20
VIDEOS_PER_PAGE = 20
# Why the outbound client refused a call (privet.integrations.http).
REFUSED = {
    "grant_not_live": gettext_lazy("this authorisation has ended"),
    "scope_not_granted": gettext_lazy("the account owner did not grant comment management "
                                      "(comment.list.manage)"),
}
# The page's own query keys: what a redirect after an action keeps.
KEPT = ("video", "q", "hidden", "unanswered", "page", "videos")


def _kept(query: QueryDict) -> str:
    """The page's own parameters of ``query``, re-encoded (nothing else goes into an address
    the page builds or redirects to)."""
    return urlencode([(k, v) for k in KEPT for v in query.getlist(k)[:1] if v])


def _page(request: HttpRequest, client: Client, grant: Grant, query: QueryDict, *,
          forms: dict[tuple[str, int], Any] | None = None, focus: Comment | None = None,
          status: int = 200) -> HttpResponse:
    """The page for ``query``; ``focus``: the comment whose form is shown again with its error
    (its thread is shown first if the filters or the page would leave it out)."""
    forms = forms or {}
    if focus is not None and query.get("video") != focus.video_id:
        query = QueryDict(mutable=True)
        query["video"] = focus.video_id
    filters = ModerationFilterForm(query)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    reason = moderation_reason(grant)
    videos = Paginator(moderation.videos_of(grant), VIDEOS_PER_PAGE).get_page(query.get("videos"))
    video_id = chosen.get("video") or ""
    video = moderation.videos_of(grant).filter(external_id=video_id).first() if video_id else None
    page = threads = None
    if video is not None:
        comments = moderation.comments_of(
            grant, video.external_id, hidden=chosen.get("hidden", False),
            unanswered=chosen.get("unanswered", False), keyword=chosen.get("q", ""))
        page = Paginator(comments, THREADS_PER_PAGE).get_page(query.get("page"))
        shown = list(page.object_list)
        if focus is not None:
            top = moderation.thread_of(grant, focus)
            if top.pk not in {c.pk for c in shown}:
                shown.insert(0, top)
        threads = moderation.threads(grant, shown)
        if not reason:
            for thread in threads:
                top = thread.comment
                top.reply_form = forms.get(("reply", top.pk)) or ReplyForm(
                    prefix=f"c{top.pk}", limit=moderation.REPLY_MAX)
                top.reply_form.aria_setup()
                for comment in (top, *thread.replies):
                    comment.delete_form = forms.get(("delete", comment.pk)) or DeleteCommentForm(
                        prefix=f"c{comment.pk}")
                    comment.delete_form.aria_setup()
    kept = _kept(query)
    filter_query = urlencode([(k, v) for k in ("video", "q", "hidden", "unanswered")
                              for v in query.getlist(k)[:1] if v])
    return render(request, "panel/client_moderation.html", {
        "section": "clients", "client": client, "grant": grant,
        **labels(grant.connector, grant.flow), "reason": reason, "filters": filters,
        "videos": videos, "video": video, "page": page, "threads": threads, "back": kept,
        "query": filter_query,
        "filtered": any(chosen.get(k) for k in ("q", "hidden", "unanswered")),
        "reply_max": moderation.REPLY_MAX,
    }, status=status)


@panel_view(WORK_INTEGRATIONS)
def moderation_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    client = selectors.client_for(request.user, slug)
    grant = selectors.grant_of(client, pk)
    return _page(request, client, grant, request.GET)


def _target(request: HttpRequest, slug: str, pk: int, comment: int) -> tuple[Client, Grant, Comment]:
    client = selectors.client_for(request.user, slug)
    grant = selectors.grant_of(client, pk)
    return client, grant, moderation.comment_of(grant, comment)


def _back(client: Client, grant: Grant, request: HttpRequest) -> HttpResponse:
    url = reverse("panel:client-moderation", args=[client.slug, grant.pk])
    kept = _kept(QueryDict(request.POST.get("back", "")))
    return redirect(f"{url}?{kept}" if kept else url)


def _act(request: HttpRequest, client: Client, grant: Grant, action, done: str) -> HttpResponse:
    """Run ``action`` (a moderation service) and say how it went; back to the page."""
    try:
        action()
    except moderation.InvalidReply:
        raise  # said beside the field by the reply's view
    except moderation.ModerationError as exc:  # the workflow is off, or cannot run here
        messages.error(request, str(exc))
    except Refused as exc:
        messages.error(request, _("Nothing was sent to the platform: %(reason)s. Nothing was "
                                  "changed.") % {"reason": REFUSED.get(exc.reason, exc.reason)})
    except PlatformError as exc:
        messages.error(request, _("The platform refused it (code %(code)s). Nothing was changed "
                                  "here; try again later.") % {"code": exc.platform_code or "—"})
    else:
        messages.success(request, done)
    return _back(client, grant, request)


@require_POST
@panel_view(WORK_INTEGRATIONS)
def comment_reply(request: HttpRequest, slug: str, pk: int, comment: int) -> HttpResponse:
    client, grant, target = _target(request, slug, pk, comment)
    form = ReplyForm(request.POST, prefix=f"c{target.pk}", limit=moderation.REPLY_MAX)
    if form.is_valid():
        try:
            return _act(request, client, grant, lambda: moderation.reply_to_comment(
                grant, target, form.cleaned_data["text"], request.user),
                _("Reply sent to the platform."))
        except moderation.InvalidReply as exc:
            form.add_error("text", str(exc))
    return _page(request, client, grant, QueryDict(request.POST.get("back", "")),
                 forms={("reply", target.pk): form}, focus=target, status=400)


@require_POST
@panel_view(WORK_INTEGRATIONS)
def comment_hide(request: HttpRequest, slug: str, pk: int, comment: int) -> HttpResponse:
    client, grant, target = _target(request, slug, pk, comment)
    return _act(request, client, grant,
                lambda: moderation.hide_comment(grant, target, request.user),
                _("Comment hidden on the platform."))


@require_POST
@panel_view(WORK_INTEGRATIONS)
def comment_unhide(request: HttpRequest, slug: str, pk: int, comment: int) -> HttpResponse:
    client, grant, target = _target(request, slug, pk, comment)
    return _act(request, client, grant,
                lambda: moderation.unhide_comment(grant, target, request.user),
                _("Comment shown again on the platform."))


@require_POST
@panel_view(WORK_INTEGRATIONS)
def comment_delete(request: HttpRequest, slug: str, pk: int, comment: int) -> HttpResponse:
    client, grant, target = _target(request, slug, pk, comment)
    form = DeleteCommentForm(request.POST, prefix=f"c{target.pk}")
    if not form.is_valid():
        return _page(request, client, grant, QueryDict(request.POST.get("back", "")),
                     forms={("delete", target.pk): form}, focus=target, status=400)
    return _act(request, client, grant,
                lambda: moderation.delete_comment(grant, target, request.user),
                _("Comment deleted on the platform."))
