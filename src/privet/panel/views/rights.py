"""The rights request pages: the list by due date, logging a request that came by email or
letter, one request with its deadline, plan, history and the operator's decisions, and the
"pause processing" switch. Each view parses input and calls one service or selector of
privet.rights; a refused action shows the page again with the reason beside its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from privet.errors import PrivetError
from privet.policy.selectors import declaration_in_force
from privet.rights import deadlines, engine
from privet.rights import selectors as rights_selectors
from privet.rights import services as rights_services
from privet.rights.labels import decision_label, recipient_label
from privet.rights.models import ExportArchive, Right, RightsRequest, Status

from ..access import panel_view
from ..forms import (
    RIGHTS_ANY,
    RIGHTS_CLOSED,
    AskProofForm,
    AssignForm,
    EmptyForm,
    ExtendForm,
    LogRightsRequestForm,
    PauseForm,
    ProofReceivedForm,
    RectifyForm,
    RefuseForm,
    RightsFilterForm,
    WithdrawForm,
)
from ..rights_display import plan_tables, result_tables
from ..roles import PAUSE_RIGHTS, WORK_RIGHTS, can

PAGE_SIZE = 25
# Statuses in which the person's identity is proven and the stores may be searched for them.
PLANNED = (Status.VERIFIED, Status.IN_PROGRESS, Status.AWAITING_CONTROLLER, Status.FAILED)


def _pause_context(request: HttpRequest) -> dict[str, Any]:
    """What every rights page shows of the pause switch (the banner), and who may flip it."""
    row = rights_services.settings_row()
    return {"section": "rights", "paused": row if row.paused_at else None,
            "may_pause": can(request.user, PAUSE_RIGHTS)}


@panel_view(WORK_RIGHTS)
def rights_list(request: HttpRequest, pause_form: PauseForm | None = None,
                status: int = 200) -> HttpResponse:
    form = RightsFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_bound:
        form.is_valid()  # the valid filters apply; a value not among the choices is ignored
        filters = form.cleaned_data
    ignored = [str(form.fields[name].label) for name in form.errors]
    chosen = filters.get("status") or ""
    found = rights_selectors.search_requests(
        status={"": rights_selectors.OPEN, RIGHTS_CLOSED: rights_selectors.CLOSED,
                RIGHTS_ANY: ""}.get(chosen, chosen),
        right=filters.get("right") or "",
        assigned_to=request.user.pk if filters.get("mine") else None,
        overdue=bool(filters.get("overdue")), due_soon=bool(filters.get("soon")))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = rights_selectors.status_counts()
    pause_form = pause_form or PauseForm()
    pause_form.aria_setup()
    return render(request, "panel/rights_list.html", {
        **_pause_context(request), "form": form, "page": page, "query": query.urlencode(),
        "filtered": any(filters.values()) or bool(ignored), "ignored": ignored,
        "today": deadlines.local_today(),
        "status_counts": [(Status(s), counts[s]) for s in Status.values],
        "pause_form": pause_form,
    }, status=status)


@panel_view(WORK_RIGHTS)
def rights_new(request: HttpRequest) -> HttpResponse:
    """Log a request that came by email or letter; it enters the portal's workflow."""
    form = LogRightsRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            logged = rights_services.log_request(
                right=data["right"], email=data["email"], phone=data["phone"],
                details=data["details"], language=data["language"], channel=data["channel"],
                received_at=form.received_at(), verified=data["verified"],
                verification_note=data["verification_note"] if data["verified"] else "",
                client=data["client"], handle=data["handle"], actor=request.user)
        except PrivetError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Request %(ref)s logged.") % {"ref": logged.reference})
            return redirect("panel:rights-request", pk=logged.pk)
    form.aria_setup()
    return render(request, "panel/rights_new.html", {**_pause_context(request), "form": form},
                  status=400 if form.is_bound else 200)


def _extension_open(rr: RightsRequest, today) -> bool:
    return (rr.is_open() and rr.extension_months < deadlines.MAX_EXTENSION_MONTHS
            and today <= deadlines.first_month_end(rr.received_at))


def _forms(rr: RightsRequest, bound: tuple[str, forms.Form] | None) -> dict[str, forms.Form]:
    """Each action's form, the one just sent (``bound``) with its errors."""
    made: dict[str, forms.Form] = {
        "assign": AssignForm(initial={"operator": rr.assigned_to_id}),
        "extend": ExtendForm(), "ask_proof": AskProofForm(), "proof_received": ProofReceivedForm(),
        "refuse": RefuseForm(), "withdraw": WithdrawForm(), "reprocess": EmptyForm(),
        "start": (RectifyForm(attributes=engine.correctable_attributes(rr))
                  if rr.right == Right.RECTIFICATION else EmptyForm()),
    }
    if bound:
        made[bound[0]] = bound[1]
    for form in made.values():
        form.aria_setup()
    return made


