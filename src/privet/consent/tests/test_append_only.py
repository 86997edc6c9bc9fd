"""Receipts are the proof of consent: the database itself refuses to change one, and to delete
one except when the retention engine expires it (SQLite here, PostgreSQL in the suite's
PostgreSQL run)."""

import json

import pytest
from django.db import IntegrityError, connection, transaction

from privet.audit.models import AuditEvent
from privet.consent.models import ConsentReceipt
from privet.consent.services import expire_receipts, record_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(policy) -> ConsentReceipt:
    return record_consent(site="softcode", visitor_id="a" * 32, choices={"analytics": False},
                          method="reject_all", policy_hash=policy.content_hash, gpc=False,
                          banner_version="1", language="en")


def test_a_receipt_cannot_be_updated_through_the_orm(stored):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ConsentReceipt.objects.filter(pk=stored.pk).update(choices={"essential": True,
                                                                    "analytics": True})
    stored.method = "accept_all"
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        stored.save()
    again = ConsentReceipt.objects.get(pk=stored.pk)
    assert again.choices == {"essential": True, "analytics": False, "marketing": False}
    assert again.method == "reject_all"


def test_a_receipt_cannot_be_deleted(stored):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ConsentReceipt.objects.filter(pk=stored.pk).delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        stored.delete()
    assert ConsentReceipt.objects.filter(pk=stored.pk).exists()


def test_a_change_of_mind_is_a_new_receipt(stored, policy):
    record_consent(site="softcode", visitor_id="a" * 32, choices={"analytics": True},
                   method="custom", policy_hash=policy.content_hash, gpc=False,
                   banner_version="1", language="en")
    assert [r.method for r in ConsentReceipt.objects.filter(visitor_id="a" * 32)] == [
        "reject_all", "custom"]


def test_only_the_expiry_deletes_and_only_what_it_is_given(stored, policy):
    other = record_consent(site="softcode", visitor_id="b" * 32, choices={}, method="reject_all",
                           policy_hash=policy.content_hash, gpc=False, banner_version="1",
                           language="en")
    with transaction.atomic():
        assert expire_receipts(receipts=ConsentReceipt.objects.filter(pk=stored.pk),
                               actor="system:retention", run_ref="RUN-000001") == 1
        # Later in the same transaction the marker is gone: an ordinary delete fails again.
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            other.delete()
    assert list(ConsentReceipt.objects.values_list("pk", flat=True)) == [other.pk]
    event = AuditEvent.objects.get(action="consent.receipts_expired")
    assert json.loads(event.details) == {"records": 1, "run_ref": "RUN-000001"}


def test_an_update_is_refused_even_while_expiring(stored):
    with pytest.raises(IntegrityError, match="UPDATE refused"), transaction.atomic():
        expire_receipts(receipts=ConsentReceipt.objects.none(), actor="test")
        with connection.cursor() as cursor:  # the marker, set by hand as the expiry sets it
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL privet.expiring = 'on'")
            else:
                cursor.execute("INSERT INTO consent_receipt_expiry_permit (id) VALUES (1)")
        ConsentReceipt.objects.filter(pk=stored.pk).update(method="accept_all")
    assert ConsentReceipt.objects.get(pk=stored.pk).method == "reject_all"

