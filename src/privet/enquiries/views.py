"""The public contact form: thin views over :mod:`.forms` and :mod:`.services`."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from privet.clients import client_ref
from privet.core.views import csrf_failure_handler
from privet.telemetry.services import record_security_event

from . import services, throttle
from .forms import ENQUIRY_FIELDS, ContactForm
from .models import Enquiry
from .notice import collection_notice

# The thank-you page learns the enquiry's number from a signed, short-lived query value: no
# session (and no session cookie) for visitors.
THANKS_SALT = "privet.enquiries.thanks"
THANKS_MAX_AGE = 3600


def _render(request: HttpRequest, form: ContactForm, *, status: int = 200, refusal: str = "") -> HttpResponse:
    form.aria_setup()
    notice = collection_notice(get_language())
    return render(request, "enquiries/contact.html", {
        "form": form, "notice": notice, "refusal": refusal,
        "retry_minutes": throttle.retry_after_minutes(),
    }, status=status)


def _kept(request: HttpRequest) -> ContactForm:
    """The form again with what the person typed, checking nothing (the proof-of-work starts
    afresh: a solved challenge is not carried over)."""
    return ContactForm(initial={name: request.POST.get(name, "") for name in ENQUIRY_FIELDS},
                       request=request)


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    """A form sent with a stale CSRF token comes back with what was typed (see
    :mod:`privet.core.views`)."""
    if request.method != "POST":
        return None
    return _render(request, _kept(request), status=403, refusal="csrf")


@csrf_failure_handler(_csrf_failure)
@require_http_methods(["GET", "HEAD", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request, ContactForm(request=request))
    client = client_ref(request)
    if not throttle.submission_allowed(client):
        record_security_event("rate_limited", request, limit="enquiry")
        # Keep what the person typed, but check nothing and store nothing.
        return _render(request, _kept(request), status=429, refusal="throttled")
    form = ContactForm(request.POST, request=request)
    if not form.is_valid():
        return _render(request, form, status=400, refusal="spam" if form.is_spam_refusal() else "")
    enquiry = services.submit_enquiry(data=form.enquiry_data(), client_ref=client,
                                      language=get_language())
    token = signing.dumps(enquiry.pk, salt=THANKS_SALT)
    return redirect(f"{reverse('enquiries:thanks')}?r={token}")


@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    reference = ""
    try:
        pk = signing.loads(request.GET.get("r", ""), salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
    except signing.BadSignature:
        pk = None
    if pk is not None and Enquiry.objects.filter(pk=pk).exists():
        reference = f"E-{int(pk):06d}"
    return render(request, "enquiries/thanks.html", {
        "reference": reference, "notice": collection_notice(get_language()),
    })
