"""Reads of rights requests for the panel, the portal and the engine."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.urls import reverse

from .models import OPEN_STATUSES, RightsRequest


def open_requests() -> QuerySet[RightsRequest]:
    """Open requests, the earliest due first (overdue ones come first by that order)."""
    return RightsRequest.objects.filter(status__in=OPEN_STATUSES).order_by("due_on", "received_at")


def request_urls(object_ids: Iterable[str]) -> dict[str, str]:
    """The panel pages of the requests that still exist, for the audit log's links."""
    ids = [int(i) for i in object_ids if str(i).isdecimal()]
    existing = RightsRequest.objects.filter(pk__in=ids).values_list("pk", flat=True)
    try:
        return {str(pk): reverse("panel:rights-request", args=[pk]) for pk in existing}
    except Exception:  # the panel's pages are not there yet
        return {}


def request_for_verification(token: str) -> RightsRequest | None:
    """The unverified request a verification token would verify, or ``None`` when the link is
    forged, expired, used or replaced (one answer for all); reads, spends nothing."""
    import secrets
    from datetime import timedelta

    from django.core import signing
    from django.core.exceptions import ValidationError

    from . import deadlines
    from .models import Status
    from .services import VERIFY_SALT, _digest

    try:
        data = signing.loads(token, salt=VERIFY_SALT,
                             max_age=timedelta(hours=deadlines.VERIFICATION_HOURS))
        request = RightsRequest.objects.filter(public_id=data["r"]).first()
        nonce = data["n"]
    except (signing.BadSignature, KeyError, TypeError, ValueError, ValidationError):
        return None
    if (request is None or request.status != Status.UNVERIFIED or not request.verification_digest
            or not isinstance(nonce, str)
            or not secrets.compare_digest(request.verification_digest, _digest(nonce))):
        return None
    return request


def request_for_status(token: str) -> RightsRequest | None:
    """The request a status link names, or ``None`` for a forged link or a request that is gone."""
    from django.core.exceptions import ValidationError

    from .links import public_id_of_status_token

    public_id = public_id_of_status_token(token)
    if public_id is None:
        return None
    try:
        return RightsRequest.objects.filter(public_id=public_id).first()
    except ValidationError:
        return None
