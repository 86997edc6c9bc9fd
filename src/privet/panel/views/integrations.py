"""The client integration pages: the clients an operator may see, a new client, one client
(its grants, authorisation links, last calls, the data held, "Disconnect and purge", the end of
its contract, who works on it), one grant and its ledger, and the client's own export.

Every page of a client passes :func:`privet.integrations.selectors.client_for` first: a client
not assigned to an operator is a 404 to them, never a 403. Each view parses input and calls one
service of privet.integrations (which audits the change); a refused input shows the form again
with the reason beside its field and changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from privet.audit.actors import actor_name
from privet.audit.selectors import usernames
from privet.integrations import selectors, services
from privet.integrations.connectors import UnknownConnector, connectors
from privet.integrations.models import Client, Grant, SyncRun
from privet.integrations.sync import unavailable_reason
from privet.integrations.tasks import request_sync
from privet.policy.rendering import policy_context
from privet.policy.selectors import declaration_in_force

from ..access import panel_view
from ..forms import AssignOperatorsForm, ClientForm, DisconnectForm, LinkForm, WorkflowsForm
from ..roles import MANAGE_CLIENTS, WORK_INTEGRATIONS, can

CALLS_SHOWN = 20
# Why a grant ended or its data went, as the ledger records it (an unknown code shows as it is).
REASONS = {
    "revoked_at_platform": gettext_lazy("the token was revoked at the platform"),
    "platform_unreachable": gettext_lazy("the platform was not told (it refused or could not be "
                                         "reached); the authorisation ended here"),
    "operator": gettext_lazy("an operator's decision"),
}
ERROR_DAYS = 7
DATA_CATEGORY = "integration_data"
DATA_TRIGGER = "integration_revoked"


# Why a workflow cannot run on a grant (privet.integrations.sync.unavailable_reason).
UNAVAILABLE = {
    "not_chosen": gettext_lazy("not one of the client's workflows"),
    "other_flow": gettext_lazy("needs another kind of authorisation"),
    "not_live": gettext_lazy("the authorisation has ended"),
}


def unavailable_words(grant: Grant, workflow: Any) -> str:
    """Why ``workflow`` cannot run on ``grant``, in words ("" if it can)."""
    reason = unavailable_reason(grant, workflow)
    if reason == "scope_not_granted":
        missing = sorted(set(workflow.scopes) - set(grant.scopes or []))
        return _("the owner did not grant: %(scopes)s") % {"scopes": ", ".join(missing)}
    return str(UNAVAILABLE.get(reason, reason))


def workflow_rows(client: Client, grant: Grant, runs: dict) -> list[dict[str, Any]]:
    """The client's workflows of ``grant``'s authorisation: available or why not, and the
    last sync of each."""
    try:
        connector = connectors.get(grant.connector)
    except UnknownConnector:
        return []
    return [{"workflow": w, "label": _(w.label), "unavailable": unavailable_words(grant, w),
             "run": runs.get((grant.pk, w.id)),
             "records": sum(runs[(grant.pk, w.id)].counts.values()) if (grant.pk, w.id) in runs else 0}
            for w in connector.workflows.values()
            if w.flow == grant.flow and w.id in (client.workflows or [])]


def reason_words(code: str) -> str:
    return str(REASONS.get(code, code))


def labels(connector_id: str, flow_id: str = "") -> dict[str, str]:
    """A connector and one of its authorisations, in words (the code itself if unknown)."""
    try:
        connector = connectors.get(connector_id)
    except UnknownConnector:
        return {"connector": connector_id, "flow": flow_id}
    flow = connector.flows.get(flow_id)
    return {"connector": _(connector.label), "flow": _(flow.label) if flow else flow_id}


def data_rule() -> dict[str, str] | None:
    """The declared rule that deletes integration data after its authorisation ends, in words
    (the declaration in force), or ``None`` if it declares none."""
    declaration = declaration_in_force()
    if declaration is None:
        return None
    shown = policy_context(declaration, get_language())["retention"]
    for rule, words in zip(declaration.retention, shown, strict=True):
        if rule.category == DATA_CATEGORY and rule.after == DATA_TRIGGER:
            return words
    return None


def category_labels() -> dict[str, str]:
    declaration = declaration_in_force()
    if declaration is None:
        return {}
    lang = get_language() if get_language() in ("en", "pl") else "en"
    return {c.id: c.label.get(lang) for c in declaration.categories}


# --- the list and a new client -----------------------------------------------------------------

@panel_view(WORK_INTEGRATIONS)
def client_list(request: HttpRequest) -> HttpResponse:
    rows = [selectors.client_summary(c, days=ERROR_DAYS)
            for c in selectors.clients_visible_to(request.user)]
    return render(request, "panel/clients.html", {
        "section": "clients", "rows": rows, "error_days": ERROR_DAYS,
        "may_manage": can(request.user, MANAGE_CLIENTS),
    })


@panel_view(MANAGE_CLIENTS)
def client_new(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                client = services.create_client(name=data["name"], slug=data["slug"],
                                                language=data["language"], actor=request.user)
                services.assign_operators(client=client, users=data["operators"],
                                          actor=request.user)
        except services.InvalidClient as exc:
            form.add_error("slug", _("Nothing was stored: %(reason)s") % {"reason": exc})
        else:
            messages.success(request, _("Client %(name)s created.") % {"name": client.name})
            return redirect("panel:client", slug=client.slug)
    form.aria_setup()
    return render(request, "panel/client_new.html", {"section": "clients", "form": form},
                  status=400 if form.is_bound else 200)


# --- one client ------------------------------------------------------------------------------------

def _grant_rows(client: Client) -> list[dict[str, Any]]:
    granted = selectors.granted_entries(client)
    sent_by = {link.grant_id: link.created_by for link in selectors.links_of(client)
               .filter(grant__isnull=False).select_related("created_by").order_by("created_at")}
    runs = selectors.last_runs(client)
    accounts = selectors.account_names(client)
    return [{"grant": g, **labels(g.connector, g.flow), "granted": granted.get(g.pk),
             "account": accounts.get(g.pk, g.account_id),
             "sent_by": sent_by.get(g.pk), "workflows": workflow_rows(client, g, runs),
             "messages": "message.list.read" in (g.scopes or []),
             "reports": g.flow == "advertiser" or "user.insights" in (g.scopes or []),
             **_moderation(client, g)}
            for g in selectors.grants_of(client)]


MODERATION = "moderation"


def moderation_reason(grant: Grant) -> str:
    """Why comment moderation is unavailable on ``grant``, in words ("" if it is available)."""
    try:
        workflow = connectors.get(grant.connector).workflows.get(MODERATION)
    except UnknownConnector:
        workflow = None
    if workflow is None:
        return _("this platform has no comment moderation")
    return unavailable_words(grant, workflow)


def _moderation(client: Client, grant: Grant) -> dict[str, Any]:
    """For a business account's grant of a client that chose comment moderation: whether its
    page can act (``moderation``), or why not (``moderation_unavailable``)."""
    if grant.flow != "account" or MODERATION not in (client.workflows or []):
        return {}
    reason = moderation_reason(grant)
    return {"moderation_unavailable": reason} if reason else {"moderation": True}


def _client_page(request: HttpRequest, client: Client, *, link_form: LinkForm | None = None,
                 disconnect_forms: dict[int, DisconnectForm] | None = None,
                 assign_form: AssignOperatorsForm | None = None,
                 workflows_form: WorkflowsForm | None = None, status: int = 200,
                 new_link: Any = None) -> HttpResponse:
    link_form = link_form or LinkForm(client=client)
    link_form.aria_setup()
    may_manage = can(request.user, MANAGE_CLIENTS)
    if may_manage and assign_form is None:
        assign_form = AssignOperatorsForm(initial={"operators": list(client.operators.all())})
    if assign_form is not None:
        assign_form.aria_setup()
    if may_manage and workflows_form is None:
        workflows_form = WorkflowsForm(initial={"workflows": list(client.workflows or [])})
    if workflows_form is not None:
        workflows_form.aria_setup()
    known = services.known_workflows()
    disconnect_forms = disconnect_forms or {}
    grants = _grant_rows(client)
    for row in grants:
        if row["grant"].live:
            # No choice made for the operator: "Disconnect and purge" must not quietly keep
            # the data because a default was left ticked.
            form = disconnect_forms.get(row["grant"].pk) or DisconnectForm(
                prefix=f"g{row['grant'].pk}")
            form.aria_setup()
            row["disconnect_form"] = form
    calls = selectors.calls_of(client)
    names = category_labels()
    # A sync runs on the worker: while one does, the page reloads itself (a meta refresh:
    # no script under the CSP) so its result shows without the operator reloading.
    syncing = any(w["run"] is not None and w["run"].status == SyncRun.Status.RUNNING
                  for row in grants for w in row.get("workflows", ()))
    return render(request, "panel/client_detail.html", {
        "section": "clients", "client": client, "grants": grants, "syncing": syncing,
        "links": [{"link": link, "url": services.link_url(link), **labels(link.connector, link.flow)}
                  for link in selectors.pending_links(client)],
        "new_link": new_link and {"link": new_link, "url": services.link_url(new_link),
                                  **labels(new_link.connector, new_link.flow)},
        "link_form": link_form,
        "calls": list(calls[:CALLS_SHOWN]),
        "errors": list(selectors.failed_calls(calls)[:CALLS_SHOWN]),
        "calls_shown": CALLS_SHOWN,
        "holdings": [{"category": names.get(c, c), "records": n}
                     for c, n in sorted(selectors.holdings_of(client).items())],
        "rule": data_rule(), "may_manage": may_manage, "assign_form": assign_form,
        "operators": list(client.operators.order_by("username")),
        "workflows_form": workflows_form,
        "workflows": [{"label": _(w.label), "description": _(w.description) if w.description else "",
                       "on": w.id in (client.workflows or [])} for w in known.values()],
    }, status=status)


@panel_view(WORK_INTEGRATIONS)
def client_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _client_page(request, selectors.client_for(request.user, slug))


@require_POST
@panel_view(WORK_INTEGRATIONS)
def link_create(request: HttpRequest, slug: str) -> HttpResponse:
    client = selectors.client_for(request.user, slug)
    form = LinkForm(request.POST, client=client)
    if form.is_valid():
        data = form.cleaned_data
        try:
            link = services.create_link(client=client, connector_id=data["connector_id"],
                                        flow_id=data["flow_id"], scopes=data["scopes"],
                                        language=data["language"], actor=request.user)
        except services.InvalidLink as exc:
            form.add_error("scopes", _("Nothing was stored: %(reason)s") % {"reason": exc})
        else:
            messages.success(request, _("Authorisation link created: copy it and send it to the "
                                        "client's account owner."))
            return _client_page(request, client, new_link=link)
    return _client_page(request, client, link_form=form, status=400)


@require_POST
@panel_view(WORK_INTEGRATIONS)
def link_cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    client = selectors.client_for(request.user, slug)
    link = selectors.links_of(client).filter(pk=pk).first()
    if link is None:
        raise Http404("No such link.")
    try:
        services.cancel_link(link=link, actor=request.user)
    except services.InvalidLink:
        messages.error(request, _("This link was already used or cancelled; nothing was changed."))
    else:
        messages.success(request, _("Link cancelled: it no longer opens."))
    return redirect("panel:client", slug=client.slug)


@require_POST
@panel_view(WORK_INTEGRATIONS)
def grant_disconnect(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    client = selectors.client_for(request.user, slug)
    grant = selectors.grant_of(client, pk)
    if not grant.live:
        messages.error(request, _("This authorisation has already ended; nothing was changed."))
        return redirect("panel:client", slug=client.slug)
    form = DisconnectForm(request.POST, prefix=f"g{grant.pk}")
    if not form.is_valid():
        return _client_page(request, client, disconnect_forms={grant.pk: form}, status=400)
    purge_now = form.cleaned_data["purge"] == DisconnectForm.PURGE_NOW
    grant = services.disconnect(grant=grant, actor=request.user, purge_now=purge_now)
    if purge_now:
        messages.success(request, _("%(grant)s disconnected and its data purged.") % {"grant": grant})
    else:
        messages.success(request, _("%(grant)s disconnected: its data is deleted by the declared "
                                    "rule.") % {"grant": grant})
    return redirect("panel:client", slug=client.slug)


@require_POST
@panel_view(WORK_INTEGRATIONS)
def contract_end(request: HttpRequest, slug: str) -> HttpResponse:
    client = selectors.client_for(request.user, slug)  # another client's: 404 before the role
    if not can(request.user, MANAGE_CLIENTS):
        return render(request, "panel/forbidden.html", status=403)
    if client.contract_ended_at:
        messages.error(request, _("The contract has already ended; nothing was changed."))
    else:
        services.end_contract(client=client, actor=request.user)
        messages.success(request, _("Contract ended: its live authorisations were disconnected, "
                                    "and the connection data expires by the declared rule "
                                    "counted from today."))
    return redirect("panel:client", slug=client.slug)


@require_POST
@panel_view(WORK_INTEGRATIONS)
def client_operators(request: HttpRequest, slug: str) -> HttpResponse:
    # The client first: another client's address is a 404 before the role is even asked, so a
    # 403 never confirms that a client exists.
    client = selectors.client_for(request.user, slug)
    if not can(request.user, MANAGE_CLIENTS):
        return render(request, "panel/forbidden.html", status=403)
    form = AssignOperatorsForm(request.POST)
    if not form.is_valid():
        return _client_page(request, client, assign_form=form, status=400)
    services.assign_operators(client=client, users=form.cleaned_data["operators"], actor=request.user)
    messages.success(request, _("Operators assigned."))
    return redirect("panel:client", slug=client.slug)


@require_POST
@panel_view(WORK_INTEGRATIONS)
def client_workflows(request: HttpRequest, slug: str) -> HttpResponse:
    client = selectors.client_for(request.user, slug)  # another client's: 404 before the role
    if not can(request.user, MANAGE_CLIENTS):
        return render(request, "panel/forbidden.html", status=403)
    form = WorkflowsForm(request.POST)
    if not form.is_valid():
        return _client_page(request, client, workflows_form=form, status=400)
    services.set_workflows(client=client, workflows=form.cleaned_data["workflows"],
                           actor=request.user)
    messages.success(request, _("Workflows saved: new links request what they need, and only "
                                "they are synced."))
    return redirect("panel:client", slug=client.slug)


@require_POST
@panel_view(WORK_INTEGRATIONS)
def grant_sync(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    client = selectors.client_for(request.user, slug)
    grant = selectors.grant_of(client, pk)
    queued = request_sync(grant, request.user)
    if queued:
        known = services.known_workflows()
        messages.success(request, _("Sync requested: %(workflows)s.") % {
            "workflows": ", ".join(_(known[w].label) for w in queued)})
    else:
        messages.error(request, _("Nothing to sync: none of the client's workflows can run on "
                                  "this authorisation."))
    return redirect("panel:client", slug=client.slug)


# --- one grant, and the export ------------------------------------------------------------------------

@panel_view(WORK_INTEGRATIONS)
def grant_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    client = selectors.client_for(request.user, slug)
    grant: Grant = selectors.grant_of(client, pk)
    ledger = list(selectors.ledger_of(client, grant))
    names = usernames({e.actor for e in ledger})
    return render(request, "panel/client_grant.html", {
        "section": "clients", "client": client, "grant": grant, **labels(grant.connector, grant.flow),
        "ledger": [{"entry": e, "by": actor_name(e.actor, names),
                    "reason": reason_words(e.details.get("reason", ""))} for e in ledger],
    })


@panel_view(WORK_INTEGRATIONS)
def client_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    client = selectors.client_for(request.user, slug)
    content = services.export_integration_data(client=client, fmt=fmt, actor=request.user)
    kind = "text/csv" if fmt == "csv" else "application/json"
    response = HttpResponse(content, content_type=f"{kind}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{client.slug}-integration-data.{fmt}"'
    return response
