"""Receipts are the proof of consent: the database itself refuses to change or delete one."""

import pytest
from django.db import IntegrityError, transaction

from privet.consent.models import ConsentReceipt
from privet.consent.services import record_consent

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
