"""The retention pages: the declaration's rules and the stores that enforce them, the sweeper's
runs, what expires in the next 30 days, a dry run, and legal holds (place, look at, lift).
Each view parses input and calls one service or selector of privet.retention; a refused hold
shows the form again with the reason beside it and stores nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from privet.audit.services import actor_label
from privet.enquiries.models import Enquiry
from privet.policy.rendering import policy_context
from privet.policy.schema import Declaration
from privet.policy.selectors import declaration_in_force
from privet.registry import registry
from privet.retention import engine, holds, tasks
from privet.retention import selectors as retention_selectors
from privet.retention.models import HoldScope, LegalHold, RetentionRun

from ..access import panel_view
from ..forms import HOLDS_ACTIVE, HoldFilterForm, HoldForm, LiftHoldForm
from ..roles import HOLD_RECORDS, can

PAGE_SIZE = 25
RUNS_SHOWN = 10
UPCOMING_DAYS = 30
METHODS = {"delete": gettext_lazy("deleted"), "anonymise": gettext_lazy("anonymised")}


def store(name: str) -> dict[str, str]:
    """A store (retention target) as the pages show it: its records' kind in words and its name
    (three stores may hold enquiries: without an offer, with one, projects)."""
    target = registry.targets.get(name)
    label = capfirst(target.model._meta.verbose_name_plural) if target else name
    return {"name": name, "label": label,
            "method": METHODS.get(target.method, target.method) if target else ""}


def _stores() -> list[tuple[str, str]]:
    return [(name, f"{store(name)['label']} ({name})") for name in sorted(registry.targets)]


def _rule_words(declaration: Declaration | None) -> dict[str, dict[str, str]]:
    """Each declared rule by its run-record name (``category/purpose/after``), in words, as
    the policy page says it."""
    if declaration is None:
        return {}
    shown = policy_context(declaration, get_language())["retention"]
    return {engine.rule_name(r): s for r, s in zip(declaration.retention, shown, strict=True)}


def _rules_table(declaration: Declaration) -> list[dict[str, Any]]:
    """The declaration's retention table, each rule with the stores that enforce it and their
    method, or the registered reason why none does."""
    shown = policy_context(declaration, get_language())["retention"]
    reasons = {(r.category, r.purpose, r.trigger): r.reason for r in registry.rules_without_target}
    return [{**s, "name": engine.rule_name(r),
             "stores": [store(t.name) for t in sorted(registry.targets_for(
                 category=r.category, purpose=r.purpose, trigger=r.after), key=lambda t: t.name)],
             "reason": reasons.get((r.category, r.purpose, r.after), "")}
            for r, s in zip(declaration.retention, shown, strict=True)]


def duration(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    if seconds < 3600:
        return _("%(m)d min %(s)d s") % {"m": seconds // 60, "s": seconds % 60}
    return _("%(h)d h %(m)d min") % {"h": seconds // 3600, "m": seconds % 3600 // 60}


def _run_row(run: RetentionRun) -> dict[str, Any]:
    return {"run": run, "duration": duration(run.duration), "expired": run.total("expired"),
            "held": run.total("held"), "deferred": run.total("deferred"),
            "errors": len(run.errors)}


def _plans(plans: list[engine.TargetPlan], words: dict[str, dict[str, str]]) -> list[dict]:
    return [{"plan": p, "store": store(p.target),
             "rules": [(words.get(r, {"category": r}), n) for r, n in sorted(p.by_rule.items())]}
            for p in plans]


@panel_view()
def retention(request: HttpRequest) -> HttpResponse:
    declaration = declaration_in_force()
    try:
        upcoming = engine.upcoming(days=UPCOMING_DAYS)
    except engine.NoPolicy:
        upcoming = None
    return render(request, "panel/retention.html", {
        "section": "retention", "declaration": declaration,
        "rules": _rules_table(declaration) if declaration else [],
        "runs": [_run_row(r) for r in retention_selectors.recent_runs(RUNS_SHOWN)],
        "upcoming": [{"plan": p, "store": store(p.target)} for p in upcoming or []],
        "upcoming_days": UPCOMING_DAYS, "no_policy": upcoming is None,
        "active_holds": holds.active_holds().count(),
        "may_hold": can(request.user, HOLD_RECORDS),
    })


@panel_view()
def retention_plan(request: HttpRequest) -> HttpResponse:
    """The dry run: what a run now would expire, per store and rule, and what holds keep."""
    declaration = declaration_in_force()
    try:
        plans = engine.plan()
    except engine.NoPolicy:
        plans = None
    return render(request, "panel/retention_plan.html", {
        "section": "retention", "no_policy": plans is None,
        "plans": _plans(plans or [], _rule_words(declaration)),
        "may_hold": can(request.user, HOLD_RECORDS),
    })


@require_POST
@panel_view(HOLD_RECORDS)
def retention_run_now(request: HttpRequest) -> HttpResponse:
    """Queue a run on the worker (the run audits itself, batch by batch)."""
    tasks.sweep.enqueue(actor=actor_label(request.user))
    messages.success(request, _("A retention run is queued: the worker carries it out. Its "
                                "record appears below when it starts."))
    return redirect("panel:retention")


@panel_view()
def retention_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(RetentionRun, pk=pk)
    words = _rule_words(declaration_in_force())
    per_rule: dict[str, int] = {}
    for counts in run.counts.values():
        for rule, n in counts.get("rules", {}).items():
            per_rule[rule] = per_rule.get(rule, 0) + n
    return render(request, "panel/retention_run.html", {
        "section": "retention", **_run_row(run),
        "stores": [{"store": store(name), **counts} for name, counts in sorted(run.counts.items())],
        "rules": [(words.get(rule, {"category": rule}), n) for rule, n in sorted(per_rule.items())],
        "filter": [words.get(r, {"category": r}) for r in run.rules],
        "error_rows": [{"store": store(e.get("target", "")) if e.get("target") else None,
                        "error": e.get("error", "")} for e in run.errors],
    })


# --- holds ----------------------------------------------------------------------------------

@panel_view()
def hold_list(request: HttpRequest) -> HttpResponse:
    form = HoldFilterForm(request.GET or None)
    state = HOLDS_ACTIVE
    if form.is_bound and form.is_valid():
        state = form.cleaned_data["state"] or HOLDS_ACTIVE
    page = Paginator(retention_selectors.search_holds(state=state), PAGE_SIZE).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "panel/retention_holds.html", {
        "section": "retention", "form": form, "page": page, "query": query.urlencode(),
        "state": state, "may_hold": can(request.user, HOLD_RECORDS),
        "stores": {name: store(name) for name in registry.targets},
    })


def _initial(request: HttpRequest) -> dict[str, Any]:
    """A form prefilled from a link: ``?store=...&record=...``, or ``?enquiry=<pk>`` from an
    enquiry's page (the record in its store, and its person by email, kept out of the URL)."""
    initial: dict[str, Any] = {"scope": HoldScope.RECORD}
    if request.GET.get("store") in registry.targets:
        initial["target"] = request.GET["store"]
    if request.GET.get("record", "").isdecimal():
        initial["record_key"] = request.GET["record"]
    if request.GET.get("enquiry", "").isdecimal():
        enquiry = Enquiry.objects.filter(pk=request.GET["enquiry"]).first()
        if enquiry is not None:
            initial.update(target=retention_selectors.target_of(enquiry) or "",
                           record_key=str(enquiry.pk), email=enquiry.email)
    if request.GET.get("scope") in HoldScope.values:
        initial["scope"] = request.GET["scope"]
    return initial


