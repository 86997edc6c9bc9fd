"""A grant's life after it is given: refreshed, expired, or ended by its owner or an operator.

Kept apart from :mod:`.services` because the outbound client (:mod:`.http`) needs it: an
expired access token is refreshed once in the middle of a call (:func:`refresh_grant`), and a
token the platform refuses as invalid ends the grant (:func:`deauthorise`).

A grant's end stops everything that uses it (the outbound client refuses a call without a live
grant) and starts the declared clock on its data: ``revoked_at`` is set on every integration
record of the grant (:func:`integration_models`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from privet.audit.services import Actor, actor_label, append_event

from .connectors import connectors
from .errors import PlatformError, RefreshExpired, TokenRefused
from .models import Grant, GrantEvent, IntegrationRecord

SYSTEM = "system:integrations"


def _expiry(seconds: int | None) -> datetime | None:
    return timezone.now() + timedelta(seconds=seconds) if seconds else None


def integration_models() -> list[type[IntegrationRecord]]:
    """Every concrete model of integration data (subclasses of :class:`IntegrationRecord`)."""
    return [m for m in apps.get_models() if issubclass(m, IntegrationRecord)]


def _ledger(grant: Grant, kind: str, *, actor: Actor, details: dict[str, Any] | None = None,
            scopes: list[str] | None = None) -> GrantEvent:
    return GrantEvent.objects.for_client(grant.client).create(
        client=grant.client, grant=grant, kind=kind, actor=actor_label(actor)[:150],
        scopes=list(grant.scopes if scopes is None else scopes), details=details or {})


def refresh_grant(grant: Grant) -> Grant:
    """Refresh the grant's access token at the platform (once; the outbound client calls this
    on an expired token). A refused refresh ends the grant: the owner must authorise again.

    The grant's row is locked across the platform's call, so two workers never spend the same
    refresh token: the second finds the grant refreshed meanwhile and uses the new token. A
    grant ended meanwhile is left ended (no token is written back into it)."""
    connector = connectors.get(grant.connector)
    seen = grant.refreshed_at
    refused: PlatformError | None = None
    with transaction.atomic():
        grant = Grant.objects.for_client(grant.client).select_for_update().get(pk=grant.pk)
        if not grant.live or grant.refreshed_at != seen:
            return grant
        try:
            tokens = connector.refresh(grant)
        except (RefreshExpired, TokenRefused) as exc:
            refused = exc
    if refused is not None:
        expire_grant(grant)
        raise refused
    with transaction.atomic():
        grant = Grant.objects.for_client(grant.client).select_for_update().get(pk=grant.pk)
        if not grant.live:
            return grant
        before = list(grant.scopes)
        grant.access_token = tokens.access_token
        if tokens.refresh_token:
            grant.refresh_token = tokens.refresh_token
        grant.access_expires_at = _expiry(tokens.expires_in)
        if tokens.refresh_expires_in:
            grant.refresh_expires_at = _expiry(tokens.refresh_expires_in)
        if tokens.scopes:
            grant.scopes = sorted(set(tokens.scopes))
        grant.refreshed_at = timezone.now()
        grant.save()
        _ledger(grant, GrantEvent.Kind.REFRESHED, actor=SYSTEM)
        if before != grant.scopes:
            _ledger(grant, GrantEvent.Kind.SCOPES_CHANGED, actor=SYSTEM,
                    details={"before": before})
            append_event(actor=SYSTEM, action="integrations.scopes_changed", obj=grant,
                         details={"client": grant.client.slug, "before": before,
                                  "scopes": grant.scopes})
        append_event(actor=SYSTEM, action="integrations.refreshed", obj=grant,
                     details={"client": grant.client.slug})
    return grant


@transaction.atomic
def expire_grant(grant: Grant) -> Grant:
    grant = Grant.objects.for_client(grant.client).select_for_update().get(pk=grant.pk)
    if not grant.live:
        return grant
    _end(grant, Grant.Status.EXPIRED)
    _ledger(grant, GrantEvent.Kind.EXPIRED, actor=SYSTEM)
    append_event(actor=SYSTEM, action="integrations.expired", obj=grant,
                 details={"client": grant.client.slug})
    return grant


def _end(grant: Grant, status: str) -> None:
    now = timezone.now()
    grant.status = status
    grant.revoked_at = now
    grant.access_token = ""
    grant.refresh_token = ""
    grant.save()
    for model in integration_models():
        model.objects.for_client(grant.client).filter(grant=grant, revoked_at__isnull=True) \
            .update(revoked_at=now)


@transaction.atomic
def deauthorise(grant: Grant, *, by_owner: bool, actor: Actor, reason: str) -> Grant:
    """End a grant: its tokens are wiped, every use of it stops, and the declared clock on its
    data starts. ``by_owner``: the owner revoked it on the platform (a webhook, a refused
    token); otherwise an operator did (:func:`disconnect`)."""
    grant = Grant.objects.for_client(grant.client).select_for_update().get(pk=grant.pk)
    if not grant.live:  # revoked or expired already: its tokens are gone, its clock runs
        return grant
    _end(grant, Grant.Status.REVOKED)
    kind = GrantEvent.Kind.DEAUTHORISED if by_owner else GrantEvent.Kind.REVOKED
    _ledger(grant, kind, actor=actor, details={"reason": reason})
    append_event(actor=actor, action="integrations.deauthorised" if by_owner else "integrations.revoked",
                 obj=grant, details={"client": grant.client.slug, "reason": reason})
    return grant
