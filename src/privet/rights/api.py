"""The rights API: a request to exercise a right, as the portal takes it.

Transport rules (the 8 kB limit, JSON only, the rate limit) are applied before this view by
:mod:`privet.rights.middleware`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from privet.api import ErrorOut, InvalidOut
from privet.clients import client_ref

from . import services
from .models import DETAILS_MAX, EMAIL_MAX, PHONE_MAX, Channel, Right

router = Router(tags=["rights"])

RightId = Literal["access", "portability", "rectification", "erasure", "restriction",
                  "objection", "withdraw_consent"]
assert set(RightId.__args__) == set(Right.values)


class RequestIn(Schema):
    model_config = ConfigDict(extra="forbid")

    right: RightId
    email: Annotated[str, StringConstraints(min_length=3, max_length=EMAIL_MAX)]
    phone: Annotated[str, StringConstraints(max_length=PHONE_MAX)] = ""
    details: Annotated[str, StringConstraints(max_length=DETAILS_MAX)] = Field(
        "", description="Required for rectification (what is wrong, what it should be) and "
                        "objection (the grounds).")
    language: Literal["en", "pl"] = "en"


class AcceptedOut(Schema):
    status: Literal["received"]
    message: str


def accepted_message(language: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return _("If the address is right, a link to confirm the request is on its way. The "
                 "request goes ahead once the link is used (within 24 hours).")


@router.post(
    "/requests",
    response={202: AcceptedOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: InvalidOut,
              429: ErrorOut, 503: ErrorOut},
    summary="Make a rights request (GDPR Arts. 15-22)",
    description=(
        "Stores the request unverified and mails a single-use verification link (24 hours) to "
        "`email`; nothing is searched before the link is used. The answer is 202 with the same "
        "body whether or not the address is known to us. The body is JSON (`Content-Type: "
        "application/json`, else 415) of at most 8 kB (else 413), not valid JSON or not an "
        "object is 400; a missing or invalid field is 422 `invalid_request`; an email that is "
        "not an address, or `details` missing for rectification or objection, is 400 "
        "`invalid_request`. `PRIVET_RIGHTS_RATE_LIMIT` requests per window from one client, "
        "then 429 with `Retry-After`. While the database is unavailable, 503 with `Retry-After`."
    ),
    auth=None,
)
def create_request(request: HttpRequest, payload: RequestIn):
    services.submit_request(right=payload.right, email=payload.email, phone=payload.phone,
                            details=payload.details, language=payload.language,
                            channel=Channel.API, client_ref=client_ref(request))
    return Status(202, {"status": "received", "message": accepted_message(payload.language)})