@panel_view(HOLD_RECORDS)
def hold_new(request: HttpRequest) -> HttpResponse:
    form = HoldForm(request.POST or None, stores=_stores(), initial=_initial(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hold = holds.place_hold(
                scope=data["scope"], reason=data["reason"], note=data["note"],
                email=data["email"], phone=data["phone"], visitor_id=data["visitor_id"],
                client=data["client"], target=data["target"], record_key=data["record_key"],
                ends_on=data["ends_on"], actor=request.user)
        except holds.InvalidHold as exc:
            field = "record_key" if data["scope"] == HoldScope.RECORD else None
            form.add_error(field, _("Nothing was stored: %(reason)s") % {"reason": exc})
        else:
            messages.success(request, _("%(ref)s placed: what it holds is kept until it is "
                                        "lifted or ends.") % {"ref": hold.reference})
            return redirect("panel:retention-hold", pk=hold.pk)
    form.aria_setup()
    return render(request, "panel/retention_hold_new.html", {
        "section": "retention", "form": form,
    }, status=400 if form.is_bound else 200)


def _hold_page(request: HttpRequest, hold: LegalHold, *, lift_form: LiftHoldForm | None = None,
               status: int = 200) -> HttpResponse:
    lift_form = lift_form or LiftHoldForm()
    lift_form.aria_setup()
    return render(request, "panel/retention_hold.html", {
        "section": "retention", "hold": hold, "active": hold.is_active(),
        "kept": [{"store": store(k.target), "records": k.records}
                 for k in retention_selectors.records_kept_by(hold)],
        "hold_store": store(hold.target) if hold.target else None,
        "lift_form": lift_form, "may_hold": can(request.user, HOLD_RECORDS),
    }, status=status)


@panel_view()
def hold_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _hold_page(request, get_object_or_404(
        LegalHold.objects.select_related("placed_by", "lifted_by"), pk=pk))


@require_POST
@panel_view(HOLD_RECORDS)
def hold_lift(request: HttpRequest, pk: int) -> HttpResponse:
    hold = get_object_or_404(LegalHold.objects.select_related("placed_by", "lifted_by"), pk=pk)
    form = LiftHoldForm(request.POST)
    if not form.is_valid():
        return _hold_page(request, hold, lift_form=form, status=400)
    try:
        holds.lift_hold(hold=hold, actor=request.user, note=form.cleaned_data["note"])
    except holds.HoldNotActive:
        messages.error(request, _("%(ref)s has already ended; nothing was changed.")
                       % {"ref": hold.reference})
        return redirect("panel:retention-hold", pk=pk)
    messages.success(request, _("%(ref)s lifted: its records expire on the next run if their "
                                "time has come.") % {"ref": hold.reference})
    return redirect("panel:retention-hold", pk=pk)
