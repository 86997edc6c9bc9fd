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
