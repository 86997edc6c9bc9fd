"""The public side of rights requests: the portal, the verification link, a new link, the
person's status page. Thin views over :mod:`.forms`, :mod:`.services` and :mod:`.selectors`.

No page tells whether an address is known: after a request or an ask for a new link the person
sees the same "check your mail" page whatever was found. The verification link shows a button;
only the POST verifies, because mail scanners open (GET) the links in a mail.
"""

from __future__ import annotations

import io

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from privet.clients import client_ref
from privet.consent.selectors import visitor_id_from_cookie
from privet.core.views import csrf_failure_handler
from privet.policy.selectors import declaration_in_force_or_file
from privet.telemetry.services import record_security_event

from . import archive, links, selectors, services, throttle
from .errors import InvalidLink, InvalidTransition
from .forms import REQUEST_FIELDS, NewLinkForm, RequestForm
from .models import Channel


def _contact_email() -> str:
    declaration, _hash = declaration_in_force_or_file()
    return declaration.controller.email


def _render_portal(request: HttpRequest, form: RequestForm, *, status: int = 200,
                   refusal: str = "") -> HttpResponse:
    form.aria_setup()
    return render(request, "rights/portal.html", {
        "form": form, "refusal": refusal, "contact_email": _contact_email(),
        "retry_minutes": throttle.retry_after_minutes(),
    }, status=status)


def _kept(request: HttpRequest) -> RequestForm:
    """The form again with what the person typed, checking nothing."""
    return RequestForm(initial={name: request.POST.get(name, "") for name in REQUEST_FIELDS},
                       visitor_id=visitor_id_from_cookie(request.COOKIES))


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    if request.method != "POST":
        return None
    return _render_portal(request, _kept(request), status=403, refusal="csrf")


@csrf_failure_handler(_csrf_failure)
@require_http_methods(["GET", "HEAD", "POST"])
def portal(request: HttpRequest) -> HttpResponse:
    visitor_id = visitor_id_from_cookie(request.COOKIES)
    if request.method != "POST":
        return _render_portal(request, RequestForm(visitor_id=visitor_id))
    client = client_ref(request)
    if not throttle.allowed(client):
        record_security_event("rate_limited", request, limit="rights")
        return _render_portal(request, _kept(request), status=429, refusal="throttled")
    form = RequestForm(request.POST, visitor_id=visitor_id)
    if not form.is_valid():
        return _render_portal(request, form, status=400)
    services.submit_request(**form.request_data(), language=get_language(),
                            channel=Channel.PORTAL, client_ref=client)
    return redirect("rights:sent")


@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    """"Check your mail": the same page for every address, known or not."""
    return render(request, "rights/sent.html", {"contact_email": _contact_email()})


def _render_new_link(request: HttpRequest, form: NewLinkForm, *, status: int = 200,
                     refusal: str = "", template: str = "rights/new_link.html") -> HttpResponse:
    form.aria_setup()
    return render(request, template, {
        "form": form, "refusal": refusal, "contact_email": _contact_email(),
        "retry_minutes": throttle.retry_after_minutes(),
    }, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def new_link(request: HttpRequest) -> HttpResponse:
    """Ask for a new verification link: the same answer whether or not anything was sent."""
    if request.method != "POST":
        return _render_new_link(request, NewLinkForm())
    if not throttle.allowed(client_ref(request)):
        record_security_event("rate_limited", request, limit="rights")
        return _render_new_link(request, NewLinkForm(initial={"email": request.POST.get("email", "")}),
                                status=429, refusal="throttled")
    form = NewLinkForm(request.POST)
    if not form.is_valid():
        return _render_new_link(request, form, status=400)
    services.resend_verification(email=form.cleaned_data["email"])
    return redirect("rights:sent")


@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The mailed link: GET shows "Confirm my request" (a mail scanner's fetch verifies
    nothing); the POST verifies and leads to the status page."""
    token = request.POST.get("t", "") if request.method == "POST" else request.GET.get("t", "")
    if request.method == "POST":
        try:
            rights_request = services.verify(token=token)
        except InvalidLink:
            return _invalid_link(request)
        return redirect(links.status_path(rights_request))
    rights_request = selectors.request_for_verification(token)
    if rights_request is None:
        return _invalid_link(request)
    return render(request, "rights/verify.html", {"token": token, "request_": rights_request,
                                                  "right": rights_request.get_right_display()})


def _invalid_link(request: HttpRequest) -> HttpResponse:
    """A forged, expired, used or replaced verification link: the page offering a new one, and a
    security event (many from one client would be someone guessing links)."""
    record_security_event("verification_refused", request, link="verification")
    form = NewLinkForm()
    return _render_new_link(request, form, status=400, template="rights/invalid_link.html")


@require_http_methods(["GET", "HEAD", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """The person's page of their request (by its signed link): what, when, by when, where it
    stands; and "withdraw my request" while it is open."""
    token = request.POST.get("s", "") if request.method == "POST" else request.GET.get("s", "")
    rights_request = selectors.request_for_status(token)
    if rights_request is None:
        record_security_event("verification_refused", request, link="status")
        return render(request, "rights/status_unknown.html",
                      {"contact_email": _contact_email()}, status=404)
    problem = ""
    if request.method == "POST":
        if request.POST.get("action") == "withdraw":
            try:
                services.withdraw(request=rights_request, actor=services.PERSON_ACTOR)
            except InvalidTransition:
                problem = "closed"
            else:
                return redirect(links.status_path(rights_request) + "&withdrawn=1")
        rights_request.refresh_from_db()
    return render(request, "rights/status.html", {
        "request_": rights_request, "token": token, "problem": problem,
        "withdrawn_now": request.GET.get("withdrawn") == "1",
        "contact_email": _contact_email(),
        "can_withdraw": rights_request.is_open(),
    }, status=409 if problem else 200)


def portal_url() -> str:
    """The portal's path in the active language (for other apps' templates and tests)."""
    return reverse("rights:portal")


@require_GET
def download(request: HttpRequest) -> HttpResponse:
    """The link in the answer mail: the person's archive, decrypted and streamed, each use
    audited. A forged or expired link gets 400 with a page saying so, a deleted archive 410,
    one that does not exist 404."""
    try:
        rights_request, export = archive.open_archive(request.GET.get("t", ""))
    except InvalidLink as exc:
        record_security_event("verification_refused", request, link="download")
        return render(request, "rights/download_error.html", {"problem": "invalid",
                      "message": str(exc)}, status=400)
    except archive.ArchiveGone as gone:
        deleted = bool(gone.args and gone.args[0])
        return render(request, "rights/download_error.html",
                      {"problem": "deleted" if deleted else "missing"},
                      status=410 if deleted else 404)
    data = archive.record_download(request=rights_request, archive=export,
                                   actor=services.PERSON_ACTOR)
    response = FileResponse(io.BytesIO(data), as_attachment=True,
                            filename=f"{rights_request.reference}-your-data.zip",
                            content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response
