"""The demo's Outbox page: the mail `privet demo` would have sent, read in the panel."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

from privet.enquiries.services import submit_enquiry

pytestmark = pytest.mark.django_db

DATA = {
    "name": "Jan Kowalski", "company": "", "email": "jan@example.com", "phone": "",
    "project_type": "website", "message": "We need a new website with online orders.",
}


@pytest.fixture
def demo_mail(settings, tmp_path):
    settings.EMAIL_BACKEND = django_settings.DEMO_OUTBOX_BACKEND
    settings.PRIVET_OUTBOX_DIR = tmp_path / "outbox"
    settings.SITE_URL = "http://192.0.2.10:8080"
    settings.PRIVET_OPERATOR_EMAILS = []


def test_the_demo_outbox_shows_the_mail_it_kept_with_links_on_the_site_url(
        operator_client, published, demo_mail, django_capture_on_commit_callbacks):
    user = get_user_model().objects.get(username="olga")
    user.email = "olga@studio.test"
    user.save()
    with django_capture_on_commit_callbacks(execute=True):  # the worker sends, at once
        enquiry = submit_enquiry(data=DATA, client_ref="c1", language="en")
    dashboard = operator_client.get("/panel/").content.decode()
    assert 'href="/panel/outbox/"' in dashboard  # in the navigation
    page = operator_client.get("/panel/outbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"We have received your enquiry {enquiry.reference}" in html
    assert f"New enquiry {enquiry.reference}" in html
    assert "jan@example.com" in html and "olga@studio.test" in html
    assert f"http://192.0.2.10:8080/panel/enquiries/{enquiry.pk}/" in html
    assert "http://192.0.2.10:8080/privacy/" in html
    # When it was sent, in local time as everywhere in the panel (the file's Date is UTC).
    kept = page.context["mails"][0].sent_at
    assert kept is not None and kept.utcoffset() is not None
    polish = operator_client.get("/pl/panel/outbox/").content.decode()
    assert "Skrzynka nadawcza" in polish


def test_the_outbox_is_empty_at_first_and_absent_outside_the_demo(operator_client, demo_mail,
                                                                  settings):
    assert "No mail yet" in operator_client.get("/panel/outbox/").content.decode()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert operator_client.get("/panel/outbox/").status_code == 404
    assert 'href="/panel/outbox/"' not in operator_client.get("/panel/").content.decode()
