"""The panel's audit log: filters by period, actor and action, a CSV export of what is filtered,
and a "verify the chain" button, all for the privacy officer only."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from privet.audit.models import AuditEvent
from privet.audit.services import append_events
from privet.audit.tests.tampering import guard_lifted
from privet.panel.roles import OPERATOR

from .conftest import sign_in

pytestmark = pytest.mark.django_db


def local(day: str, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(day).replace(hour=hour))


@pytest.fixture
def history(db):
    """Events on three days, by a person, the worker and the contact form."""
    append_events([
        {"actor": "system:worker", "action": "enquiry.mail_sent", "object_type": "enquiries.enquiry",
         "object_id": "1", "created_at": local("2026-10-01")},
        {"actor": "public:contact-form", "action": "enquiry.received", "object_type": "enquiries.enquiry",
         "object_id": "2", "created_at": local("2026-10-02", 0)},
        {"actor": "system:worker", "action": "enquiry.mail_sent", "object_type": "enquiries.enquiry",
         "object_id": "2", "created_at": local("2026-10-02", 23)},
        {"actor": "public:contact-form", "action": "enquiry.received", "object_type": "enquiries.enquiry",
         "object_id": "3", "created_at": local("2026-10-03")},
    ])


def shown(response) -> list[str]:
    """The object ids of the events the page lists, as "#<id>", newest first."""
    body = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    return [cell.split("<")[0] for cell in body.split("Enquiry #")[1:]]


def test_the_log_filters_by_period_actor_and_action(officer_client, history):
    assert shown(officer_client.get("/panel/audit/", {"action": "enquiry.mail_sent"})) == ["2", "1"]
    assert shown(officer_client.get("/panel/audit/", {"start": "2026-10-02", "end": "2026-10-02"})) == [
        "2", "2"]  # both ends of the day, local time
    page = officer_client.get("/panel/audit/", {"start": "2026-10-02", "actor": "public:contact-form"})
    assert shown(page) == ["3", "2"]
    text = page.content.decode()
    assert '<option value="public:contact-form" selected>Contact form</option>' in text
    assert "2 events" in text
    # the export link carries the same filters
    assert 'href="/panel/audit/export.csv?start=2026-10-02&amp;actor=public%3Acontact-form"' in text
    assert shown(officer_client.get("/panel/audit/", {"end": "2026-10-01"})) == ["1"]


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"start": "2026-10-03", "end": "2026-10-01"}, "end", "The period cannot end before it starts."),
    ({"start": "0001-01-01"}, "start", "Enter a day from 2000-01-01 on."),
    ({"end": "9999-12-31"}, "end", "The date cannot be in the future."),
    ({"start": "yesterday"}, "start", "Enter a date like 2025-06-30."),
    ({"action": "no.such_action"}, "action", "Select a valid choice."),
    ({"actor": "user:999"}, "actor", "Select a valid choice."),
])
def test_a_bad_filter_is_explained_beside_its_field_and_lists_nothing(
        officer_client, history, query, field, message):
    for url in ("/panel/audit/", "/panel/audit/export.csv"):
        response = officer_client.get(url, query)
        assert response.status_code == 400
        text = response.content.decode()
        assert f'<p class="error" role="alert" id="id_{field}_error">{message}' in text
        assert 'aria-invalid="true"' in text
        assert "<tbody>" not in text
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def rows_of(response) -> list[list[str]]:
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="privet-audit-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_export_is_the_filtered_events_oldest_first_and_is_audited(officer_client, history):
    header, *rows = rows_of(officer_client.get("/panel/audit/export.csv",
                                               {"action": "enquiry.mail_sent"}))
    assert header[:5] == ["Event", "When (UTC)", "Actor", "Actor name", "Action"]
    assert [(r[2], r[3], r[4], r[6]) for r in rows] == [
        ("system:worker", "Worker", "enquiry.mail_sent", "1"),
        ("system:worker", "Worker", "enquiry.mail_sent", "2")]
    assert int(rows[0][0]) < int(rows[1][0])
    assert rows[0][1] == "2026-10-01T10:00:00.000000+00:00"  # as hashed: UTC, to the microsecond
    stored = AuditEvent.objects.get(seq=int(rows[1][0]))
    assert rows[1][-2:] == [stored.prev_hash, stored.hash]  # so the file can be checked too
    exported = AuditEvent.objects.get(action="audit.exported")
    piotr = get_user_model().objects.get(username="piotr")
    assert exported.actor == f"user:{piotr.pk}"
    assert json.loads(exported.details) == {"filters": {"action": "enquiry.mail_sent"}}


def test_the_export_cannot_run_a_formula_in_a_spreadsheet(officer_client):
    append_events([{"actor": "+cli", "action": "thing.done", "object_type": "=thing",
                    "object_id": "=HYPERLINK(\"http://evil.example\",\"x\")",
                    "details": {"note": "@SUM(1+1)"}},
                   {"actor": "cli", "action": "-thing", "object_type": "thing", "object_id": "-1"}])
    rows = rows_of(officer_client.get("/panel/audit/export.csv"))
    first, second = (r for r in rows if r[4] in ("thing.done", "'-thing"))
    assert first[2] == "'+cli" and first[5] == "'=thing"
    assert first[6] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert first[9] == '{"note":"@SUM(1+1)"}'  # JSON starts with "{": nothing to run
    assert second[4] == "'-thing" and second[6] == "'-1"


def test_a_long_log_is_streamed_in_chunks(officer_client):
    append_events([{"actor": "cli", "action": "thing.done", "object_id": str(i),
                    "details": {"padding": "x" * 100}} for i in range(3000)])
    response = officer_client.get("/panel/audit/export.csv")
    chunks = list(response.streaming_content)
    assert len(chunks) > 3  # sent as it is read, not built whole first
    lines = b"".join(chunks).decode("utf-8-sig").count("\r\n")
    assert lines == 1 + AuditEvent.objects.count()  # the header, and every event


def test_verify_the_chain_from_the_panel_shows_the_result_and_records_it(officer_client, history):
    response = officer_client.post("/panel/audit/verify/", follow=True)
    assert response.redirect_chain == [("/panel/audit/", 302)]
    total = AuditEvent.objects.count() - 1  # all but the event recording the verification
    assert f"The audit chain is intact: {total} events verified." in response.content.decode()
    verified = AuditEvent.objects.get(action="audit.verified")
    assert verified.actor.startswith("user:")

    edited = AuditEvent.objects.get(action="enquiry.received", object_id="2").seq
    with guard_lifted():  # someone with database access edits an event
        AuditEvent.objects.filter(seq=edited).update(object_id="99")
    text = officer_client.post("/panel/audit/verify/", follow=True).content.decode()
    assert (f"The audit chain is BROKEN at event #{edited}: event #{edited} was changed after it "
            f"was written. {edited - 1} events before it verified.") in text
    assert 'class="msg msg-error"' in text
    assert AuditEvent.objects.filter(action="audit.broken").count() == 1


def test_only_the_privacy_officer_sees_exports_and_verifies(make_operator, history):
    operator = sign_in(Client(), make_operator("olga", OPERATOR))
    for method, url in (("get", "/panel/audit/"), ("get", "/panel/audit/export.csv"),
                        ("post", "/panel/audit/verify/")):
        response = getattr(operator, method)(url)
        assert response.status_code == 403, url
        assert b"text/csv" not in response["Content-Type"].encode()
    assert not AuditEvent.objects.filter(action__in=["audit.exported", "audit.verified"]).exists()
    assert Client().post("/panel/audit/verify/").status_code == 302  # to the sign-in page


def test_verify_is_a_button_not_a_link(officer_client, history):
    assert officer_client.get("/panel/audit/verify/").status_code == 405
    text = officer_client.get("/panel/audit/").content.decode()
    assert 'action="/panel/audit/verify/"' in text and "Verify the chain" in text


def test_the_page_is_in_polish_too(officer_client, history):
    text = officer_client.get("/pl/panel/audit/", {"start": "2026-10-03", "end": "2026-10-01"}
                              ).content.decode()
    for english in ("Verify the chain", "The period cannot end before it starts.", "Anyone",
                    ">From<", ">To<"):
        assert english not in text, english
    assert "Sprawdź łańcuch" in text
    assert "Okres nie może się kończyć przed swoim początkiem." in text
