import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models
from django.test import override_settings
from django.test.utils import isolate_apps

from privet.policy.checks import check_policy_drift, checked_models, drift_errors
from privet.registry import PrivacyRegistry, registry

from .conftest import edited

DECLARED = {"contact_details", "communication_content", "technical_data"}


def ids(errors):
    return [e.id for e in errors]


@isolate_apps("privet.policy")
def test_undeclared_personal_field_fails_the_check():
    class Newsletter(models.Model):
        email = models.EmailField()
        joined = models.DateTimeField()

        class Meta:
            app_label = "policy"

    errors = drift_errors([Newsletter], PrivacyRegistry(), DECLARED)
    assert ids(errors) == ["privet.E001"]
    assert "policy.Newsletter.email looks like personal data" in errors[0].msg


@isolate_apps("privet.policy")
def test_fields_that_look_personal_by_name_or_type():
    class Lead(models.Model):
        full_name = models.CharField(max_length=100)
        phone = models.CharField(max_length=30)
        ip_address = models.GenericIPAddressField()
        comments = models.TextField()
        api_token = models.CharField(max_length=100)
        status = models.CharField(max_length=10)
        created = models.DateTimeField()

        class Meta:
            app_label = "policy"

    flagged = {e.obj.name for e in drift_errors([Lead], PrivacyRegistry(), DECLARED)}
    assert flagged == {"full_name", "phone", "ip_address", "comments", "api_token"}


@isolate_apps("privet.policy")
def test_contact_words_credentials_and_blobs_are_caught_too():
    class Contact(models.Model):
        telephone = models.CharField(max_length=30)
        username = models.CharField(max_length=30)
        postal_code = models.CharField(max_length=10)
        remote_addr = models.CharField(max_length=45)
        api_key = models.CharField(max_length=64)
        payload = models.JSONField()
        raw = models.BinaryField()
        project_type = models.CharField(max_length=20)
        is_active = models.BooleanField()

        class Meta:
            app_label = "policy"

    flagged = {e.obj.name for e in drift_errors([Contact], PrivacyRegistry(), DECLARED)}
    assert flagged == {"telephone", "username", "postal_code", "remote_addr", "api_key", "payload",
                       "raw"}


def test_manage_py_check_fails_on_an_undeclared_field(settings):
    """The whole path an engineer meets: an installed app with an email field breaks `check`."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "privet.policy.tests.driftapp"]
    with pytest.raises(SystemCheckError, match=r"driftapp\.Newsletter\.email: \(privet\.E001\)"):
        call_command("check")


@isolate_apps("privet.policy")
def test_mapped_and_exempt_fields_pass_and_unknown_category_fails():
    class Enquiry(models.Model):
        email = models.EmailField()
        message = models.TextField()
        internal_note = models.TextField()

        class Meta:
            app_label = "policy"

    reg = PrivacyRegistry()
    reg.personal_data(Enquiry, {"email": "contact_details", "message": "communication_content"},
                      not_personal={"internal_note": "operators' notes hold no personal data"})
    assert drift_errors([Enquiry], reg, DECLARED) == []

    reg.personal_data(Enquiry, {"message": "marketing_profiles"})
    errors = drift_errors([Enquiry], reg, DECLARED)
    assert ids(errors) == ["privet.E002"]
    assert "'marketing_profiles'" in errors[0].msg


@isolate_apps("privet.policy")
def test_mapping_a_missing_field_is_reported():
    class Thing(models.Model):
        class Meta:
            app_label = "policy"

    reg = PrivacyRegistry()
    reg.personal_data(Thing, {"email": "contact_details"})
    assert ids(drift_errors([Thing], reg, DECLARED)) == ["privet.E003"]


def test_the_real_project_passes_manage_py_check():
    assert [e for e in check_policy_drift() if e.id.startswith("privet.")] == []
    call_command("check", fail_level="ERROR")


def test_staff_accounts_and_sessions_are_checked_and_declared():
    labels = {m._meta.label for m in checked_models()}
    assert {"auth.User", "sessions.Session", "axes.AccessAttempt"} <= labels
    from django.contrib.auth import get_user_model

    assert registry.category_of(get_user_model(), "email") == "staff_accounts"


def test_a_cookie_privet_sets_must_be_declared(tmp_path, default_source, settings):
    undeclared = tmp_path / "policy.yaml"
    undeclared.write_text(edited(default_source, "- name: privet-session", "- name: session"))
    settings.PRIVET_DEFAULT_POLICY_FILE = undeclared
    errors = [e for e in check_policy_drift() if e.id == "privet.E005"]
    assert len(errors) == 1 and "privet-session'" in errors[0].msg
    settings.SESSION_COOKIE_NAME = "__Host-privet-session"  # the production name is the same cookie
    settings.PRIVET_DEFAULT_POLICY_FILE = tmp_path / "ok.yaml"
    settings.PRIVET_DEFAULT_POLICY_FILE.write_text(default_source)
    assert [e for e in check_policy_drift() if e.id == "privet.E005"] == []


def test_unloadable_declaration_fails_the_check(tmp_path):
    broken = tmp_path / "policy.yaml"
    broken.write_text("version: {}\n")
    with override_settings(PRIVET_DEFAULT_POLICY_FILE=broken):
        errors = check_policy_drift()
    assert ids(errors) == ["privet.E004"]
    assert str(broken) in errors[0].msg
