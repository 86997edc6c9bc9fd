"""The public contact form: thin views over :mod:`.forms` and :mod:`.services`."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from privet.clients import client_ref

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


@require_http_methods(["GET", "HEAD", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request, ContactForm(request=request))
    client = client_ref(request)
    if not throttle.submission_allowed(client):
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


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent without a valid CSRF token (the page was open too
    long, or cookies are blocked). Nothing is stored; the person is told what happened in the
    site's look instead of Django's bare 403. The contact form comes back with what was typed;
    the panel and other pages offer the way back. ``reason`` (Django's, technical) is not shown.
    """
    match = request.resolver_match
    view_name = match.view_name if match else ""
    if view_name == "enquiries:contact" and request.method == "POST":
        return _render(request, _kept(request), status=403, refusal="csrf")
    context = {"back_url": _same_site_referer(request)}
    if view_name.startswith(("panel:", "admin:")):
        return render(request, "panel/csrf_failure.html", context, status=403)
    return render(request, "enquiries/csrf_failure.html", context, status=403)


def _same_site_referer(request: HttpRequest) -> str:
    """The page the form was on, if it is one of ours; else ``""``."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    return ""
