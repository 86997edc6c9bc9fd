"""Every declared rule that a store enforces, at its boundary: a record is there a day and a
second before it, and gone at it, after a real run of the sweeper on a moved clock.

The boundary is worked out here from the declaration alone (the rule's period on the Warsaw
calendar, ``until_year_end`` to the first instant of the next year there), not by the engine's
code. A record comes from the app's own services, one factory per retention target; a target
that a declared rule covers and that has no factory here fails
:func:`test_every_store_a_declared_rule_covers_has_a_factory`. A rule no store enforces is
listed by name below, and must have its reason registered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from dateutil.relativedelta import relativedelta
from django.db.models import Model
from freezegun import freeze_time

from privet.consent.services import record_consent
from privet.policy.schema import Declaration, RetentionRule
from privet.registry import RetentionTarget, TriggerTime, registry
from privet.retention import engine
from privet.rights import services as rights

from .conftest import enquiry

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")
UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


# --- one record per store, its trigger happening now (the clock is frozen at the trigger) ------

def _now() -> datetime:
    return datetime.now(UTC)


def closed_without_offer() -> Model:
    return enquiry(received=_now() - timedelta(days=10), steps=(("closed", _now()),))


def closed_after_offer() -> Model:
    return enquiry(received=_now() - timedelta(days=10),
                   steps=(("offer", _now() - timedelta(days=3)), ("closed", _now())))


def ended_project() -> Model:
    return enquiry(received=_now() - timedelta(days=100), steps=(
        ("offer", _now() - timedelta(days=90)), ("project", _now() - timedelta(days=80)),
        ("ended", _now())))


def receipt(published) -> Model:
    return record_consent(site="softcode", visitor_id="d" * 32, choices={}, method="reject_all",
                          policy_hash=published.content_hash, gpc=False, banner_version="1",
                          language="en")


def withdrawn_request() -> Model:
    request = rights.log_request(right="access", email="anna@example.com", actor="test",
                                 channel="email", verified=True,
                                 verification_note="She wrote from the address we know.")
    return rights.withdraw(request=request, actor="test", reason="Found what she needed.")


def sign_in(model: type[Model]) -> Callable[[object], Model]:
    def make(published) -> Model:
        extra = {"get_data": "", "post_data": "", "failures_since_start": 1} \
            if model is AccessAttempt else {}
        return model.objects.create(user_agent="Firefox", ip_address="192.0.2.0",
                                    username="anna", http_accept="*/*", path_info="/panel/login/",
                                    **extra)
    return make


def closed_account(published) -> Model:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("leaving", password="x" * 16, is_active=False)
    return user.closure


def log_record(kind: str) -> Callable[[object], Model]:
    def make(published) -> Model:
        from privet.telemetry.models import TechnicalRecord

        return TechnicalRecord.objects.create(at=_now(), kind=kind, method="GET",
                                              route="site:home", status=200)
    return make


def daily_key(published) -> Model:
    from privet.telemetry.models import DailyKey

    return DailyKey.objects.create(day=_now().astimezone(WARSAW).date(), key=b"k" * 32)


def _grant(slug: str):
    from privet.integrations import services as integrations
    from privet.integrations.connectors import TokenSet

    client = integrations.create_client(name=slug.title(), slug=slug, actor="test")
    link = integrations.create_link(client=client, connector_id="tiktok_business",
                                    flow_id="account", actor="test")
    return integrations.record_grant(link=link, tokens=TokenSet(
        access_token="act.test", scopes=("user.info.basic",), account_id="open-1",
        refresh_token="rft.test", expires_in=86400))


def ended_contract_grant(published) -> Model:
    from privet.integrations import services as integrations

    grant = _grant("ended")
    integrations.end_contract(client=grant.client, actor="test")
    return grant


def revoked_account(published) -> Model:
    from privet.integrations import grants
    from privet.integrations import services as integrations

    grant = _grant("revoked")
    account, _ = integrations.store_account(grant, kind="tiktok_account",
                                            contract_name="business_account",
                                            item={"username": "shop", "display_name": "Shop"},
                                            external_id="open-1")
    grants.deauthorise(grant, by_owner=True, actor="owner", reason="test")
    return account


def revoked_record(model_name: str):
    """A record of a synced model, of a grant the owner revoked."""

    def make(published) -> Model:
        from datetime import date

        from privet.integrations import grants
        from privet.integrations import models as integrations

        grant = _grant("revoked")
        fields = {"day": date(2026, 1, 1)} if model_name in ("CampaignDay", "AccountDay") else {}
        record = getattr(integrations, model_name).objects.for_client(grant.client).create(
            client=grant.client, grant=grant, external_id="x-1", **fields)
        grants.deauthorise(grant, by_owner=True, actor="owner", reason="test")
        record.refresh_from_db()
        return record

    return make


FACTORIES: dict[str, Callable[[object], Model]] = {
    "integrations.grants": ended_contract_grant,
    "integrations.platformaccount": revoked_account,
    **{f"integrations.{name.lower()}": revoked_record(name)
       for name in ("Video", "Comment", "Conversation", "Message", "Campaign", "CampaignDay",
                    "AccountDay")},
    "panel.closed_accounts": closed_account,
    "telemetry.requests": log_record("request"),
    "telemetry.security_events": log_record("sign_in_failed"),
    "telemetry.daily_keys": daily_key,
    "enquiries.without_offer": lambda published: closed_without_offer(),
    "enquiries.offers": lambda published: closed_after_offer(),
    "enquiries.projects": lambda published: ended_project(),
    "consent.receipts": receipt,
    "rights.requests": lambda published: withdrawn_request(),
    "panel.accessattempt": sign_in(AccessAttempt),
    "panel.accesslog": sign_in(AccessLog),
    "panel.accessfailurelog": sign_in(AccessFailureLog),
}

# Declared rules no store enforces, each with its reason registered (privet.policy.privacy,
# privet.panel.privacy). A store that starts enforcing one moves it to the factories above.
WITHOUT_TARGET = {
    "contact_details/legal_obligations/financial_year_end",
    "project_data/legal_obligations/financial_year_end",
}


# --- the boundary, from the declaration ------------------------------------------------------

def later(moment: datetime, period: str) -> datetime:
    """``moment`` plus a declared period, on the wall clock of ``moment``'s zone."""
    return moment + relativedelta(**{UNITS[period[-1]]: int(period[:-1])})


