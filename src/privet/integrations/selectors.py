"""Reads of integration data, always for one client (see :mod:`.scoping`).

:func:`clients_visible_to` and :func:`client_for` are the gate of every panel page: an operator
sees the clients assigned to them, the privacy officer and the administrator see all
(``panel.see_all_clients``); any other client is a 404, never a 403, so its existence is not
confirmed either.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from .models import AuthorisationLink, Client, Grant, GrantEvent, OutboundCall

SEE_ALL_CLIENTS = "panel.see_all_clients"


def clients_visible_to(user: AbstractBaseUser) -> QuerySet[Client]:
    if not user.is_active:
        return Client.objects.none()
    if user.has_perm(SEE_ALL_CLIENTS):
        return Client.objects.all()
    return Client.objects.filter(operators=user)


def client_for(user: AbstractBaseUser, slug: str) -> Client:
    """The client ``slug`` if ``user`` may see it, else 404."""
    client = clients_visible_to(user).filter(slug=slug).first()
    if client is None:
        raise Http404("No such client.")
    return client


def grants_of(client: Client) -> QuerySet[Grant]:
    return Grant.objects.for_client(client).order_by("-granted_at")


def grant_of(client: Client, pk: Any) -> Grant:
    grant = Grant.objects.for_client(client).filter(pk=pk).first() if str(pk).isdigit() else None
    if grant is None:
        raise Http404("No such grant.")
    return grant


def ledger_of(client: Client, grant: Grant | None = None) -> QuerySet[GrantEvent]:
    qs = GrantEvent.objects.for_client(client)
    return qs.filter(grant=grant) if grant is not None else qs


def links_of(client: Client) -> QuerySet[AuthorisationLink]:
    return AuthorisationLink.objects.for_client(client)


def calls_of(client: Client) -> QuerySet[OutboundCall]:
    return OutboundCall.objects.for_client(client)


def holdings_of(client: Client) -> dict[str, int]:
    """Records of integration data the studio holds for ``client``, per declared category
    (from each model's field mapping in the privacy registry)."""
    from privet.registry import registry

    from .services import integration_models

    held: dict[str, int] = {}
    for model in integration_models():
        count = model.objects.for_client(client).count()
        if not count:
            continue
        categories = {f.category for f in registry.fields.values() if f.model is model}
        for category in categories or {"integration_data"}:
            held[category] = held.get(category, 0) + count
    return held
