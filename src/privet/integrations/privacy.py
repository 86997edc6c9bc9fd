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
client's records (``client_field``), and the rights engine routes a request to the client.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from privet.audit.services import append_event
from privet.registry import RetentionTarget, registry

from .models import (
    AuthorisationLink,
    Client,
    ConnectorApp,
    Grant,
    GrantEvent,
    IntegrationRecord,
    OutboundCall,
    PlatformAccount,
    WebhookDelivery,
)

DELIVERY = frozenset({"delivery"})


def _delete(kind: str):
    """``expire`` of a target: delete the batch, one audit event with its size."""

    def expire(records: QuerySet, *, actor: Any, run_ref: str) -> int:
        keys = list(records.order_by().values_list("pk", flat=True))
        if not keys:
            return 0
        with transaction.atomic():
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

# Until the processor source lands (the rights engine's view of a client's data, routed to the
# client): replaced in this next commit.
for _model in (Grant, GrantEvent, PlatformAccount):
    registry.not_a_subject_source(_model, "the integrations subject source is being written")
