"""Operators prove a visitor's consent by finding their receipts in the admin."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.consent.services import record_consent
from privet.panel.tests.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

RECEIPTS = "/panel/admin/consent/consentreceipt/"


@pytest.fixture
def admin_client(db) -> Client:
    # A superuser: no panel role grants the consent app's view permission yet (see panel.roles).
    user = get_user_model().objects.create_superuser("ada", password=PASSWORD)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return sign_in(Client(), user)


def test_a_visitor_id_is_found_whatever_its_case_and_only_exactly(admin_client, policy):
    for visitor in ("ab" * 16, "cd" * 16):
        record_consent(site="softcode", visitor_id=visitor, choices={"analytics": True},
                       method="custom", policy_hash=policy.content_hash, gpc=False,
                       banner_version="1", language="en")
    with CaptureQueriesContext(connection) as queries:
        pasted = admin_client.get(RECEIPTS, {"q": "  " + "AB" * 16 + " "})
    assert [r.visitor_id for r in pasted.context["cl"].result_list] == ["ab" * 16]
    # A plain equality that consent_visitor_idx serves, not UPPER()/LIKE over every partition.
    lookups = [q["sql"] for q in queries if "ababab" in q["sql"]]
    assert lookups and not [sql for sql in lookups if "UPPER" in sql or "LIKE" in sql]
    partial = admin_client.get(RECEIPTS, {"q": "ab" * 8})
    assert list(partial.context["cl"].result_list) == []
    everything = admin_client.get(RECEIPTS)
    assert len(everything.context["cl"].result_list) == 2
