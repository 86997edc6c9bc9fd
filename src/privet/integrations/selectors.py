"""Reads of integration data, always for one client (see :mod:`.scoping`).

:func:`clients_visible_to` and :func:`client_for` are the gate of every panel page: an operator
sees the clients assigned to them, the privacy officer and the administrator see all
(``panel.see_all_clients``); any other client is a 404, never a 403, so its existence is not
confirmed either.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .grants import integration_models
from .models import (
    AuthorisationLink,
    Client,
    Conversation,
    Grant,
    GrantEvent,
    Message,
    OutboundCall,
    PlatformAccount,
    SyncRun,
)

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


def count_by_category(querysets: Iterable[QuerySet]) -> tuple[int, dict[str, int]]:
    """``(records, per category)`` of integration records: each queryset counted once, its
    records under every category its model's fields are mapped to in the privacy registry."""
    from privet.registry import registry

    records, held = 0, {}
    for qs in querysets:
        count = qs.count()
        if not count:
            continue
        records += count
        categories = {f.category for f in registry.fields.values() if f.model is qs.model}
        for category in categories or {"integration_data"}:
            held[category] = held.get(category, 0) + count
    return records, held


def holdings_of(client: Client) -> dict[str, int]:
    """Records of integration data the studio holds for ``client``, per declared category."""
    return count_by_category(m.objects.for_client(client) for m in integration_models())[1]


def failed_calls(qs: QuerySet[OutboundCall]) -> QuerySet[OutboundCall]:
    """Calls that went wrong: refused by the outbound client, or answered with an error (an
    HTTP error status, a platform error code, a transport error)."""
    return qs.filter(Q(refused__gt="") | Q(error__gt="") | Q(status__gte=400)
                     | (Q(platform_code__isnull=False) & ~Q(platform_code=0)))


def pending_links(client: Client) -> QuerySet[AuthorisationLink]:
    """Links the owner can still use (not used, cancelled or expired), newest first."""
    return links_of(client).filter(used_at__isnull=True, cancelled_at__isnull=True,
                                   expires_at__gt=timezone.now())


def granted_entries(client: Client) -> dict[int, GrantEvent]:
    """Per grant, the ledger entry of the owner's latest authorisation of it (``granted`` or
    ``scopes_changed`` when they authorised again with other scopes). One query."""
    entries: dict[int, GrantEvent] = {}
    kinds = [GrantEvent.Kind.GRANTED, GrantEvent.Kind.SCOPES_CHANGED]
    for event in ledger_of(client).filter(kind__in=kinds, actor="owner").order_by("at", "pk"):
        entries[event.grant_id] = event
    return entries


def client_summary(client: Client, *, days: int = 7) -> dict[str, Any]:
    """What the clients list shows of one client: live grants, the last call, and the calls
    that went wrong in the last ``days`` days. Three queries."""
    calls = calls_of(client)
    return {"client": client,
            "live": grants_of(client).filter(status=Grant.Status.ACTIVE).count(),
            "last_call": calls.order_by("-at").values_list("at", flat=True).first(),
            "errors": failed_calls(calls.filter(at__gte=timezone.now() - timedelta(days=days))).count()}


def integrations_summary(user: AbstractBaseUser, *, days: int = 7) -> dict[str, int]:
    """The dashboard card, over the clients ``user`` may see: how many, their live grants and
    the calls refused in the last ``days`` days. Two queries per client (each through its
    client-scoped manager: the card never sums across clients in one query)."""
    since = timezone.now() - timedelta(days=days)
    clients = list(clients_visible_to(user))
    return {"clients": len(clients), "days": days,
            "live": sum(grants_of(c).filter(status=Grant.Status.ACTIVE).count() for c in clients),
            "refused": sum(calls_of(c).filter(at__gte=since, refused__gt="").count()
                           for c in clients)}


def record_fields(model: type, *, skip: Iterable[str] = ("client",)) -> list[Any]:
    """The columns of an integration model that an export shows: never the client (the export
    is the client's own) nor anything from the vault."""
    from .vault import EncryptedTextField

    skip = set(skip)
    return [f for f in model._meta.concrete_fields
            if f.name not in skip and not isinstance(f, EncryptedTextField)]


def record_value(record: Any, field: Any) -> Any:
    """A column's value as JSON and CSV take it: times and days in ISO 8601, amounts as their
    exact decimal text."""
    value = field.value_from_object(record)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def last_runs(client: Client) -> dict[tuple[int, str], SyncRun]:
    """Per (grant, workflow), the latest sync run of the client's grants: one query for the
    latest ids, one for the runs (a client syncing every half hour has thousands of runs)."""
    from django.db.models import Max

    latest = (SyncRun.objects.for_client(client).values("grant_id", "workflow")
              .annotate(last=Max("pk")).values_list("last", flat=True))
    return {(run.grant_id, run.workflow): run
            for run in SyncRun.objects.for_client(client).filter(pk__in=list(latest))}


def conversations_of(grant: Grant) -> QuerySet[Conversation]:
    """The grant's conversations, the latest message first."""
    return Conversation.objects.for_client(grant.client).filter(grant=grant).order_by(
        F("updated").desc(nulls_last=True), "-pk")


def conversation_of(grant: Grant, pk: Any) -> Conversation:
    """One conversation of ``grant`` (of its client), else 404."""
    found = conversations_of(grant).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404("No such conversation.")
    return found


def messages_of(conversation: Conversation) -> QuerySet[Message]:
    """A conversation's messages, oldest first."""
    return Message.objects.for_client(conversation.client).filter(
        grant_id=conversation.grant_id, conversation_id=conversation.external_id).order_by(
        F("created").asc(nulls_first=True), "pk")


def link_reads(link: AuthorisationLink, connector: Any) -> tuple[list[Any], set[str]]:
    """What a link's authorisation is for: the client's workflows of its flow that its scopes
    allow (every workflow of the flow for a client that chose none), and the declared
    ``may_read`` items their syncs read. The owner's page lists only these, so an
    advertiser's owner is not told we read messages."""
    flow_workflows = [w for w in connector.workflows.values() if w.flow == link.flow]
    chosen = [w for w in flow_workflows if w.id in (link.client.workflows or [])] or flow_workflows
    usable = [w for w in chosen if set(w.scopes) <= set(link.scopes or [])] or chosen
    reads = {connector.contract[name].may_read for w in usable for name in w.reads
             if name in connector.contract}
    return usable, reads


def account_names(client: Client, grant: Grant | None = None) -> dict[int, str]:
    """Per grant of ``client`` (or just ``grant``), the platform account it authorised as
    people know it: ``@username`` for a TikTok account, the advertiser accounts' names for an
    advertiser grant; its platform id until the profile is read. One query."""
    accounts = PlatformAccount.objects.for_client(client).order_by("kind", "display_name")
    if grant is not None:
        accounts = accounts.filter(grant=grant)
    names: dict[int, list[str]] = {}
    for grant_id, username, display in accounts.values_list("grant_id", "username",
                                                             "display_name"):
        if username or display:
            names.setdefault(grant_id, []).append(f"@{username}" if username else display)
    grants = [grant] if grant is not None else grants_of(client)
    return {g.pk: ", ".join(names.get(g.pk, ())) or g.account_id for g in grants}
