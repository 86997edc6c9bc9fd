"""The enquiry pages: list with search and filters, detail with status, notes and history, and
logging an enquiry that came by email or phone. Each view parses input and calls one service or
selector of privet.enquiries; domain errors become messages on the page."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from privet.enquiries import services as enquiry_services
from privet.enquiries.errors import InvalidStatusDate
from privet.enquiries.models import Enquiry, MailKind, Status
from privet.enquiries.selectors import enquiry_history, search_enquiries
from privet.errors import PrivetError
from privet.retention.selectors import retention_of

from ..access import panel_view
from ..forms import (
    MAIL_NOT_SENT,
    EnquiryFilterForm,
    NoteForm,
    StatusChangeForm,
    log_enquiry_form_class,
)

PAGE_SIZE = 25


@panel_view()
def enquiry_list(request: HttpRequest) -> HttpResponse:
    form = EnquiryFilterForm(request.GET or None)
    # A value that is not one of the choices (an old bookmark, a hand-edited link) is left out
    # on its own, and the page says so; the other filters still apply.
    filters: dict = {}
    if form.is_bound:
        form.is_valid()  # cleaned_data keeps the valid fields even when another one is not
        filters = form.cleaned_data
    ignored = [str(form.fields[name].label) for name in form.errors]
    found = search_enquiries(q=filters.get("q", ""), status=filters.get("status") or None,
                             project_type=filters.get("project_type") or None,
                             mail_not_sent=filters.get("mail") == MAIL_NOT_SENT)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "panel/enquiry_list.html", {
        "section": "enquiries", "form": form, "page": page, "query": query.urlencode(),
        "filtered": any(filters.values()) or bool(ignored), "ignored": ignored,
    })


def _status_form(enquiry: Enquiry, data=None) -> StatusChangeForm:
    previous = enquiry.status_changes.order_by("-at").values_list("at", flat=True).first()
    return StatusChangeForm(data, earliest=timezone.localdate(previous) if previous else None)


def _detail(request: HttpRequest, enquiry: Enquiry, *, status_form: StatusChangeForm | None = None,
            status: int = 200) -> HttpResponse:
    status_form = status_form or _status_form(enquiry)
    status_form.aria_setup()
    return render(request, "panel/enquiry_detail.html", {
        "section": "enquiries", "enquiry": enquiry,
        "unsent_mail": [m for m in enquiry.mail.all() if m.needs_attention()],
        "transitions": [Status(s) for s in enquiry.allowed_transitions()],
        "history": enquiry_history(enquiry),
        "note_form": NoteForm(), "status_form": status_form,
        "retention": retention_of(enquiry),
    }, status=status)


@panel_view()
def enquiry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(Enquiry.objects.select_related("created_by"), pk=pk))


@require_POST
@panel_view()
def enquiry_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the status; a refused change shows the page again with the reason beside the
    field it concerns (the date) or above the buttons, and changes nothing."""
    enquiry = get_object_or_404(Enquiry.objects.select_related("created_by"), pk=pk)
    form = _status_form(enquiry, request.POST)
    if not form.is_valid():
        if "to_status" in form.errors:  # the buttons send it: a forged or broken request
            form.add_error(None, _("The status change was not understood; nothing was changed."))
        return _detail(request, enquiry, status_form=form, status=400)
    try:
        enquiry = enquiry_services.change_status(
            enquiry=enquiry, to_status=form.cleaned_data["to_status"], actor=request.user,
            reason=form.cleaned_data["reason"], at=form.effective_at(),
        )
    except InvalidStatusDate as exc:
        form.add_error("effective_date", str(exc))
        return _detail(request, enquiry, status_form=form, status=exc.status)
    except PrivetError as exc:
        form.add_error(None, _("Nothing was changed: %(reason)s") % {"reason": exc})
        return _detail(request, enquiry, status_form=form, status=exc.status)
    messages.success(request, _("%(ref)s is now: %(status)s.") % {
        "ref": enquiry.reference, "status": enquiry.get_status_display()})
    return redirect("panel:enquiry_detail", pk=pk)


@require_POST
@panel_view()
def enquiry_note(request: HttpRequest, pk: int) -> HttpResponse:
    enquiry = get_object_or_404(Enquiry, pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the note first; nothing was saved."))
        return redirect("panel:enquiry_detail", pk=pk)
    try:
        enquiry_services.add_note(
            enquiry=enquiry, body=form.cleaned_data["body"], actor=request.user,
            contact_at=timezone.now() if form.cleaned_data["contact"] else None,
        )
    except PrivetError as exc:
        messages.error(request, _("The note was not saved: %(reason)s") % {"reason": exc})
    else:
        messages.success(request, _("Note added."))
    return redirect("panel:enquiry_detail", pk=pk)


@require_POST
@panel_view()
def enquiry_resend_mail(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """"Send again" for a mail the worker gave up on (shown on the detail page and dashboard)."""
    enquiry = get_object_or_404(Enquiry, pk=pk)
    if kind not in MailKind.values:
        raise Http404("No such mail.")
    try:
        enquiry_services.send_mail_again(enquiry=enquiry, kind=kind, actor=request.user)
    except PrivetError as exc:
        messages.error(request, _("Nothing was queued: %(reason)s") % {"reason": exc})
    else:
        messages.success(request, _("%(mail)s queued again; the worker sends it shortly.") % {
            "mail": MailKind(kind).label})
    return redirect("panel:enquiry_detail", pk=pk)


@panel_view()
def enquiry_new(request: HttpRequest) -> HttpResponse:
    """Log an enquiry that arrived by email or phone: the public form's fields, no ALTCHA."""
    form = log_enquiry_form_class()(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items()
                if k not in {"channel", "received_at", "language"}}
        try:
            enquiry = enquiry_services.log_enquiry(
                data=data, actor=request.user, channel=form.cleaned_data["channel"],
                received_at=form.cleaned_data["received_at"], language=form.cleaned_data["language"],
            )
        except PrivetError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Enquiry %(ref)s logged.") % {"ref": enquiry.reference})
            return redirect("panel:enquiry_detail", pk=enquiry.pk)
    form.aria_setup()
    return render(request, "panel/enquiry_new.html", {"section": "enquiries", "form": form},
                  status=400 if form.is_bound else 200)
