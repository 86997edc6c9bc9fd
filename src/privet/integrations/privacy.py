"""What the integrations framework stores about people, and how the retention engine reaches it.

Two declared categories (the default declaration's rules in brackets):

- ``configuration_data``: a grant's platform account ids, its tokens (in the vault) and its
  ledger (30 days after ``contract_end``: :func:`.services.end_contract` copies the date onto
  every grant of the client);
- ``integration_data``: what a grant brought in for its client (30 days after
  ``integration_revoked``: :func:`.services.deauthorise` sets ``revoked_at`` on every record of
  the grant). Each synced model subclasses :class:`.models.IntegrationRecord` and registers with
  :func:`register_integration_data`, which registers its retention target.

Both are the client's data, held by the studio as its processor: legal holds can keep a whole
client's records (``client_field``), and the rights engine routes a request to the client
(:class:`ClientDataSource`, a ``processor`` source: it answers only a request naming the
client and the person's platform ``handle``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy, gettext_noop

from privet.audit.services import append_event
from privet.registry import (
    ActionReport,
    ErasureReport,
    Kept,
    RetentionTarget,
    SourcePlan,
    SubjectQuery,
    refuse_unknown_attributes,
    registry,
)

from .grants import _ledger, integration_models
from .models import (
    AccountDay,
    AuthorisationLink,
    Campaign,
    CampaignDay,
    Client,
    Comment,
    ConnectorApp,
    Conversation,
    Grant,
    GrantEvent,
    IntegrationRecord,
    Message,
    OutboundCall,
    PlatformAccount,
    SyncRun,
    SyncState,
    Video,
    WebhookDelivery,
)
from .selectors import count_by_category, record_fields, record_value

DELIVERY = frozenset({"delivery"})


def _delete(kind: str):
    """``expire`` of a target: delete the batch, one audit event with its size, and for
    integration data a ``purged`` entry in the ledger of each grant it came from."""

    def expire(records: QuerySet, *, actor: Any, run_ref: str) -> int:
        keys = list(records.order_by().values_list("pk", flat=True))
        if not keys:
            return 0
        with transaction.atomic():
            if kind == "integration_data":
                counts: dict[int, int] = {}
                for grant_id in records.model._default_manager.filter(pk__in=keys) \
                        .values_list("grant_id", flat=True):
                    counts[grant_id] = counts.get(grant_id, 0) + 1
                for grant in Grant.all_clients.filter(pk__in=counts).select_related("client"):
                    _ledger(grant, GrantEvent.Kind.PURGED, actor=actor,
                            details={"records": {records.model._meta.label: counts[grant.pk]},
                                     "reason": "retention"})
            removed = records.model._default_manager.filter(pk__in=keys).delete()[1].get(
                records.model._meta.label, 0)
            if removed:
                append_event(actor=actor, action="integrations.expired_records",
                             object_type=records.model._meta.label_lower,
                             details={"records": removed, "kind": kind,
                                      **({"run_ref": run_ref} if run_ref else {})})
        return removed

    return expire


def register_integration_data(model: type[IntegrationRecord], fields: dict[str, str], *,
                              not_personal: dict[str, str] | None = None) -> RetentionTarget:
    """Declare a model of integration data: its personal fields, and its retention target
    (the declared rule for ``integration_data`` after ``integration_revoked``)."""
    registry.personal_data(model, fields, not_personal={
        "synced_at": "when the record was read from the platform",
        "revoked_at": "when the grant that brought it ended",
        **(not_personal or {})})
    target = RetentionTarget(
        name=f"integrations.{model._meta.model_name}", model=model,
        categories=frozenset({"integration_data"}), purposes=DELIVERY,
        triggers={"integration_revoked": "revoked_at"}, client_field="client__slug",
        expire=_delete("integration_data"))
    registry.retention_target(target)
    return target


registry.personal_data(Client, {}, not_personal={
    "name": "a business client's company name, as on its contract with the studio",
    "slug": "the short id the studio gives a client company",
    "workflows": "names of the studio's workflows the client bought (moderation, reporting...)",
})
registry.personal_data(
    Grant,
    {"account_id": "configuration_data", "accounts": "configuration_data",
     "access_token": "configuration_data", "refresh_token": "configuration_data"},
    not_personal={"scopes": "names of platform permissions"},
)
registry.retention_target(RetentionTarget(
    name="integrations.grants", model=Grant, categories=frozenset({"configuration_data"}),
    purposes=DELIVERY, triggers={"contract_end": "contract_ended_at"}, client_field="client__slug",
    expire=_delete("configuration_data")))
registry.personal_data(GrantEvent, {"details": "configuration_data"}, not_personal={
    "actor": "'owner', a system role, or the operator's username as the audit log records it",
    "scopes": "names of platform permissions",
})
registry.no_retention_target(GrantEvent, "part of its grant's record: deleted with it (cascade)")
registry.personal_data(AuthorisationLink, {}, not_personal={
    "public_id": "a random token, naming no one",
    "nonce": "a random token, naming no one",
    "code_verifier": "a random PKCE secret, naming no one",
    "scopes": "names of platform permissions",
})
registry.personal_data(OutboundCall, {}, not_personal={
    "endpoint": "the name of a declared API call; no parameter or body is recorded",
    "error": "an exception's class name only",
})
registry.personal_data(WebhookDelivery, {}, not_personal={
    "event_id": "a hash of the platform's delivery, naming no one",
})
registry.personal_data(ConnectorApp, {}, not_personal={
    "secret": "the studio's own app secret on the platform (in the vault)",
    "configured_by": "the operator's username, as the audit log records it",
})
ACCOUNT = register_integration_data(
    PlatformAccount,
    {"username": "integration_data", "display_name": "integration_data",
     "details": "integration_data", "external_id": "integration_data"},
)

# The synced objects of the TikTok workflows (issue 13). Every field a contract keeps is
# integration data; counts and times are not personal on their own but are kept under the
# same rule with their record.
_COUNTS = "a count the platform reports"
VIDEO = register_integration_data(Video, {
    "external_id": "integration_data", "caption": "integration_data",
    "share_url": "integration_data", "thumbnail_url": "integration_data",
    "created": "integration_data"},
    not_personal={"duration": "a video's length", "likes": _COUNTS, "comments": _COUNTS,
                  "shares": _COUNTS, "views": _COUNTS})
COMMENT = register_integration_data(Comment, {
    "external_id": "integration_data", "video_id": "integration_data",
    "parent_id": "integration_data", "text": "integration_data", "username": "integration_data",
    "display_name": "integration_data", "created": "integration_data",
    "status": "integration_data", "by_account": "integration_data"},
    not_personal={"likes": _COUNTS, "replies": _COUNTS})
CONVERSATION = register_integration_data(Conversation, {
    "external_id": "integration_data", "username": "integration_data",
    "display_name": "integration_data", "updated": "integration_data"})
MESSAGE = register_integration_data(Message, {
    "external_id": "integration_data", "conversation_id": "integration_data",
    "sender": "integration_data", "kind": "integration_data", "text": "integration_data",
    "created": "integration_data", "by_account": "integration_data"})
CAMPAIGN = register_integration_data(Campaign, {
    "external_id": "integration_data", "advertiser_id": "integration_data",
    "name": "integration_data", "objective": "integration_data", "status": "integration_data",
    "budget": "integration_data", "budget_mode": "integration_data",
    "created": "integration_data"})
CAMPAIGN_DAY = register_integration_data(CampaignDay, {
    "external_id": "integration_data", "campaign_id": "integration_data",
    "day": "integration_data", "spend": "integration_data"},
    not_personal={"impressions": _COUNTS, "clicks": _COUNTS, "conversions": _COUNTS,
                  "ctr": "a ratio of counts", "cpc": "a cost per click",
                  "cpm": "a cost per thousand impressions"})
ACCOUNT_DAY = register_integration_data(AccountDay, {
    "external_id": "integration_data", "day": "integration_data"},
    not_personal={"video_views": _COUNTS, "profile_views": _COUNTS, "likes": _COUNTS,
                  "comments": _COUNTS, "shares": _COUNTS, "followers": _COUNTS})
for _model, _why in ((Video, "a video of the client's own account: about the client's account, "
                              "not about a person who might ask"),
                     (Campaign, "an advertising campaign of the client's advertiser account"),
                     (CampaignDay, "a campaign's daily results: figures, no person"),
                     (AccountDay, "the client account's daily figures, no person")):
    registry.not_a_subject_source(_model, _why)
registry.personal_data(SyncState, {}, not_personal={
    "parent": "the platform id of a video, comment or conversation whose list it tracks",
    "progress": "a paging cursor (an offset, a time or a page number)",
    "error": "an exception's class name only",
})
registry.no_retention_target(SyncState, "holds no personal data; deleted with its grant")
registry.personal_data(SyncRun, {}, not_personal={
    "actor": "the operator's username or a system role, as the audit log records it",
    "counts": "numbers of records per object type",
    "error": "an exception's class name only",
})



# --- the rights engine's view of a client's data ----------------------------------------------------
#
# The studio holds integration data as its client's processor (DESIGN.md, "Clients, controller
# and processor"): a rights request reaches it only when it names the client, and the engine
# routes it to the client first (its 'route' step, a summary of counts); only after the client
# decided "carry out" does it export or erase. Integration records name people by their
# platform username, never by email: a request must give the person's ``handle``.
#
# Grants and their ledger are not searched for a person: they hold the configuration of the
# client's own account on the platform (the business account or advertiser account the client
# authorised, its tokens, who authorised what and when), about the client company and its
# account, not about someone who might ask; they go with the client's contract by the declared
# ``configuration_data`` rule, and a grant's ledger entries name only "owner" or a system role.
registry.not_a_subject_source(
    Grant, "the client's own platform account and its tokens: configuration of the client's "
           "account, not data about a person (kept by the configuration_data rule)")
registry.not_a_subject_source(
    GrantEvent, "the ledger of the client's authorisations: who (the account owner, a system "
                "role) authorised what and when; part of its grant's record")

ROUTED_REASON = gettext_noop(
    "Held for our client, who decides about it as the controller: the studio restricts, stops "
    "or corrects this processing only on the client's instructions, and passed your request "
    "to the client.")


def normal_handle(handle: str | None) -> str:
    """A platform username as people write it, compared without its ``@`` and its case."""
    return (handle or "").strip().lstrip("@").strip()


class ClientDataSource:
    """Integration data of one client about one person: the records of every model of
    integration data that declares ``subject_fields``, whose field equals the query's
    ``handle``, for the client the query names (and only then: a processor source)."""

    name = "integrations"
    role = "processor"
    label = gettext_lazy("Data held for a client (integrations)")
    attributes: frozenset[str] = frozenset()
    provided_by_subject = False  # read from the client's platforms, not given by the person

    @property
    def models(self) -> tuple[type[IntegrationRecord], ...]:
        return tuple(m for m in integration_models() if m.subject_fields)

    def _records(self, subject: SubjectQuery) -> tuple[Client | None, list[QuerySet]]:
        """The client the query names, and per model the records naming the person (one
        query to find the client; the querysets are not read)."""
        handle = normal_handle(subject.handle)
        client = Client.objects.filter(slug=subject.client).first() if subject.client else None
        if client is None or not handle:
            return client, []
        found = []
        for model in self.models:
            match = Q()
            for name in model.subject_fields:
                match |= Q(**{f"{name}__iexact": handle})
            found.append(model.objects.for_client(client).filter(match))
        return client, found

    def plan(self, subject: SubjectQuery) -> SourcePlan:
        records, holdings = count_by_category(self._records(subject)[1])
        return SourcePlan(self.name, records, holdings)

    def _count(self, subject: SubjectQuery) -> int:
        return sum(qs.count() for qs in self._records(subject)[1])

    def _routed(self, subject: SubjectQuery) -> tuple[Kept, ...]:
        n = self._count(subject)
        return (Kept(n, ROUTED_REASON),) if n else ()

    def export(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> dict[str, Any]:
        """The records' kept fields (what the connector's contract kept), per model."""
        client, found = self._records(subject)
        exported: dict[str, Any] = {}
        for qs in found:
            fields = record_fields(qs.model, skip=("id", "client", "grant"))
            rows = [{f.name: record_value(r, f) for f in fields} for r in qs.order_by("pk")]
            if rows:
                exported[qs.model._meta.label_lower] = rows
        if client is not None and exported:
            append_event(actor=actor, action="integrations.subject_exported",
                         object_type="integrations.client",
                         object_id=str(client.pk), subject=normal_handle(subject.handle),
                         details={"client": client.slug, "request_ref": request_ref,
                                  "records": sum(len(v) for v in exported.values())})
        return exported

    def rectify(self, subject: SubjectQuery, changes: Mapping[str, str], *, actor: Any,
                request_ref: str) -> ActionReport:
        refuse_unknown_attributes(self, changes)
        return ActionReport(self.name, 0, self._routed(subject))

    def restrict(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ActionReport:
        return ActionReport(self.name, 0, self._routed(subject))

    def lift_restriction(self, subject: SubjectQuery, *, actor: Any,
                         request_ref: str) -> ActionReport:
        return ActionReport(self.name)

    def object(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ActionReport:
        return ActionReport(self.name, 0, self._routed(subject))

    def erase(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ErasureReport:
        """Delete the person's records of the client. The engine calls it only after its
        'route' step and the client's decision to carry the request out."""
        client, found = self._records(subject)
        keys: list[str] = []
        with transaction.atomic():
            for qs in found:
                pks = list(qs.order_by("pk").values_list("pk", flat=True))
                if pks:
                    qs.model.objects.for_client(client).filter(pk__in=pks).delete()
                    keys += [f"{qs.model._meta.label_lower}:{client.slug}:{pk}" for pk in pks]
            if keys:
                append_event(actor=actor, action="integrations.erased",
                             object_type="integrations.client", object_id=str(client.pk),
                             subject=normal_handle(subject.handle),
                             details={"client": client.slug, "request_ref": request_ref,
                                      "records": len(keys)})
        return ErasureReport(self.name, len(keys), (), tuple(keys))

    def erase_keys(self, keys: Iterable[str], *, actor: Any, request_ref: str) -> list[str]:
        """Erase again records a restored backup brought back, by the keys an erasure wrote
        (``<model>:<client id>:<pk>``): each through its own client."""
        erased = []
        models = {m._meta.label_lower: m for m in self.models}
        with transaction.atomic():
            for key in keys:
                label, _sep, rest = key.partition(":")
                slug, _sep, pk = rest.rpartition(":")
                client = Client.objects.filter(slug=slug).first()
                model = models.get(label)
                if client is None or model is None or not pk.isdigit():
                    continue
                if model.objects.for_client(client).filter(pk=int(pk)).delete()[0]:
                    erased.append(key)
                    append_event(actor=actor, action="integrations.erased",
                                 object_type="integrations.client", object_id=str(client.pk),
                                 details={"client": slug, "request_ref": request_ref,
                                          "records": 1})
        return erased

    def is_restricted(self, record: Any) -> bool:
        return False


SOURCE = ClientDataSource()
registry.subject_source(SOURCE)
