"""``manage.py check`` for connectors: they may touch only what the policy declares.

- ``privet.E030`` a connector the declaration does not list, or a connector host that is not in
  the declaration's ``integrations.connectors[].hosts``, or an API base URL setting whose host
  is neither (a contract fake on 127.0.0.1 counts only with ``PRIVET_INTEGRATIONS_LOOPBACK``);
- ``privet.E031`` a data contract field mapped to a category or purpose the declaration lacks
  (or one the declared connector does not list), or an object type whose ``may_read`` item the
  declared connector does not have;
- ``privet.E032`` a model of client data (:class:`~.scoping.ClientOwned`) whose ``objects`` is
  not the client-scoped manager, or that does not carry its client;
- ``privet.E033`` a drift between what the declaration promises and what the connector does:
  a declared ``may_read`` item that no contract object read by a workflow belongs to (the page
  would promise data nothing reads, as the seed's "LIVE-related data" did), a contract object
  no workflow reads (a permission without a mechanism), a workflow that reads an object the
  contract lacks, or one whose flow is unknown or whose scopes are not all its flow's;
- ``privet.W030`` (with ``--deploy``) the vault's keys are derived from the secret key
  (``PRIVET_VAULT_KEYS`` unset) outside the demo.

The declaration checked is the one you publish from (``PRIVET_POLICY_FILE``), as for the drift
check, so a connector that outgrows the policy fails before it is deployed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core import checks

from .connectors import Connector, connectors
from .http import LOOPBACK
from .scoping import ClientOwned, ClientScopedManager


def connector_errors(connector: Connector, declaration) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    declared = declaration.connector(connector.id)
    if declared is None:
        return [checks.Error(
            f"Connector {connector.id!r} is installed but the policy declaration does not list it "
            "under integrations.connectors.",
            hint="Declare it (its hosts, what it may read, categories and purposes) or uninstall it.",
            id="privet.E030")]
    hosts = {h.lower() for h in declared.hosts}
    for host in connector.hosts:
        if host.lower() not in hosts:
            errors.append(checks.Error(
                f"Connector {connector.id!r} may call {host}, which the declaration's "
                f"integrations.connectors[{connector.id}].hosts does not list.",
                hint="Declare the host, or remove it from the connector.", id="privet.E030"))
    try:
        base = urlsplit(connector.api_base()).hostname or ""
    except NotImplementedError:
        base = ""
    if base and base not in {h.lower() for h in connector.hosts} and not (
            settings.PRIVET_INTEGRATIONS_LOOPBACK and base in LOOPBACK):
        errors.append(checks.Error(
            f"The API base URL of {connector.id!r} points at {base}, not a declared host.",
            hint="Set it to a declared host (or, for a contract fake on 127.0.0.1, turn on "
                 "PRIVET_INTEGRATIONS_LOOPBACK outside production).", id="privet.E030"))
    categories, purposes = set(declaration.category_ids), {p.id for p in declaration.purposes}
    may_read = {m.id for m in declared.may_read}
    for contract in connector.contract.values():
        if contract.may_read not in may_read:
            errors.append(checks.Error(
                f"{connector.id}: object {contract.name!r} belongs to may_read item "
                f"{contract.may_read!r}, which the declared connector does not list.",
                id="privet.E031"))
        for name, use in contract.fields.items():
            where = f"{connector.id}: {contract.name}.{name}"
            if use.category not in categories or use.category not in declared.categories:
                errors.append(checks.Error(
                    f"{where} is kept as {use.category!r}, a category the declaration (or its "
                    f"connector {connector.id!r}) does not have.", id="privet.E031"))
            if use.purpose not in purposes or use.purpose not in declared.purposes:
                errors.append(checks.Error(
                    f"{where} is kept for {use.purpose!r}, a purpose the declaration (or its "
                    f"connector {connector.id!r}) does not have.", id="privet.E031"))
    return errors + drift_errors(connector, declared)


def drift_errors(connector: Connector, declared) -> list[checks.CheckMessage]:
    """``privet.E033``: the declared ``may_read`` items, the contract and the workflows agree.
    Every declared item is read by a workflow through a contract object, every contract object
    is read by a workflow, and every workflow reads what exists with scopes its flow has."""
    errors: list[checks.CheckMessage] = []
    where = f"integrations.connectors[{connector.id}]"
    read: set[str] = set()
    for workflow in connector.workflows.values():
        for name in workflow.reads:
            if name in connector.contract:
                read.add(name)
            else:
                errors.append(checks.Error(
                    f"{connector.id}: workflow {workflow.id!r} reads {name!r}, which the "
                    "connector's data contract does not have.",
                    hint="Add the object to the contract or take it off the workflow.",
                    id="privet.E033"))
        flow = connector.flows.get(workflow.flow)
        if flow is None:
            errors.append(checks.Error(
                f"{connector.id}: workflow {workflow.id!r} needs the authorisation "
                f"{workflow.flow!r}, which the connector does not have.", id="privet.E033"))
            continue
        beyond = [s for s in workflow.scopes if s not in flow.scopes]
        if beyond:
            errors.append(checks.Error(
                f"{connector.id}: workflow {workflow.id!r} needs {', '.join(beyond)}, beyond "
                f"the scopes of its authorisation {flow.id!r}.", id="privet.E033"))
    for name in connector.contract:
        if name not in read:
            errors.append(checks.Error(
                f"{connector.id}: contract object {name!r} is read by no workflow: a "
                "permission without a mechanism.",
                hint="Sync it in a workflow (Workflow.reads) or remove it from the contract.",
                id="privet.E033"))
    synced = {connector.contract[name].may_read for name in read}
    for item in declared.may_read:
        if item.id not in synced:
            errors.append(checks.Error(
                f"The declaration's {where}.may_read item {item.id!r} is read by no workflow "
                f"of {connector.id!r}: the policy page would promise what Privet does not do.",
                hint="Remove the item from the declaration, or add a contract object and a "
                     "workflow that reads it.", id="privet.E033"))
    return errors


def scoping_errors() -> list[checks.CheckMessage]:
    errors = []
    for model in apps.get_models():
        if not issubclass(model, ClientOwned):
            continue
        if not isinstance(model._meta.managers_map.get("objects"), ClientScopedManager):
            errors.append(checks.Error(
                f"{model._meta.label} holds a client's data but its 'objects' manager is not "
                "client-scoped.", id="privet.E032"))
        field = model._meta.get_field("client")
        if field.null:
            errors.append(checks.Error(f"{model._meta.label}.client must not be nullable.",
                                       id="privet.E032"))
    return errors


@checks.register()
def check_connectors(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from privet.policy.loader import DeclarationError, load_declaration

    try:
        declaration = load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE)
    except DeclarationError:
        return []  # privet.E004 says so
    errors = [e for c in connectors for e in connector_errors(c, declaration)]
    return errors + scoping_errors()


@checks.register(deploy=True)
def check_vault_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A deployment check (``check --deploy``, like Django's own security warnings): every
    command would otherwise print it on an installation that has not set the keys yet."""
    errors = []
    if not settings.PRIVET_VAULT_KEYS and not settings.DEMO:
        errors.append(checks.Warning(
            "PRIVET_VAULT_KEYS is not set: platform tokens are encrypted with a key derived from "
            "the secret key, so rotating the secret key needs the old one in "
            "PRIVET_SECRET_KEY_FALLBACKS until `privet integrations rotate-keys` has run.",
            hint="Set PRIVET_VAULT_KEYS to a Fernet key (newest first).", id="privet.W030"))
    return errors
