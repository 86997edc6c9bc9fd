"""The TikTok workflows in the panel (issue 13): the client's workflows (who may change them,
audited, the link's scopes follow), "Sync now" (against the contract fake; a workflow whose
scope was not granted is not attempted), messages and replies (reflected only once the
platform confirms; too long or not granted: refused with no call), campaign reports (the
fake's figures, the chart, range errors) and their CSV export (audited, safe cells)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client as Browser
from django.utils import timezone

from privet.integrations import services
from privet.integrations.models import (
    AuthorisationLink,
    Campaign,
    CampaignDay,
    Client,
    Conversation,
    Grant,
    Message,
    SyncRun,
    Video,
)
from privet.integrations.sync import run_workflow
from privet.integrations.tests import conftest as integrations_fixtures
from privet.integrations.tests.conftest import audit_events, authorise
from privet.integrations.tiktok.connector import MESSAGE_MAX, TIKTOK
from privet.integrations.tiktok.fake import report_metrics
from privet.panel.roles import ADMINISTRATOR, OPERATOR

from .conftest import sign_in
from .test_integrations_pages import text

pytestmark = pytest.mark.django_db
# The contract fake and its configured app (the integrations tests' fixtures).
tiktok_fake = integrations_fixtures.tiktok_fake


@pytest.fixture
def people(make_operator):
    return {"olga": make_operator("olga", OPERATOR), "ada": make_operator("ada", ADMINISTRATOR)}


@pytest.fixture
def browser():
    signed_in: dict[int, Browser] = {}

    def get(user) -> Browser:
        if user.pk not in signed_in:
            signed_in[user.pk] = sign_in(Browser(), user)
        return signed_in[user.pk]

    return get


def connect(client: Client, flow: str = "account", scopes=None) -> Grant:
    link = services.create_link(client=client, connector_id=TIKTOK.id, flow_id=flow, scopes=scopes,
                                actor="test")
    journey = authorise(link)
    assert journey.response.status_code == 200, journey.response.content
    link.refresh_from_db()
    return Grant.objects.for_client(client).get(pk=link.grant_id)


@pytest.fixture
def acme(people, published, tiktok_fake) -> Client:
    client = services.create_client(name="Acme", slug="acme", actor="test")
    services.assign_operators(client=client, users=[people["olga"]], actor="test")
    services.set_workflows(client=client, workflows=["moderation", "messages", "insights",
                                                     "reporting"], actor="test")
    return client


# --- workflows ---------------------------------------------------------------------------------------

def test_only_an_administrator_changes_the_workflows_and_it_is_audited(people, acme, browser):
    olga, ada = browser(people["olga"]), browser(people["ada"])
    page = olga.get("/panel/clients/acme/")
    assert page.status_code == 200 and 'action="/panel/clients/acme/workflows/"' not in page.content.decode()
    assert "Comment moderation" in text(page)  # read-only
    assert olga.post("/panel/clients/acme/workflows/", {"workflows": ["messages"]}).status_code == 403
    assert Client.objects.get(slug="acme").workflows == ["insights", "messages", "moderation", "reporting"]
    page = ada.get("/panel/clients/acme/")
    assert 'action="/panel/clients/acme/workflows/"' in page.content.decode()
    assert "The account's direct-message conversations" in text(page)  # descriptions shown
    response = ada.post("/panel/clients/acme/workflows/", {"workflows": ["messages"]})
    assert response.status_code == 302
    assert Client.objects.get(slug="acme").workflows == ["messages"]
    assert audit_events("integrations.workflows_set")[-1] == {
        "client": "acme", "added": [], "removed": ["insights", "moderation", "reporting"]}
    response = ada.post("/panel/clients/acme/workflows/", {"workflows": ["nope"]})
    assert response.status_code == 400 and "workflows" in response.context["workflows_form"].errors
    assert Client.objects.get(slug="acme").workflows == ["messages"]


def test_the_link_form_ticks_the_workflows_scopes_and_an_empty_choice_asks_for_them(people, acme, browser):
    services.set_workflows(client=acme, workflows=["messages"], actor="test")
    olga = browser(people["olga"])
    form = olga.get("/panel/clients/acme/").context["link_form"]
    assert sorted(form.initial["scopes"]) == sorted(TIKTOK.scopes_for("account", ["messages"]))
    response = olga.post("/panel/clients/acme/links/", {"flow": f"{TIKTOK.id}:account",
                                                         "language": "pl"})
    assert response.status_code == 200, response.context["link_form"].errors
    link = AuthorisationLink.objects.for_client(acme).order_by("-pk").first()
    assert link.scopes == sorted(TIKTOK.scopes_for("account", ["messages"]))


def test_the_scopes_left_as_pre_ticked_make_an_advertiser_link_too(people, acme, browser):
    """The page has no script to tick by the authorisation chosen: the pre-ticked account scopes
    sent with the advertiser flow mean "what the workflows need", not a refused request."""
    olga = browser(people["olga"])
    ticked = olga.get("/panel/clients/acme/").context["link_form"].initial["scopes"]
    assert ticked and not set(ticked) & set(TIKTOK.flows["advertiser"].scopes)
    response = olga.post("/panel/clients/acme/links/", {"flow": f"{TIKTOK.id}:advertiser",
                                                         "scopes": ticked, "language": "en"})
    assert response.status_code == 200, response.context["link_form"].errors
    link = AuthorisationLink.objects.for_client(acme).order_by("-pk").first()
    assert (link.flow, link.scopes) == ("advertiser", [])
    # A choice the operator changed is still checked against the authorisation.
    response = olga.post("/panel/clients/acme/links/", {"flow": f"{TIKTOK.id}:advertiser",
                                                         "scopes": ticked[:1], "language": "en"})
    assert response.status_code == 400 and "scopes" in response.context["link_form"].errors


# --- Sync now ----------------------------------------------------------------------------------------

def test_sync_now_brings_the_records_in_and_never_attempts_an_unavailable_workflow(people, acme, browser,
                                                                                  tiktok_fake):
    tiktok_fake.grant_only(["user.info.basic", "video.list", "comment.list", "comment.list.manage"])
    grant = connect(acme)
    olga = browser(people["olga"])
    page = text(olga.get("/panel/clients/acme/"))
    assert "the owner did not grant: message.list.read, message.list.send" in page
    assert "the owner did not grant: user.insights" in page
    response = olga.post(f"/panel/clients/acme/grants/{grant.pk}/sync/")
    assert response.status_code == 302
    assert Video.objects.for_client(acme).filter(grant=grant).count() == len(tiktok_fake.videos)
    runs = SyncRun.objects.for_client(acme).filter(grant=grant)
    assert {r.workflow for r in runs} == {"moderation"} and runs.get().status == SyncRun.Status.DONE
    assert tiktok_fake.call_count("business/message/conversation/list/") == 0
    assert audit_events("integrations.sync_requested")[-1] == {"client": "acme",
                                                               "workflow": ["moderation"]}
    page = olga.get("/panel/clients/acme/")
    assert "Sync requested: Comment moderation." in text(page)
    assert "Done" in text(page)


def test_sync_of_another_clients_grant_is_a_404(people, acme, browser):
    other = services.create_client(name="Globex", slug="globex", actor="test")
    grant = connect(other)
    assert browser(people["olga"]).post(f"/panel/clients/acme/grants/{grant.pk}/sync/").status_code == 404
    assert browser(people["olga"]).post(f"/panel/clients/globex/grants/{grant.pk}/sync/").status_code == 404
    assert not SyncRun.objects.for_client(other).exists()


# --- messages ----------------------------------------------------------------------------------------

@pytest.fixture
def synced_messages(acme):
    grant = connect(acme)
    assert run_workflow(grant, "messages").status == SyncRun.Status.DONE
    return grant


def test_conversations_newest_first_and_their_messages_oldest_first(people, synced_messages, browser,
                                                                     tiktok_fake):
    grant = synced_messages
    olga = browser(people["olga"])
    page = olga.get(f"/panel/clients/acme/grants/{grant.pk}/messages/")
    assert page.status_code == 200
    shown = page.context["conversations"]
    assert [c.updated for c in shown] == sorted((c.updated for c in shown), reverse=True)
    assert all(c.username and c.username in text(page) for c in shown)
    conversation = shown[0]
    page = olga.get(f"/panel/clients/acme/grants/{grant.pk}/messages/{conversation.pk}/")
    assert page.status_code == 200
    messages = page.context["messages_shown"]
    assert [m.external_id for m in messages] == [
        m["message_id"] for m in tiktok_fake.messages_of(conversation.external_id)]
    assert any(m.by_account for m in messages) and "message-ours" in page.content.decode()


def test_a_reply_is_stored_only_once_the_platform_confirms_it(people, synced_messages, browser, tiktok_fake):
    grant = synced_messages
    conversation = Conversation.objects.for_client(grant.client).filter(grant=grant).first()
    url = f"/panel/clients/acme/grants/{grant.pk}/messages/{conversation.pk}/"
    olga = browser(people["olga"])
    tiktok_fake.fail_next(1, code=40002)  # the platform refuses: nothing stored
    before = Message.objects.for_client(grant.client).count()
    response = olga.post(url, {"text": "Zapraszamy jutro!"})
    assert response.status_code == 502 and "did not accept" in text(response)
    assert Message.objects.for_client(grant.client).count() == before
    response = olga.post(url, {"text": "Zapraszamy jutro!"})
    assert response.status_code == 302
    sent = tiktok_fake.messages_of(conversation.external_id)[-1]
    stored = Message.objects.for_client(grant.client).get(external_id=sent["message_id"])
    assert stored.by_account and stored.text == "Zapraszamy jutro!"
    assert "Zapraszamy jutro!" in text(olga.get(url))
    assert audit_events("integrations.message_sent")[-1] == {
        "client": "acme", "conversation": conversation.external_id, "length": 17}


@pytest.mark.parametrize("words", ["", "   ", "x" * (MESSAGE_MAX + 1)])
def test_an_empty_or_too_long_reply_is_refused_beside_the_field_with_no_call(people, synced_messages,
                                                                             browser, tiktok_fake, words):
    grant = synced_messages
    conversation = Conversation.objects.for_client(grant.client).filter(grant=grant).first()
    calls = tiktok_fake.call_count("business/message/send/")
    response = browser(people["olga"]).post(
        f"/panel/clients/acme/grants/{grant.pk}/messages/{conversation.pk}/", {"text": words})
    assert response.status_code == 400
    assert "text" in response.context["form"].errors and 'id="id_text_error"' in response.content.decode()
    assert tiktok_fake.call_count("business/message/send/") == calls
    assert not audit_events("integrations.message_sent")


def test_without_the_send_scope_there_is_no_reply_box_and_a_post_is_refused(people, acme, browser,
                                                                           tiktok_fake):
    tiktok_fake.grant_only(["user.info.basic", "message.list.read"])
    grant = connect(acme)
    conversation = Conversation.objects.for_client(acme).create(
        client=acme, grant=grant, external_id=tiktok_fake.conversations[0]["conversation_id"],
        username="ania.k", updated=timezone.now())
    url = f"/panel/clients/acme/grants/{grant.pk}/messages/{conversation.pk}/"
    olga = browser(people["olga"])
    page = olga.get(url)
    assert page.context["form"] is None and "did not grant sending messages" in text(page)
    response = olga.post(url, {"text": "Hej"})
    assert response.status_code == 400 and "message.list.send" in text(response)
    assert tiktok_fake.call_count("business/message/send/") == 0


def test_without_the_read_scope_no_conversation_is_shown(people, acme, browser, tiktok_fake):
    tiktok_fake.grant_only(["user.info.basic", "video.list"])
    grant = connect(acme)
    Conversation.objects.for_client(acme).create(client=acme, grant=grant, external_id="c-1",
                                                 username="hidden.person")
    page = browser(people["olga"]).get(f"/panel/clients/acme/grants/{grant.pk}/messages/")
    assert page.status_code == 200 and "hidden.person" not in text(page)
    assert "did not grant reading messages" in text(page)


# --- campaign reports --------------------------------------------------------------------------------

@pytest.fixture
def reporting(acme):
    grant = connect(acme, flow="advertiser")
    assert run_workflow(grant, "reporting").status == SyncRun.Status.DONE
    return grant


def test_the_report_shows_the_platforms_figures_totals_and_a_chart(people, reporting, browser):
    grant = reporting
    campaign = Campaign.objects.for_client(grant.client).filter(grant=grant).first()
    today = timezone.localdate()
    page = browser(people["olga"]).get(f"/panel/clients/acme/grants/{grant.pk}/reports/",
                                       {"campaign": campaign.external_id})
    assert page.status_code == 200
    [report] = page.context["reports"]
    assert report.days[0].day == today - timedelta(days=29) and report.days[-1].day == today
    for day in report.days:
        expected = report_metrics(campaign.external_id, day.day)
        assert day.spend == Decimal(expected["spend"]) and day.clicks == int(expected["clicks"])
        assert day.impressions == int(expected["impressions"])
        assert day.cpm == Decimal(expected["cpm"]) and day.conversions == int(expected["conversion"])
    spend = sum(Decimal(report_metrics(campaign.external_id, d.day)["spend"]) for d in report.days)
    assert report.totals.spend == spend
    body = page.content.decode()
    assert "<svg" in body and 'class="chart-line chart-spend"' in body and " style=" not in body
    assert f"{spend:.2f}" in text(page)


@pytest.mark.parametrize(("query", "field"), [
    ({"start": "2026-13-01"}, "start"),
    ({"start": "2025-03-10", "end": "2025-03-01"}, "end"),
    ({"start": "2024-01-01", "end": "2025-06-01"}, "end"),
])
def test_a_bad_or_reversed_range_is_refused_beside_the_field(people, reporting, browser, query, field):
    page = browser(people["olga"]).get(f"/panel/clients/acme/grants/{reporting.pk}/reports/", query)
    assert page.status_code == 400 and field in page.context["form"].errors
    assert f'id="id_{field}_error"' in page.content.decode()
    csv_page = browser(people["olga"]).get(f"/panel/clients/acme/grants/{reporting.pk}/reports.csv", query)
    assert csv_page.status_code == 400 and not audit_events("integrations.report_exported")


def test_the_csv_export_is_audited_and_its_cells_are_safe(people, reporting, browser):
    grant = reporting
    campaign = Campaign.objects.for_client(grant.client).filter(grant=grant).first()
    campaign.name = "=HYPERLINK(\"http://evil\")"
    campaign.save()
    start = timezone.localdate() - timedelta(days=6)
    end = timezone.localdate()
    response = browser(people["olga"]).get(
        f"/panel/clients/acme/grants/{grant.pk}/reports.csv",
        {"campaign": campaign.external_id, "start": start.isoformat(), "end": end.isoformat()})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["campaign_id", "campaign", "day"] and len(rows) == 8
    assert all(r[1].startswith("'=") for r in rows[1:])
    assert rows[1][3] == report_metrics(campaign.external_id, start)["spend"]
    assert audit_events("integrations.report_exported")[-1] == {
        "client": "acme", "campaign": campaign.external_id,
        "range": f"{start.isoformat()}/{end.isoformat()}", "records": 7, "format": "csv"}
    assert CampaignDay.objects.for_client(grant.client).exists()


def test_an_account_grant_shows_its_statistics_on_the_reports_page(people, acme, browser):
    grant = connect(acme)
    assert run_workflow(grant, "insights").status == SyncRun.Status.DONE
    page = browser(people["olga"]).get(f"/panel/clients/acme/grants/{grant.pk}/reports/")
    assert page.status_code == 200 and page.context["account_days"]
    assert "Account statistics" in text(page)

