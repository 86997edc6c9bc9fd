"""Webhooks: one endpoint per connector, ``integrations/webhooks/<connector_id>/``.

A platform's delivery is checked in this order, and the first failed check answers a 4xx JSON
error ``{"error": code, "detail": text}``, stores nothing and writes one security event
(``webhook_refused``, with the code as its reason):

1. the body is at most ``PRIVET_WEBHOOK_MAX_BYTES`` (the declared ``Content-Length`` first,
   then what is actually read): 413 ``too_large``;
2. the connector exists (404 ``unknown_connector``) and the studio configured its app there
   (404 ``no_app``: without the app secret nothing can be verified);
3. the connector's :meth:`~.connectors.Connector.verify_webhook`: the signature header (400),
   the signature, compared in constant time (401), the timestamp window (401 ``late``), the
   body (400 ``malformed``);
4. replay: an event id seen within the window, in the shared cache (``cache.add`` is atomic
   in every backend Privet supports): 409 ``replayed``.

Then the delivery is processed once: a :class:`~.models.WebhookDelivery` row per (connector,
event id), unique, written in the transaction that acts on it, so a redelivery that outlived
the cache (a restart, an eviction) answers 200 and does nothing twice.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from privet.audit.services import append_event
from privet.clients import client_ref
from privet.core import ratelimit
from privet.telemetry.models import WEBHOOK_REFUSED
from privet.telemetry.services import record_security_event

from .connectors import Connector, WebhookEvent, connectors
from .errors import WebhookRefused
from .models import ConnectorApp, Grant, WebhookDelivery

CACHE_PREFIX = "privet:webhook:"


def _refused(request: HttpRequest, exc: WebhookRefused) -> JsonResponse:
    """A refusal is a security event and an audit event (its reason and the connector named in
    the address, nothing of the body). Anyone can send a forged delivery, so past
    ``PRIVET_WEBHOOK_REFUSALS_PER_MINUTE`` refusals from one address a minute the sender gets
    429 and only the security event is written: a flood cannot grow the audit log."""
    record_security_event(WEBHOOK_REFUSED, request, reason=exc.reason)
    if not ratelimit.allow("webhook_refused", client_ref(request),
                           limit=settings.PRIVET_WEBHOOK_REFUSALS_PER_MINUTE, window=60):
        return JsonResponse({"error": "too_many_refusals",
                             "detail": "Too many refused deliveries from this address; try "
                                       "again in a minute."}, status=429)
    connector = str((request.resolver_match.kwargs if request.resolver_match else {})
                    .get("connector_id", ""))[:64]
    append_event(actor="anonymous", action="integrations.webhook_refused",
                 object_type="connector", object_id=connector,
                 details={"connector": connector, "reason": exc.reason})
    return JsonResponse({"error": exc.reason, "detail": str(exc)}, status=exc.status)


def read_body(request: HttpRequest) -> bytes:
    """The body, refused past ``PRIVET_WEBHOOK_MAX_BYTES`` before it is read (the declared
    length) and while it is read (at most one byte more than the limit is ever read)."""
    limit = settings.PRIVET_WEBHOOK_MAX_BYTES
    too_large = WebhookRefused("too_large", 413, f"The body is larger than {limit} bytes.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large
    body = request.read(limit + 1)
    if len(body) > limit:
        raise too_large
    return body


def app_of(connector_id: str) -> tuple[Connector, ConnectorApp]:
    if connector_id not in connectors:
        raise WebhookRefused("unknown_connector", 404, "No such connector.")
    app = ConnectorApp.objects.filter(connector=connector_id).first()
    if app is None:
        raise WebhookRefused("no_app", 404, "The studio has not configured its app on this "
                             "platform.")
    return connectors.get(connector_id), app


def first_seen(connector: Connector, event: WebhookEvent) -> bool:
    """Whether this is the first time the event id arrives within the window (shared cache).
    A signature's time is accepted up to the window either side of now, so the id is kept for
    twice the window."""
    return cache.add(f"{CACHE_PREFIX}{connector.id}:{event.event_id}", 1,
                     timeout=2 * settings.PRIVET_WEBHOOK_WINDOW_SECONDS)


def process(connector: Connector, event: WebhookEvent) -> tuple[WebhookDelivery, bool]:
    """Act on a verified, first-seen event once: ``(delivery, new)``; a delivery recorded
    before (``new`` false) is not acted on again."""
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                connector=connector.id, event_id=event.event_id, kind=event.kind[:64])
            # The one lookup across clients, by design: a platform's event names only the
            # platform account, not our client, so the grants of that account are found among
            # every client's; each is then ended through its own client (grants.deauthorise).
            grants = list(Grant.all_clients.select_related("client").filter(
                connector=connector.id, account_id=event.account_id,
                status=Grant.Status.ACTIVE).order_by("pk"))
            delivery.outcome = connector.handle_webhook(event, grants=grants)[:32]
            clients = {g.client_id for g in grants}
            delivery.client_id = clients.pop() if len(clients) == 1 else None
            delivery.save(update_fields=["outcome", "client"])
    except IntegrityError:
        return WebhookDelivery.objects.get(connector=connector.id, event_id=event.event_id), False
    return delivery, True


@csrf_exempt  # platforms sign their deliveries; there is no session or form to protect
@never_cache
@require_POST
def receive(request: HttpRequest, connector_id: str) -> JsonResponse:
    """A platform's webhook delivery (see the module's docstring for the checks)."""
    try:
        body = read_body(request)
        connector, app = app_of(connector_id)
        event = connector.verify_webhook(request.headers, body, secret=app.secret.reveal(),
                                         now=time.time())
        if not first_seen(connector, event):
            raise WebhookRefused("replayed", 409, "This event was delivered already.")
    except WebhookRefused as exc:
        return _refused(request, exc)
    try:
        delivery, new = process(connector, event)
    except BaseException:
        # Not processed: the platform's retry of the same delivery must not be a replay.
        cache.delete(f"{CACHE_PREFIX}{connector.id}:{event.event_id}")
        raise
    return JsonResponse({"status": "accepted" if new else "duplicate",
                         "outcome": delivery.outcome})
