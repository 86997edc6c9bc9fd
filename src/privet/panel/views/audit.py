"""The audit log in the panel: filtered by period, actor and action, exported as CSV, and the
chain verified on request. For the privacy officer (and administrators): the ``view_audit`` role."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from privet.audit import selectors as audit
from privet.audit.actors import actor_name
from privet.audit.models import AuditEvent
from privet.audit.services import record_export, record_verification
from privet.core.csv_export import csv_response

from ..access import panel_view
from ..forms import AuditFilterForm
from ..roles import VIEW_AUDIT
from ..selectors import audit_rows

PAGE_SIZE = 50

# Why a chain is broken, in words, by VerifyResult.kind; %(seq)s is the first broken event.
BROKEN_BECAUSE = {
    audit.MISSING: gettext_lazy("event #%(seq)s is missing."),
    audit.UNLINKED: gettext_lazy("event #%(seq)s does not follow the event before it: an earlier "
                                 "event was changed or removed."),
    audit.MODIFIED: gettext_lazy("event #%(seq)s was changed after it was written."),
    audit.UNSEALED: gettext_lazy("event #%(seq)s is not sealed with the audit key: it was written "
                                 "or rewritten outside Privet (or the audit key was changed "
                                 "without keeping the old one)."),
}


def _actor_choices(codes: list[str]) -> list[tuple[str, str]]:
    """The log's actors as ``(code, name)``, by name; a name two codes share (two command-line
    tools) carries its code too, so each choice says which it is."""
    names = audit.usernames(codes)
    named = [(code, actor_name(code, names)) for code in codes]
    shared = Counter(name for _code, name in named)
    return sorted(((code, f"{name} ({code})" if shared[name] > 1 else name) for code, name in named),
                  key=lambda choice: choice[1].casefold())


def _filter_form(request: HttpRequest) -> AuditFilterForm:
    """The filters from the query string (none given: every event), validated."""
    form = AuditFilterForm(request.GET, actors=_actor_choices(audit.actors()),
                           actions=audit.actions())
    if not form.is_valid():
        form.aria_setup()
    return form


def _refused(request: HttpRequest, form: AuditFilterForm) -> HttpResponse:
    """Filters that are not valid: the page with each error beside its field, and no events."""
    return render(request, "panel/audit.html", {"section": "audit", "form": form}, status=400)


def _events(form: AuditFilterForm) -> QuerySet[AuditEvent]:
    since, until = form.bounds()
    data = form.cleaned_data
    return audit.filtered_events(since=since, until=until, actor=data.get("actor", ""),
                                 action=data.get("action", ""))


@panel_view(VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    if not form.is_valid():
        return _refused(request, form)
    query = urlencode(form.filters())
    page = Paginator(_events(form), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "panel/audit.html", {
        "section": "audit", "form": form, "page": page, "rows": audit_rows(page.object_list),
        "query": query, "filtered": bool(query),
    })


CSV_FIELDS = ("seq", "created_at", "actor", "action", "object_type", "object_id", "subject_ref",
              "policy_version", "details", "prev_hash", "hash")


def _csv_rows(events: QuerySet[AuditEvent], names: dict[str, str]) -> Iterator[list[object]]:
    for seq, created_at, actor, *rest in events.values_list(*CSV_FIELDS).iterator(chunk_size=2000):
        yield [seq, created_at.astimezone(UTC).isoformat(timespec="microseconds"), actor,
               actor_name(actor, names), *rest]


@panel_view(VIEW_AUDIT)
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered events as CSV, oldest first, streamed. Codes stay codes (they are the data
    the chain hashes), with the actor's name beside; times in UTC, as hashed."""
    form = _filter_form(request)
    if not form.is_valid():
        return _refused(request, form)
    record_export(actor=request.user, filters=form.filters())
    events = _events(form).order_by("seq")
    names = audit.usernames(audit.actors())
    header = [_("Event"), _("When (UTC)"), _("Actor"), _("Actor name"), _("Action"),
              _("Object type"), _("Object id"), _("Person (pseudonym)"), _("Policy version"),
              _("Details"), _("Previous hash"), _("Hash")]
    stamp = timezone.localdate().isoformat()
    return csv_response(filename=f"privet-audit-{stamp}.csv", header=header,
                        rows=_csv_rows(events, names))


@require_POST
@panel_view(VIEW_AUDIT)
def audit_verify(request: HttpRequest) -> HttpResponse:
    """Walk the whole chain now, record the outcome in it, and say it on the log page."""
    result = record_verification(actor=request.user)
    n = result.checked
    if result.ok:
        messages.success(request, ngettext("The audit chain is intact: %(n)s event verified.",
                                           "The audit chain is intact: %(n)s events verified.", n)
                         % {"n": n})
    else:
        because = BROKEN_BECAUSE.get(result.kind)
        reason = because % {"seq": result.broken_at} if because else result.reason
        messages.error(request, ngettext(
            "The audit chain is BROKEN at event #%(seq)s: %(reason)s %(n)s event before it verified.",
            "The audit chain is BROKEN at event #%(seq)s: %(reason)s %(n)s events before it verified.",
            n) % {"seq": result.broken_at, "reason": reason, "n": n})
    return redirect("panel:audit")
