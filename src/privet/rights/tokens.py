"""The verification link's token: a signed ``{request, nonce}`` whose nonce's digest is kept on
the request, so a link works once and a newer one replaces it. Apart from the services so that
the mail that carries a token can make one without importing the services that queue the mail.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core import signing
from django.db import transaction
from django.utils import timezone

from .models import RightsRequest

VERIFY_SALT = "privet.rights.verify"


def nonce_digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


@transaction.atomic
def issue_verification_token(request: RightsRequest) -> str:
    """A new single-use verification token for ``request`` (the previous one stops working);
    called by the mail sender as it writes the mail, so only a link that was mailed works."""
    nonce = secrets.token_urlsafe(24)
    RightsRequest.objects.filter(pk=request.pk).update(
        verification_digest=nonce_digest(nonce), verification_sent_at=timezone.now())
    return signing.dumps({"r": str(request.public_id), "n": nonce}, salt=VERIFY_SALT,
                         compress=True)


def request_of_token(token: str, *, for_update: bool = False) -> RightsRequest | None:
    """The unverified request ``token`` would verify, or ``None`` when the link is forged,
    expired, used or replaced (one answer for all, so a link tells nobody which). Spends
    nothing; ``for_update`` locks the row for the caller's transaction (verifying it)."""
    from datetime import timedelta

    from django.core.exceptions import ValidationError

    from .deadlines import VERIFICATION_HOURS
    from .models import Status

    rows = RightsRequest.objects.select_for_update() if for_update else RightsRequest.objects
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=timedelta(hours=VERIFICATION_HOURS))
        request = rows.filter(public_id=data["r"]).first()
        nonce = data["n"]
    except (signing.BadSignature, KeyError, TypeError, ValueError, ValidationError):
        return None
    if (request is None or request.status != Status.UNVERIFIED or not request.verification_digest
            or not isinstance(nonce, str)
            or not secrets.compare_digest(request.verification_digest, nonce_digest(nonce))):
        return None
    return request
