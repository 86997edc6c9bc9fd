"""A closed staff account is kept for the declared period after closing, then anonymised."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from privet.audit.models import AuditEvent
from privet.panel.models import ClosedAccount
from privet.retention import engine

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_a_closed_account_is_anonymised_a_year_after_and_not_a_moment_before(published):
    user = User.objects.create_user("ewa", email="ewa@studio.example", password="x" * 16,
                                    first_name="Ewa", last_name="Nowak")
    TOTPDevice.objects.create(user=user, name="Authenticator app")
    closed = timezone.now()
    with freeze_time(closed):
        user.is_active = False
        user.save()
    assert ClosedAccount.objects.get(user=user).closed_at == closed
    assert AuditEvent.objects.filter(action="panel.account_closed", object_id=str(user.pk)).exists()

    # 1 year after closing (the default declaration's staff_accounts rule), counted in Warsaw.
    with freeze_time(closed + timedelta(days=364)):
        engine.sweep()
    assert User.objects.get(pk=user.pk).username == "ewa"
    with freeze_time(closed + timedelta(days=366)):
        run = engine.sweep()
    anonymised = User.objects.get(pk=user.pk)
    assert (anonymised.username, anonymised.email, anonymised.first_name, anonymised.last_name) == (
        f"closed-{user.pk}", "", "", "")
    assert not anonymised.has_usable_password() and not TOTPDevice.objects.filter(user=user).exists()
    assert run.counts["panel.closed_accounts"]["expired"] == 1
    assert AuditEvent.objects.filter(action="panel.accounts_anonymised").count() == 1


def test_an_account_opened_again_stops_counting(published):
    user = User.objects.create_user("jan", password="x" * 16, is_active=False)
    assert ClosedAccount.objects.filter(user=user).exists()
    user.is_active = True
    user.save()
    assert not ClosedAccount.objects.filter(user=user).exists()
    with freeze_time(timezone.now() + timedelta(days=800)):
        engine.sweep()
    assert User.objects.get(pk=user.pk).username == "jan"
