"""The person's links: verification (mailed, single use, 24 hours), status (signed, no expiry:
it names an unguessable request and only shows what the person asked and where it stands) and
the page to ask for a new verification link. Absolute, in the request's language."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse
from django.utils import translation

from privet.enquiries.notifications import absolute

from .models import RightsRequest

STATUS_SALT = "privet.rights.status"


def status_token(request: RightsRequest) -> str:
    return signing.Signer(salt=STATUS_SALT).sign(str(request.public_id))


def public_id_of_status_token(token: str) -> str | None:
    """The request's public id a status token names, or ``None`` for a forged one."""
    try:
        return signing.Signer(salt=STATUS_SALT).unsign(token)
    except signing.BadSignature:
        return None


def status_path(request: RightsRequest) -> str:
    return reverse("rights:status") + "?s=" + status_token(request)


def status_url(request: RightsRequest) -> str:
    with translation.override(request.language):
        return absolute(status_path(request))


def verify_url(token: str, lang: str) -> str:
    with translation.override(lang):
        return absolute(reverse("rights:verify") + "?t=" + token)


def new_link_url(lang: str) -> str:
    with translation.override(lang):
        return absolute(reverse("rights:new-link"))
