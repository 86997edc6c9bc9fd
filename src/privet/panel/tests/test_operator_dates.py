"""Every date an operator gives in the panel has a floor (2000-01-01) and, where the future
makes no sense, a ceiling: refused beside its field, in the panel's language, changing nothing.

Year 1 once reached the database: PostgreSQL stored a BC timestamp that psycopg could not read
back (the dashboard answered 500 for everyone) and SQLite's submit itself was a 500. These run on
both databases (``PRIVET_DATABASE_URL`` selects PostgreSQL).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from privet.core.dates import EARLIEST_DATE
from privet.enquiries.errors import InvalidEnquiry, InvalidStatusDate
from privet.enquiries.models import Enquiry, EnquiryStatusChange
from privet.enquiries.services import change_status, log_enquiry

pytestmark = pytest.mark.django_db

DATA = {
    "name": "Jan Kowalski", "company": "", "email": "jan@example.com", "phone": "",
    "project_type": "website", "message": "We need a new website with online orders.",
}


def error_beside(html: str, field: str) -> str:
    start = html.index(f'id="id_{field}_error"')
    return html[start:start + 300]


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "0025-06-30T10:00", "1999-12-31T23:59"])
def test_a_received_date_before_2000_is_refused_beside_its_field(operator_client, typed):
    response = operator_client.post("/panel/enquiries/new/", {
        **DATA, "channel": "email", "received_at": typed, "language": "en"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a date from 2000-01-01 on." in error_beside(html, "received_at")
    assert 'class="msg msg-error"' not in html  # beside the field, not a banner
    assert 'value="Jan Kowalski"' in html  # what was typed is kept
    assert not Enquiry.objects.exists()
    # Every page still works for everyone.
    assert operator_client.get("/panel/").status_code == 200
    assert operator_client.get("/panel/enquiries/").status_code == 200


def test_the_floor_itself_is_accepted_and_reads_back(operator_client):
    response = operator_client.post("/panel/enquiries/new/", {
        **DATA, "channel": "email", "received_at": "2000-01-01T00:00", "language": "en"})
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    assert timezone.localtime(enquiry.received_at).date() == EARLIEST_DATE
    assert operator_client.get("/panel/").status_code == 200
    assert operator_client.get(f"/panel/enquiries/{enquiry.pk}/").status_code == 200


def test_the_refusal_speaks_polish_in_the_polish_panel(operator_client):
    response = operator_client.post("/pl/panel/enquiries/new/", {
        **DATA, "channel": "email", "received_at": "0001-01-01T00:00", "language": "pl"})
    assert response.status_code == 400
    assert "Podaj datę nie wcześniejszą niż 2000-01-01." in error_beside(
        response.content.decode(), "received_at")
    assert not Enquiry.objects.exists()


def test_the_pickers_offer_only_the_allowed_range(operator_client):
    html = operator_client.get("/panel/enquiries/new/").content.decode()
    field = html[html.index('name="received_at"') - 200:html.index('name="received_at"') + 200]
    assert 'min="2000-01-01T00:00"' in field
    user = get_user_model().objects.get(username="olga")
    old = log_enquiry(data=DATA, actor=user, received_at=timezone.make_aware(datetime(2000, 1, 2)))
    html = operator_client.get(f"/panel/enquiries/{old.pk}/").content.decode()
    field = html[html.index('name="effective_date"') - 200:html.index('name="effective_date"') + 200]
    assert 'min="2000-01-02"' in field and f'max="{timezone.localdate().isoformat()}"' in field


@pytest.mark.parametrize("typed", ["0001-01-01", "1999-12-31"])
def test_a_status_date_before_2000_is_refused_beside_its_field(operator_client, typed):
    user = get_user_model().objects.get(username="olga")
    enquiry = log_enquiry(data=DATA, actor=user, received_at=timezone.now() - timedelta(days=3))
    response = operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                                    {"to_status": "offer", "effective_date": typed})
    assert response.status_code == 400
    assert "Enter a date from 2000-01-01 on." in error_beside(response.content.decode(),
                                                              "effective_date")
    enquiry.refresh_from_db()
    assert enquiry.status == "new" and enquiry.status_changes.count() == 1
    assert operator_client.get("/panel/").status_code == 200


def test_the_services_refuse_a_date_before_2000_too(operator_client):
    """The API and the demo loader call the services directly; they hold the same floor."""
    user = get_user_model().objects.get(username="olga")
    year_one = datetime(1, 1, 1, 12, tzinfo=timezone.get_current_timezone())
    with pytest.raises(InvalidEnquiry, match="2000-01-01"):
        log_enquiry(data=DATA, actor=user, received_at=year_one)
    assert not Enquiry.objects.exists()
    enquiry = log_enquiry(data=DATA, actor=user, received_at=timezone.make_aware(datetime(2000, 1, 1)))
    with pytest.raises(InvalidStatusDate, match="2000-01-01"):
        change_status(enquiry=enquiry, to_status="offer", actor=user, at=date(1999, 12, 31))
    assert EnquiryStatusChange.objects.filter(enquiry=enquiry).count() == 1


def test_the_admin_does_not_take_sign_in_dates_from_a_form(admin_client_2fa):
    """The only other dates in the panel, an account's last sign-in and joining date, are
    records of events: shown, never typed (a typed year 1 broke the account list the same way)."""
    user = get_user_model().objects.create_user("ewa", password="another long passphrase 1")
    joined = user.date_joined
    page = admin_client_2fa.get(f"/panel/admin/auth/user/{user.pk}/change/")
    assert page.status_code == 200
    assert 'name="date_joined_0"' not in page.content.decode()
    response = admin_client_2fa.post(f"/panel/admin/auth/user/{user.pk}/change/", {
        "username": "ewa", "first_name": "", "last_name": "", "email": "", "is_active": "on",
        "date_joined_0": "0001-01-01", "date_joined_1": "00:00:00",
        "last_login_0": "0001-01-01", "last_login_1": "00:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.date_joined == joined and user.last_login is None
    assert admin_client_2fa.get("/panel/admin/auth/user/").status_code == 200