def boundary(rule: RetentionRule, target: RetentionTarget, trigger: datetime) -> datetime:
    """The first instant a record whose trigger happened at ``trigger`` must be gone."""
    at = trigger.astimezone(WARSAW)
    answered_by = target.triggers[rule.after]
    if isinstance(answered_by, TriggerTime) and answered_by.plus:
        at = later(at, answered_by.plus)  # e.g. a receipt: the consent cookie's year first
    end = later(at, rule.period)
    if rule.until_year_end:
        end = datetime(end.year + 1, 1, 1, tzinfo=WARSAW)
    return end


def rules_by_target(declaration: Declaration) -> dict[str, list[RetentionRule]]:
    found: dict[str, list[RetentionRule]] = {}
    for rule in declaration.retention:
        for target in registry.targets_for(category=rule.category, purpose=rule.purpose,
                                           trigger=rule.after):
            found.setdefault(target.name, []).append(rule)
    return found


def still_there(record: Model, store: str) -> bool:
    """Whether the store still holds ``record``: not deleted, or not yet anonymised (an
    anonymised record leaves its target's scope)."""
    return registry.targets[store].objects().filter(pk=record.pk).exists()


# --- the tests -------------------------------------------------------------------------------

def test_every_store_a_declared_rule_covers_has_a_factory(published):
    assert set(rules_by_target(published.declaration())) == set(FACTORIES)


def test_each_rule_no_store_enforces_is_named_here_with_its_reason(published):
    declaration = published.declaration()
    unenforced = {engine.rule_name(r) for r in declaration.retention
                  if not registry.targets_for(category=r.category, purpose=r.purpose,
                                              trigger=r.after)}
    assert unenforced == WITHOUT_TARGET
    reasons = {f"{r.category}/{r.purpose}/{r.trigger}": r.reason
               for r in registry.rules_without_target}
    for name in sorted(WITHOUT_TARGET):
        assert reasons.get(name, "").strip(), f"{name}: no reason registered"


@pytest.mark.parametrize("trigger", [
    datetime(2030, 3, 15, 10, 0, tzinfo=UTC),
    # 00:30 on 1 January 2031 in Warsaw, still 2030 in UTC: a year-end rule counts from 2031.
    datetime(2030, 12, 31, 23, 30, tzinfo=UTC),
], ids=["march", "new-year-in-warsaw"])
@pytest.mark.parametrize("store", sorted(FACTORIES))
def test_a_record_expires_at_its_declared_boundary_and_not_a_second_before(published, store,
                                                                           trigger):
    rules = rules_by_target(published.declaration())[store]
    target = registry.targets[store]
    with freeze_time(trigger):
        record = FACTORIES[store](published)
    # A record under several rules goes at the latest of their boundaries.
    end = max(boundary(rule, target, trigger) for rule in rules)
    assert end > trigger + timedelta(days=29)  # the shortest declared period is 30 days
    for before in (timedelta(days=1), timedelta(seconds=1)):
        with freeze_time(end - before):
            engine.sweep()
        assert still_there(record, store), f"{store}: gone {before} before {end.isoformat()}"
    with freeze_time(end):
        run = engine.sweep()
    assert not still_there(record, store), f"{store}: still there at {end.isoformat()}"
    assert run.counts[store]["expired"] == 1
    assert set(run.counts[store]["rules"]) <= {engine.rule_name(r) for r in rules}


def test_a_year_end_rule_ends_with_the_year_in_warsaw_not_in_utc(published):
    """The trigger at 00:30 on 1 January in Warsaw (31 December in UTC): six years then the
    end of that year is the end of 2037, not of 2036."""
    [rule] = [r for r in rules_by_target(published.declaration())["enquiries.projects"]
              if r.category == "contact_details"]
    assert (rule.period, rule.until_year_end) == ("6y", True)
    with freeze_time(datetime(2030, 12, 31, 23, 30, tzinfo=UTC)):
        project = ended_project()
    with freeze_time(datetime(2037, 12, 31, 23, 59, 59, tzinfo=WARSAW)):
        engine.sweep()
    assert still_there(project, "enquiries.projects")
    with freeze_time(datetime(2038, 1, 1, 0, 0, tzinfo=WARSAW)):
        engine.sweep()
    assert not still_there(project, "enquiries.projects")
