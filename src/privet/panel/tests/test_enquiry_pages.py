"""Working enquiries in the panel: dashboard, list, detail with status, notes and history."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.audit.models import AuditEvent
from privet.enquiries.models import Enquiry
from privet.enquiries.services import change_status, log_enquiry

from .conftest import PASSWORD, code_for

pytestmark = pytest.mark.django_db

DATA = {
    "name": "Jan Kowalski", "company": "Piekarnia Kowalski", "email": "jan@example.com", "phone": "",
    "project_type": "website", "message": "We need a new website with online orders.",
}


def logged(actor, **changes) -> Enquiry:
    received_at = changes.pop("received_at", None)
    return log_enquiry(data={**DATA, **changes}, actor=actor, received_at=received_at)


def test_the_dashboard_shows_open_enquiries_with_their_age(operator_client):
    user = get_user_model().objects.get(username="olga")
    # Age is counted in calendar days (Warsaw): noon three days ago is "3 days" at any hour.
    noon = datetime.combine(timezone.localdate() - timedelta(days=3), time(12))
    logged(user, received_at=timezone.make_aware(noon))
    done = logged(user, name="Anna Closed")
    change_status(enquiry=done, to_status="closed", actor=user)
    page = operator_client.get("/panel/")
    text = page.content.decode()
    assert "Jan Kowalski" in text and "3 days" in text
    assert "Anna Closed" not in text  # closed is not open
    assert page.context["open_total"] == 1
    # Rights requests, retention and integrations have their own cards now: no placeholder.
    assert "Arrives with client integrations" not in text and "Not yet available" not in text
    assert 'href="/panel/clients/"' in text
    assert "Rights requests due" not in text and 'href="/panel/rights/?overdue=on"' in text


def test_the_list_searches_and_filters(operator_client):
    user = get_user_model().objects.get(username="olga")
    logged(user)
    logged(user, name="Ewa Nowak", company="Sklep Ewy", email="ewa@example.org",
           project_type="integration", message="TikTok integration")
    text = operator_client.get("/panel/enquiries/", {"q": "tiktok"}).content.decode()
    assert "Ewa Nowak" in text and "Jan Kowalski" not in text
    text = operator_client.get("/panel/enquiries/", {"project_type": "website"}).content.decode()
    assert "Jan Kowalski" in text and "Ewa Nowak" not in text
    text = operator_client.get("/panel/enquiries/", {"status": "offer"}).content.decode()
    assert "No enquiry matches" in text
    # A filter value that is not a choice is refused by the form, not a server error.
    assert operator_client.get("/panel/enquiries/", {"status": "bogus"}).status_code == 200


def test_moving_an_enquiry_to_offer_writes_history_and_audit(operator_client):
    user = get_user_model().objects.get(username="olga")
    enquiry = logged(user)
    page = operator_client.get(f"/panel/enquiries/{enquiry.pk}/")
    assert b'value="offer"' in page.content and b'value="closed"' in page.content
    response = operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                                    {"to_status": "offer", "reason": "Offer sent by mail"}, follow=True)
    enquiry.refresh_from_db()
    assert enquiry.status == "offer" and enquiry.offer_at is not None
    text = response.content.decode()
    assert f"{enquiry.reference} is now: Offer sent." in text
    assert "Offer sent by mail" in text  # the history shows the reason
    assert b'value="project"' in response.content  # the next allowed steps
    event = AuditEvent.objects.get(action="enquiry.status_changed", object_id=str(enquiry.pk))
    assert event.actor == f"user:{user.pk}"


def test_an_invalid_transition_is_explained_and_changes_nothing(operator_client):
    user = get_user_model().objects.get(username="olga")
    enquiry = logged(user)
    response = operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/", {"to_status": "ended"},
                                    follow=True)
    assert "Nothing was changed: An enquiry in status" in response.content.decode()
    enquiry.refresh_from_db()
    assert enquiry.status == "new"
    assert not AuditEvent.objects.filter(action="enquiry.status_changed").exists()


def test_a_note_is_added_and_shown(operator_client):
    user = get_user_model().objects.get(username="olga")
    enquiry = logged(user)
    response = operator_client.post(f"/panel/enquiries/{enquiry.pk}/notes/",
                                    {"body": "Called back, wants a quote by Friday.", "contact": "on"},
                                    follow=True)
    assert "Called back, wants a quote by Friday." in response.content.decode()
    assert enquiry.notes.get().author == user
    response = operator_client.post(f"/panel/enquiries/{enquiry.pk}/notes/", {"body": "  "}, follow=True)
    assert "Write the note first" in response.content.decode()
    assert enquiry.notes.count() == 1


def test_logging_an_email_enquiry(operator_client):
    page = operator_client.get("/panel/enquiries/new/")
    assert page.status_code == 200 and b"altcha" not in page.content.lower()
    assert page.context["form"]["language"].value() == "en"  # the panel's language, to start
    response = operator_client.post("/panel/enquiries/new/", {**DATA, "channel": "email",
                                                               "received_at": "2025-01-10T09:30",
                                                               "language": "pl"})
    enquiry = Enquiry.objects.get()
    assert response.url == f"/panel/enquiries/{enquiry.pk}/"
    assert enquiry.channel == "email" and enquiry.created_by.username == "olga"
    assert enquiry.language == "pl"  # the person's language, not the operator's panel
    assert timezone.localtime(enquiry.received_at).strftime("%Y-%m-%d %H:%M") == "2025-01-10 09:30"


def test_logging_refuses_bad_input_and_keeps_what_was_typed(operator_client):
    response = operator_client.post("/panel/enquiries/new/", {**DATA, "email": "not-an-email",
                                                               "channel": "form"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Enter an email address like name@example.com." in text
    assert "Select a valid choice" in text  # the public form's channel is not for operators
    response = operator_client.post("/panel/enquiries/new/", {**DATA, "channel": "email",
                                                               "language": "de"})
    assert 'id="id_language"' in response.content.decode() and "Select a valid choice" in (
        response.content.decode())
    assert "Jan Kowalski" in text
    # Noon: a wall-clock time that exists exactly once on every day, DST changes included.
    future = (timezone.localdate() + timedelta(days=2)).strftime("%Y-%m-%dT12:00")
    response = operator_client.post("/panel/enquiries/new/", {**DATA, "channel": "phone",
                                                               "received_at": future, "language": "en"})
    assert "cannot be received in the future" in response.content.decode()
    assert not Enquiry.objects.exists()


def test_a_missing_enquiry_is_a_404(operator_client):
    assert operator_client.get("/panel/enquiries/999999/").status_code == 404


def test_status_changes_need_the_csrf_token(make_operator):
    user = make_operator("olga")
    enquiry = logged(user)
    client = Client(enforce_csrf_checks=True)
    # The sign-in forms themselves carry the token; take it from the page, like a browser.
    page = client.get("/panel/login/")
    token = page.context["csrf_token"]
    client.post("/panel/login/", {"username": "olga", "password": PASSWORD, "csrfmiddlewaretoken": token})
    token = client.get("/panel/login/verify/").context["csrf_token"]
    device = TOTPDevice.objects.get(user=user)
    assert client.post("/panel/login/verify/", {"token": code_for(device),
                                                "csrfmiddlewaretoken": token}).status_code == 302
    response = client.post(f"/panel/enquiries/{enquiry.pk}/status/", {"to_status": "offer"})
    assert response.status_code == 403
    enquiry.refresh_from_db()
    assert enquiry.status == "new"
    token = client.get(f"/panel/enquiries/{enquiry.pk}/").context["csrf_token"]
    response = client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                           {"to_status": "offer", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.status == "offer"


def test_the_dashboard_shows_consent_rates_of_the_last_week(operator_client, published):
    from privet.consent.services import record_consent

    policy = published
    for n, analytics in enumerate([True, True, False, False]):
        record_consent(
            site="privet", visitor_id=f"{n:032x}", choices={"analytics": analytics, "marketing": False},
            policy_hash=policy.content_hash, method="custom", gpc=False, banner_version="1",
            language="en",
        )
    text = operator_client.get("/panel/").content.decode()
    assert "Consent rates" in text and "Arrives with the cookie banner" not in text
    rates = {r.purpose: (r.percent, r.granted, r.receipts)
             for r in operator_client.get("/panel/").context["consent_rates"]}
    assert rates == {"analytics": (50, 2, 4), "marketing": (0, 0, 4)}
    assert '<meter min="0" max="100" value="50">' in text


def test_a_status_change_takes_the_day_it_happened(operator_client):
    user = get_user_model().objects.get(username="olga")
    enquiry = logged(user, received_at=timezone.now() - timedelta(days=10))
    today = timezone.localdate()
    page = operator_client.get(f"/panel/enquiries/{enquiry.pk}/").content.decode()
    assert f'max="{today.isoformat()}"' in page and f'value="{today.isoformat()}"' in page
    day = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731
    operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                         {"to_status": "offer", "effective_date": day(5)})
    operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                         {"to_status": "project", "effective_date": day(3), "reason": "Signed"})
    enquiry.refresh_from_db()
    assert enquiry.status == "project"
    assert timezone.localdate(enquiry.offer_at).isoformat() == day(5)
    assert timezone.localdate(enquiry.contract_signed_at).isoformat() == day(3)
    event = AuditEvent.objects.filter(action="enquiry.status_changed").last()
    assert day(3) in event.details  # the audit event records the date it took effect

    # The future, and a day before the previous step, are refused beside the field; the reason
    # typed is kept, and nothing changes.
    future = operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                                  {"to_status": "ended", "effective_date": day(-1), "reason": "Done"})
    assert future.status_code == 400
    html = future.content.decode()
    assert 'id="id_effective_date_error"' in html and "The date cannot be in the future." in html
    assert 'aria-invalid="true"' in html and ">\nDone</textarea>" in html
    before = operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                                  {"to_status": "ended", "effective_date": day(4)})
    assert before.status_code == 400
    html = before.content.decode()
    assert 'id="id_effective_date_error"' in html
    assert "cannot take effect before the previous one" in html
    bad = operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                               {"to_status": "ended", "effective_date": "30.06.2025"})
    assert bad.status_code == 400 and "Enter a date like 2025-06-30." in bad.content.decode()
    enquiry.refresh_from_db()
    assert enquiry.status == "project" and enquiry.project_ended_at is None
    # The same day as the previous step is fine: the project ended the day the contract was
    # signed (a one-day job); retention counts from that day.
    operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                         {"to_status": "ended", "effective_date": day(3)})
    enquiry.refresh_from_db()
    assert enquiry.status == "ended"
    assert timezone.localdate(enquiry.project_ended_at).isoformat() == day(3)


def test_open_means_new_or_offer_sent_on_the_dashboard_and_in_the_list(operator_client):
    from privet.panel.views.dashboard import DASHBOARD_OPEN_LIMIT

    user = get_user_model().objects.get(username="olga")
    for n in range(DASHBOARD_OPEN_LIMIT):
        logged(user, name=f"New {n}")
    change_status(enquiry=logged(user, name="Offer One"), to_status="offer", actor=user)
    change_status(enquiry=logged(user, name="Closed One"), to_status="closed", actor=user)
    dashboard = operator_client.get("/panel/").content.decode()
    assert 'href="/panel/enquiries/?status=open">See all 9 open enquiries' in dashboard
    listed = operator_client.get("/panel/enquiries/", {"status": "open"})
    names = {e.name for e in listed.context["page"].object_list}
    assert "Offer One" in names and "Closed One" not in names and len(names) == 9
    assert 'value="open" selected' in listed.content.decode()


def test_the_dashboard_counts_all_mail_not_sent_and_links_the_list(operator_client):
    from privet.enquiries.models import MailKind, OutgoingMail
    from privet.panel.views.dashboard import DASHBOARD_OPEN_LIMIT

    user = get_user_model().objects.get(username="olga")
    enquiries = [logged(user, name=f"Person {n}") for n in range(DASHBOARD_OPEN_LIMIT + 2)]
    OutgoingMail.objects.bulk_create([OutgoingMail(enquiry=e, kind=MailKind.ACKNOWLEDGEMENT,
                                                   state="failed", error="SMTPDataError")
                                      for e in enquiries[1:]])
    # Pending for a minute is not a problem yet; pending for an hour is stuck.
    OutgoingMail.objects.create(enquiry=enquiries[0], kind=MailKind.ACKNOWLEDGEMENT)
    page = operator_client.get("/panel/")
    assert page.context["unsent_total"] == DASHBOARD_OPEN_LIMIT + 1
    assert len(page.context["unsent_mail"]) == DASHBOARD_OPEN_LIMIT
    assert 'href="/panel/enquiries/?mail=unsent"' in page.content.decode()
    listed = operator_client.get("/panel/enquiries/", {"mail": "unsent"}).context["page"]
    assert listed.paginator.count == DASHBOARD_OPEN_LIMIT + 1
    OutgoingMail.objects.filter(enquiry=enquiries[0]).update(
        queued_at=timezone.now() - timedelta(hours=1))
    assert operator_client.get("/panel/").context["unsent_total"] == DASHBOARD_OPEN_LIMIT + 2
    detail = operator_client.get(f"/panel/enquiries/{enquiries[0].pk}/").content.decode()
    assert "Acknowledgement to the sender: waiting to be sent since" in detail


def test_the_search_box_ignores_case_in_polish(operator_client):
    user = get_user_model().objects.get(username="olga")
    logged(user, name="Zofia Żółć")
    logged(user, name="Piotr Zieliński")
    for q, who in (("żółć", "Zofia Żółć"), ("ZIELIŃSKI", "Piotr Zieliński")):
        names = {e.name for e in operator_client.get("/panel/enquiries/", {"q": q})
                 .context["page"].object_list}
        assert names == {who}


def test_a_bad_filter_value_is_ignored_alone_and_the_page_says_so(operator_client):
    user = get_user_model().objects.get(username="olga")
    logged(user, name="Still Open")
    change_status(enquiry=logged(user, name="Long Closed"), to_status="closed", actor=user)
    response = operator_client.get("/panel/enquiries/", {"status": "open", "mail": "bogus"})
    assert response.status_code == 200
    assert {e.name for e in response.context["page"].object_list} == {"Still Open"}
    text = response.content.decode()
    assert "This filter was not understood and was ignored: Mail." in text
    assert 'value="open" selected' in text  # the valid filter is kept, and shown
    assert "not understood" not in operator_client.get("/panel/enquiries/",
                                                        {"status": "open"}).content.decode()


def test_a_future_received_at_is_refused_beside_its_field(operator_client):
    page = operator_client.get("/panel/enquiries/new/").content.decode()
    assert "Leave empty for the current date and time." in page and "Format:" not in page
    assert 'Company <span class="opt">(optional)</span>' in page
    future = (timezone.localdate() + timedelta(days=2)).strftime("%Y-%m-%dT12:00")
    response = operator_client.post("/panel/enquiries/new/", {
        **DATA, "channel": "phone", "received_at": future, "language": "en"})
    assert response.status_code == 400
    html = response.content.decode()
    error = html.index('id="id_received_at_error"')
    assert "An enquiry cannot be received in the future." in html[error:error + 200]
    field = html[html.index('name="received_at"') - 300:html.index('name="received_at"') + 300]
    assert 'aria-invalid="true"' in field and "id_received_at_error" in field
    assert 'class="msg msg-error"' not in html  # no banner: the error is beside the field
    assert not Enquiry.objects.exists()


def test_the_log_form_reads_naturally_in_polish(operator_client):
    page = operator_client.get("/pl/panel/enquiries/new/").content.decode()
    assert 'Firma <span class="opt">(opcjonalnie)</span>' in page
    assert 'Data otrzymania <span class="opt">(opcjonalnie)</span>' in page
    assert "Opcjonalnie" not in page  # said once, in the label
    assert "Puste pole oznacza bieżącą datę i godzinę." in page


def test_the_history_speaks_words_not_codes_in_both_languages(
        operator_client, published, django_capture_on_commit_callbacks):
    from privet.enquiries.services import submit_enquiry

    user = get_user_model().objects.get(username="olga")
    with django_capture_on_commit_callbacks(execute=True):  # the worker sends, at once
        enquiry = submit_enquiry(data={**DATA, "project_type": "web_app"}, client_ref="c1",
                                 language="pl")
    change_status(enquiry=enquiry, to_status="offer", actor=user, reason="Wysłana")
    english = operator_client.get(f"/panel/enquiries/{enquiry.pk}/").content.decode()
    for words in ("Received through the contact form", "Contact form",
                  "Project type: Web application", "Language: Polski",
                  "Mail sent: Acknowledgement to the sender", "Worker", "Recipients: 1",
                  "Mail not sent: Notice to operators",
                  "No operator has an email address: add one to an account"):
        assert words in english, words
    for code in ("enquiry.mail_sent", "system:worker", "project_type:", "public:contact-form",
                 "NoOperatorAddress", "client:"):
        assert code not in english, code
    polish = operator_client.get(f"/pl/panel/enquiries/{enquiry.pk}/").content.decode()
    for words in ("Otrzymane przez formularz kontaktowy", "Rodzaj projektu: Aplikacja internetowa",
                  "Wysłano wiadomość: Potwierdzenie dla nadawcy", "Proces roboczy",
                  "Nie wysłano wiadomości: Powiadomienie dla operatorów",
                  "Żaden operator nie ma adresu e-mail"):
        assert words in polish, words
    dashboard = operator_client.get("/panel/")
    assert dashboard.context["unsent_total"] == 1  # the notice that went to nobody
    assert "No operator has an email address" in dashboard.content.decode()


def test_the_audit_log_names_users_and_links_enquiries_in_a_fixed_number_of_queries(
        officer_client, make_operator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    piotr = get_user_model().objects.get(username="piotr")
    first = logged(piotr)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert officer_client.get("/panel/audit/").status_code == 200
        return len(captured)

    few = queries()
    for n in range(6):  # more events, by more users, about more enquiries
        other = make_operator(f"op{n}")
        logged(other, name=f"Person {n}")
    assert queries() == few
    page = officer_client.get("/panel/audit/").content.decode()
    assert f'<a href="/panel/enquiries/{first.pk}/">Enquiry #{first.pk}</a>' in page
    row = page[page.index(f"Enquiry #{first.pk}</a>") - 600:]
    assert ('<td data-label="Actor">piotr</td><td data-label="Action">Enquiry logged in the panel</td>'
            in row)  # words, not codes
    assert "op5" in page


def test_a_back_dated_status_change_shows_its_day_not_an_invented_time(operator_client):
    user = get_user_model().objects.get(username="olga")
    enquiry = logged(user, received_at=timezone.now() - timedelta(days=10))
    day = (timezone.localdate() - timedelta(days=3)).isoformat()
    operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                         {"to_status": "offer", "effective_date": day})
    change = enquiry.status_changes.get(to_status="offer")
    assert change.date_only
    page = operator_client.get(f"/panel/enquiries/{enquiry.pk}/").content.decode()
    assert f'<time datetime="{day}">{day}</time>' in page
    # No invented end-of-day time on that day (other times on the page are real ones).
    assert f"{day} 23:59" not in page and f"{day}T23:59" not in page
    assert "(entered " in page  # and when it was entered, which is a real time
    event = AuditEvent.objects.get(action="enquiry.status_changed")
    assert f'"on":"{day}"' in event.details.replace(" ", "")
    # A change dated today keeps its real time.
    operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/", {"to_status": "project"})
    assert not enquiry.status_changes.get(to_status="project").date_only


def test_the_dashboard_tiles_and_ages_read_right_with_any_number(operator_client):
    user = get_user_model().objects.get(username="olga")
    for n in range(4):
        logged(user, name=f"New {n}")
    html = operator_client.get("/panel/").content.decode()
    tile = html[html.index('class="tile tile-new"'):]
    tile = tile[:tile.index("</a>")]
    assert tile.index("New enquiry") < tile.index(">4<")  # "New enquiry: 4", not "4 New enquiry"
    assert ">today<" in html and not re.search(r"\b0 days", html)  # "next 30 days" is fine
    polish = operator_client.get("/pl/panel/").content.decode()
    assert ">dzisiaj<" in polish and not re.search(r"\b0 dni", polish)
    listed = operator_client.get("/pl/panel/enquiries/").content.decode()
    assert "dzisiaj" in listed and "0 dni temu" not in listed


def test_an_objection_is_shown_and_the_enquiry_can_still_be_closed(operator_client):
    from privet.enquiries.services import record_enquiry_objection

    enquiry = logged("test")
    record_enquiry_objection(enquiries=Enquiry.objects.filter(pk=enquiry.pk), actor="test",
                             request_ref="R-000007")
    page = operator_client.get(f"/panel/enquiries/{enquiry.pk}/").content.decode()
    assert "objected to the processing of this enquiry (GDPR Art. 21)" in page
    polish = operator_client.get(f"/pl/panel/enquiries/{enquiry.pk}/").content.decode()
    assert "sprzeciw wobec przetwarzania tego zapytania (art. 21 RODO)" in polish
    refused = operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                                   {"to_status": "offer"}, follow=True)
    assert "Art. 21" in refused.content.decode()
    operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/", {"to_status": "closed"})
    enquiry.refresh_from_db()
    assert enquiry.status == "closed" and enquiry.closed_at is not None
    history = operator_client.get(f"/panel/enquiries/{enquiry.pk}/").content.decode()
    assert "The person objected to processing (GDPR Art. 21)" in history
    assert "R-000007" in history  # the rights request it came from


def test_logging_an_enquiry_with_bytes_that_are_not_utf8_stores_no_mojibake(operator_client):
    """Raw invalid UTF-8 was decoded as Latin-1 and stored as "JÿþKowalski": now it is refused."""
    body = (b"name=J\xff\xfeKowalski&email=jan%40example.com&project_type=website&message=Hi"
            b"&channel=email&received_at=2025-01-10T09%3A30&language=pl")
    response = operator_client.generic("POST", "/panel/enquiries/new/", body,
                                       content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "not valid text, so nothing was saved" in response.content.decode()
    assert not Enquiry.objects.exists()