def _detail(request: HttpRequest, rr: RightsRequest, *,
            bound: tuple[str, forms.Form] | None = None, status: int = 200) -> HttpResponse:
    today = deadlines.local_today()
    declaration = declaration_in_force()
    plan = engine.plan_request(rr) if rr.status in PLANNED else None
    allowed = rr.allowed_transitions()
    may = {
        "assign": rr.is_open(), "extend": _extension_open(rr, today),
        "ask_proof": Status.AWAITING_PERSON in allowed,
        "proof_received": rr.status == Status.AWAITING_PERSON,
        "refuse": Status.REFUSED in allowed, "withdraw": Status.WITHDRAWN in allowed,
        "reprocess": rr.status == Status.FAILED,
        "start": rr.status == Status.VERIFIED,
    }
    if bound:  # a refused action keeps its form on the page, with the reason, even if the
        may[bound[0]] = True  # request moved on meanwhile
    archive = ExportArchive.objects.filter(request=rr).first()
    controller = (rr.result or {}).get("controller") or {}
    return render(request, "panel/rights_detail.html", {
        **_pause_context(request), "rr": rr, "today": today,
        "days_left": deadlines.days_left(rr.due_on, today),
        "overdue": rr.is_overdue(today),
        "extension_open": _extension_open(rr, today),
        "first_month_end": deadlines.first_month_end(rr.received_at),
        "plan": plan, "plan_tables": plan_tables(declaration, plan.sources) if plan else [],
        "result_tables": result_tables(declaration, rr.result or {}),
        "recipients": [recipient_label(declaration, r)
                       for r in (rr.result or {}).get("recipients_notified") or []],
        "controller": controller,
        "controller_decision": decision_label(str(controller.get("decision") or "")),
        "archive": archive,
        "history": rights_selectors.request_history(rr),
        "mail": list(rr.mail.order_by("queued_at", "pk")),
        "forms": _forms(rr, bound),
        "can": may,
    }, status=status)


@panel_view(WORK_RIGHTS)
def rights_request(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(RightsRequest.objects.select_related(
        "assigned_to", "created_by"), pk=pk))


# Each action: what it does with its valid form, and what the page says after it.
Action = Callable[[RightsRequest, forms.Form, Any], str]


def _assign(rr: RightsRequest, form: forms.Form, actor: Any) -> str:
    rights_services.assign(request=rr, operator=form.cleaned_data["operator"], actor=actor)
    return _("%(ref)s assigned.")


def _extend(rr: RightsRequest, form: forms.Form, actor: Any) -> str:
    rights_services.extend(request=rr, months=form.cleaned_data["months"],
                           reason=form.cleaned_data["reason"], actor=actor)
    return _("The deadline of %(ref)s is extended; the person is told why.")


def _ask_proof(rr: RightsRequest, form: forms.Form, actor: Any) -> str:
    rights_services.ask_for_proof(request=rr, what=form.cleaned_data["what"], actor=actor)
    return _("The person is asked for more proof; the deadline of %(ref)s waits meanwhile.")


def _proof_received(rr: RightsRequest, form: forms.Form, actor: Any) -> str:
    rights_services.proof_received(request=rr, note=form.cleaned_data["note"], actor=actor)
    return _("Proof recorded; %(ref)s is verified again.")


def _refuse(rr: RightsRequest, form: forms.Form, actor: Any) -> str:
    rights_services.refuse(request=rr, ground=form.cleaned_data["ground"],
                           reason=form.cleaned_data["reason"], actor=actor)
    return _("%(ref)s refused; the person is told why.")


def _withdraw(rr: RightsRequest, form: forms.Form, actor: Any) -> str:
    rights_services.withdraw(request=rr, reason=form.cleaned_data["reason"], actor=actor)
    return _("The withdrawal of %(ref)s is recorded.")


def _reprocess(rr: RightsRequest, form: forms.Form, actor: Any) -> str:
    engine.reprocess(request=rr, actor=actor)
    return _("%(ref)s will be processed again from the start.")


def _start(rr: RightsRequest, form: forms.Form, actor: Any) -> str:
    changes = form.changes() if isinstance(form, RectifyForm) else None
    engine.start(request=rr, actor=actor, changes=changes)
    return _("Work on %(ref)s started: the worker carries it out.")


ACTIONS: dict[str, Action] = {
    "assign": _assign, "extend": _extend, "ask_proof": _ask_proof,
    "proof_received": _proof_received, "refuse": _refuse, "withdraw": _withdraw,
    "reprocess": _reprocess, "start": _start,
}


def _bound_form(rr: RightsRequest, action: str, data) -> forms.Form:
    if action == "start" and rr.right == Right.RECTIFICATION:
        return RectifyForm(data, attributes=engine.correctable_attributes(rr))
    return {"assign": AssignForm, "extend": ExtendForm, "ask_proof": AskProofForm,
            "proof_received": ProofReceivedForm, "refuse": RefuseForm,
            "withdraw": WithdrawForm}.get(action, EmptyForm)(data)


@require_POST
@panel_view(WORK_RIGHTS)
def rights_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One of the operator's decisions; refused input or a refused change shows the page again
    with the reason in that action's form, and changes nothing."""
    if action not in ACTIONS:
        raise Http404("No such action.")
    rr = get_object_or_404(RightsRequest.objects.select_related("assigned_to", "created_by"),
                           pk=pk)
    form = _bound_form(rr, action, request.POST)
    if not form.is_valid():
        return _detail(request, rr, bound=(action, form), status=400)
    try:
        done = ACTIONS[action](rr, form, request.user)
    except PrivetError as exc:
        form.add_error(None, _("Nothing was changed: %(reason)s") % {"reason": exc})
        return _detail(request, rr, bound=(action, form), status=exc.status)
    messages.success(request, done % {"ref": rr.reference})
    return redirect("panel:rights-request", pk=pk)


@require_POST
@panel_view(PAUSE_RIGHTS)
def rights_pause(request: HttpRequest) -> HttpResponse:
    form = PauseForm(request.POST)
    if not form.is_valid():
        return rights_list(request, pause_form=form, status=400)
    engine.pause_processing(reason=form.cleaned_data["reason"], actor=request.user)
    messages.success(request, _("Processing of rights requests is paused."))
    return redirect("panel:rights")


@require_POST
@panel_view(PAUSE_RIGHTS)
def rights_resume(request: HttpRequest) -> HttpResponse:
    engine.resume_processing(actor=request.user)
    messages.success(request, _("Processing of rights requests is resumed."))
    return redirect("panel:rights")
