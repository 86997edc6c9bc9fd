"""The registry's coverage checks (privet.E006-E011, W001): what the engines rely on is there."""

from __future__ import annotations

from copy import copy

import pytest
from django.conf import settings
from django.db import models
from django.test.utils import isolate_apps

from privet.policy.checks import check_policy_drift, coverage_errors
from privet.policy.loader import load_declaration
from privet.registry import PrivacyRegistry, registry

DECLARATION = load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE)


def ids(errors):
    return sorted(e.id for e in errors)


def full_copy() -> PrivacyRegistry:
    """The project's registry, copied so that a test can break it."""
    reg = PrivacyRegistry()
    for name in ("fields", "exempt", "sources", "targets", "not_sources", "not_targets"):
        setattr(reg, name, copy(getattr(registry, name)))
    reg.rules_without_target = list(registry.rules_without_target)
    return reg


def test_the_project_registry_covers_everything():
    assert [e for e in check_policy_drift() if e.id.startswith("privet.")] == []
    assert coverage_errors(registry, DECLARATION) == []


@isolate_apps("privet.policy")
def test_a_model_without_source_or_target_or_reason_fails():
    class Newsletter(models.Model):
        email = models.EmailField()
        joined = models.DateTimeField()

        class Meta:
            app_label = "policy"

    reg = full_copy()
    reg.personal_data(Newsletter, {"email": "contact_details"})
    errors = coverage_errors(reg, DECLARATION)
    assert ids(errors) == ["privet.E006", "privet.E010"]
    assert "policy.Newsletter holds personal data" in errors[0].msg
    reg.not_a_subject_source(Newsletter, "why")
    reg.no_retention_target(Newsletter, "why")
    assert coverage_errors(reg, DECLARATION) == []


def test_a_declared_rule_without_target_or_reason_fails():
    reg = full_copy()
    reg.rules_without_target = [r for r in reg.rules_without_target
                                if (r.category, r.trigger) != ("contact_details", "financial_year_end")]
    errors = coverage_errors(reg, DECLARATION)
    assert ids(errors) == ["privet.E007"]
    assert "'contact_details' ('legal_obligations', after 'financial_year_end')" in errors[0].msg


def test_a_stale_reason_warns():
    reg = full_copy()
    reg.rule_without_target(category="technical_data", purpose="security", trigger="collected",
                            reason="a target covers it")
    reg.rule_without_target(category="nothing", purpose="nowhere", trigger="collected", reason="gone")
    assert ids(coverage_errors(reg, DECLARATION)) == ["privet.W001", "privet.W001"]


@pytest.mark.parametrize(("change", "message"), [
    ({"triggers": {"when_we_feel_like_it": "closed_at"}}, "not in the declaration's vocabulary"),
    ({"triggers": {"enquiry_closed": "closed_on"}}, "has no field 'closed_on'"),
    ({"categories": frozenset({"contact_detials"})}, "category 'contact_detials' is not declared"),
    ({"purposes": frozenset({"fun"})}, "purpose 'fun' is not declared"),
])
def test_a_target_must_use_declared_words_and_real_fields(change, message):
    from dataclasses import replace

    reg = full_copy()
    reg.targets["enquiries.without_offer"] = replace(reg.targets["enquiries.without_offer"], **change)
    errors = [e for e in coverage_errors(reg, DECLARATION) if e.id == "privet.E008"]
    assert len(errors) == 1 and message in errors[0].msg


def test_names_are_unique():
    reg = full_copy()
    reg.retention_target(registry.targets["consent.receipts"])
    reg.subject_source(registry.sources["audit"])
    errors = coverage_errors(reg, DECLARATION)
    assert ids(errors) == ["privet.E009", "privet.E009"]


def test_a_source_must_keep_the_contract():
    class Partial:
        name = "partial"
        role = "owner"
        models = ()
        attributes = frozenset({"shoe_size"})

        def plan(self, subject): ...

    reg = full_copy()
    reg.subject_source(Partial())
    messages = [e.msg for e in coverage_errors(reg, DECLARATION) if e.id == "privet.E011"]
    assert len(messages) == 3
    assert any("shoe_size" in m for m in messages) and any("role" in m for m in messages)
