"""Every page of the panel and of the Django admin, in Polish, with demo-like data in it.

A Polish operator reads words, not codes: no English heading, filter, field name, app or model
name, and no raw code (a consent method, a purpose id, an audit action or actor) may show on a
page under /pl/. The list of English phrases below was built from what these pages showed
before they were translated; each is matched as a whole word, case-sensitively, in the text a
person reads (text, ``title``, ``aria-label``, ``alt``, ``placeholder``, button values). Text
inside an element marked ``translate="no"`` is data (a hash, a visitor id, the policy's own
YAML) and is left out, as a browser's translator would leave it.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.consent.services import record_consent
from privet.enquiries import demo_data, outbox, services
from privet.enquiries.models import OutgoingMail
from privet.panel.roles import ADMINISTRATOR, OPERATOR, PRIVACY_OFFICER
from privet.panel.services import assign_role
from privet.telemetry.recorder import flush

from .conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

VISITOR = "ab" * 16
RECEIPTS = 9  # "9 potwierdzeń zgód": the plural form Polish uses from 5 up

# English found on these pages in Polish before they were translated.
ENGLISH = [
    # third-party apps and models
    "Axes", "Django_Rq", "Django-RQ", "Otp_Totp", "Tasks Database Backend", "Task Result",
    "Task Results", "TOTP device", "TOTP devices", "Static device", "Access failures",
    "access failures", "access attempt expiration", "Access lock out", "Attempted Access",
    "Clean up expired attempts", "Attempt Remaining", "Locked Out", "User Agent", "HTTP Accept",
    "DBTaskResult object", "Search by user's username or email address", "relationship",
    "relationships", "User_groups object", "Group_permissions object",
    "Whether the user will be able to authenticate", "Work enquiries", "If disabled, the current password",
    # column headings, field names and help texts
    "Search", "Seq", "Created at", "Actor", "Action", "Object type", "Object id", "Subject ref",
    "Prev hash", "Hash", "Details", "Policy version", "Keyed pseudonym", "Site", "Visitor id",
    "Method", "method", "Gpc", "Policy hash", "Banner version", "Language", "User agent family",
    "Choices", "Website id from the declaration", "Random id kept", "Granted (true)",
    "The browser sent", "Content hash", "Browser family", "Version", "Effective", "Short hash",
    "Published at", "Published by", "Source", "User", "Name", "Last used at", "Confirmed",
    "Throttling failure count", "Throttling failure timestamp", "The user that this device",
    "The human-readable name", "Is this device ready", "The date and time when",
    "The most recent date", "Number of successive failed attempts", "Id", "Task name",
    "Enqueued at", "Started at", "Finished at", "Priority", "Queue name", "Task path",
    "Worker id", "Backend name", "Run after", "Return value", "Exception class path",
    "Traceback", "Args kwargs",
    # filter and cell values
    "True", "False", "None", "Accept all", "Reject all", "Saved settings", "Ready", "Running",
    "Successful", "Can add", "Can change", "Can delete", "Can view", "privacy officer",
    "Add", "Change", "Filter", "Access attempts", "Username",
    # raw codes
    "accept_all", "reject_all", "custom", "essential", "analytics", "marketing",
    "system:worker", "system:demo", "public:contact-form", "user:1",
    "enquiry.mail_not_sent", "enquiry.logged", "enquiry.received", "enquiry.note_added",
    "enquiry.status_changed", "panel.sign_in", "panel.sign_in_failed", "panel.role_changed",
    "policy.published", "auth.user", "enquiries.enquiry", "policy.policyversion",
    "verify_audit_chain", "factors", "ip_ref", "with_reason", "project_type", "web_app",
    "acknowledgement", "password+totp", "anonymous", "stage",
    # object names
    "receipt 1", " by ",
    # the rights pages (issue 10)
    "Rights requests", "Right", "Due", "Overdue", "Carry out", "Kept", "Erased",
    "Awaiting verification", "Verified", "Failed", "Completed", "Letter", "Deadline",
    "Assign", "Refuse", "Processing", "days left", "overdue by", "Contact details",
    "rights.logged", "rights.verified", "rights.extended", "contact_details",
    "after the contract ends", "Reason", "Ground", "Why",
    # the retention pages (issue 11)
    "Retention", "Legal holds", "Run now", "Dry run", "Expired", "Held", "deleted", "Store",
    "Completed with errors", "A claim or a dispute", "A tax audit", "One record",
    # the client integration pages (issue 12)
    "Clients", "New client", "Authorisations", "Scopes granted", "Active", "Revoked",
    "Granted", "Disconnect", "Purge it now", "Export", "Data held", "Endpoint",
    "Refused because", "Grant ledger", "Token refreshed", "Revoked by an operator",
    "TikTok business account", "Advertiser account", "Live authorisations",
    "Data from authorised integrations", "integrations.revoked", "owner",
]
ENGLISH_RE = re.compile("|".join(
    (r"(?<![\w.:-])" if p[0].isalnum() else "") + re.escape(p) + (r"(?![\w-])" if p[-1].isalnum() else "")
    for p in sorted(ENGLISH, key=len, reverse=True)))


class VisibleText(HTMLParser):
    """The text a person reads (or hears from a screen reader) on a page."""

    ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden: list[str] = []  # open elements whose text is not read (or is data)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.hidden:
            if tag not in self.VOID:
                self.hidden.append(tag)
            return
        if tag in ("script", "style", "template") or attributes.get("translate") == "no":
            if tag not in self.VOID:
                self.hidden.append(tag)
            return
        self.parts.extend(attributes[a] for a in self.ATTRIBUTES if attributes.get(a))
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.parts.append(attributes["value"])

    def handle_endtag(self, tag):
        if self.hidden and self.hidden[-1] == tag:
            self.hidden.pop()

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def english_on(html: str) -> list[str]:
    return sorted({m.group(0) for m in ENGLISH_RE.finditer(visible_text(html))})


@pytest.fixture
def demo_like(published, settings):
    """What `privet demo` shows after a little use: enquiries in every status, one mail the
    server refused, cookie choices of every kind, a failed sign-in, a queued task."""
    demo_data.load(io.StringIO())
    with mock.patch("django.db.transaction.on_commit"):  # its mail stays queued
        enquiry = services.submit_enquiry(
            data={"name": "Anna Kowalska", "company": "", "email": "anna@example.com", "phone": "",
                  "project_type": "web_app", "message": "Strona z rezerwacjami."},
            client_ref="c1", language="pl")
    outbox.mark_mail_failed(mail=OutgoingMail.objects.get(enquiry=enquiry, kind="acknowledgement"),
                            error="SMTPRecipientsRefused")
    for i in range(RECEIPTS):
        method = ("accept_all", "reject_all", "custom")[i % 3]
        record_consent(site="softcode", visitor_id=VISITOR, policy_hash=published.content_hash,
                       choices={"analytics": method == "accept_all", "marketing": method == "accept_all"},
                       method=method, gpc=i == 2, banner_version="2", language="pl")
    Client().post("/pl/panel/login/", {"username": "nobody", "password": "wrong"})
    flush()  # its security event, for the security events page
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from privet.audit.tasks import verify_audit_chain

    verify_audit_chain.enqueue()
    return enquiry


@pytest.fixture
def superuser_client(demo_like):
    """The demo's operator: a superuser with the administrator role, signed in with TOTP."""
    user = get_user_model().objects.create_superuser("ada", email="ada@example.com", password=PASSWORD)
    assign_role(user=user, role=ADMINISTRATOR, actor="test")
    TOTPDevice.objects.create(user=user, name="Aplikacja", confirmed=True)
    Client().post("/pl/panel/login/", {"username": "ada", "password": "not hers"})  # audited
    return sign_in(Client(), user)


def admin_pages() -> list[str]:
    """Every admin page of every registered model that has an object to show."""
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse("admin:app_list", args=[model._meta.app_label]),
                 reverse(f"{name}_changelist"), reverse(f"{name}_add")]
        obj = model._default_manager.order_by("pk").first() if model._meta.managed else None
        if obj is not None:
            urls += [reverse(f"{name}_{view}", args=[obj.pk]) for view in ("change", "history", "delete")]
    user = get_user_model().objects.get(username="ada")
    urls += [reverse("admin:auth_user_password_change", args=[user.pk]),
             reverse("admin:consent_consentreceipt_changelist") + f"?q={VISITOR}",
             reverse("admin:consent_consentreceipt_changelist") + "?method=accept_all",
             reverse("admin:audit_auditevent_changelist") + "?action=enquiry.mail_not_sent"]
    return list(dict.fromkeys(urls))


def polish(url: str) -> str:
    return url if url.startswith("/pl/") else "/pl" + url


def rights_pages() -> list[str]:
    """Rights requests in the states an operator meets (a plan, a failure, a result, a
    rectification, one waiting for proof, one overdue), with processing paused."""
    from datetime import timedelta

    from django.utils import timezone

    from privet.rights import engine as rights_engine
    from privet.rights import services as rights

    def logged(right: str, **extra):
        return rights.log_request(right=right, email="anna@example.com", actor="test",
                                  channel="letter", verified=True,
                                  verification_note="podpisany list", **extra)

    erasure = logged("erasure", received_at=timezone.now() - timedelta(days=40))
    rectification = logged("rectification", details="Nazwisko: Nowak.")
    waiting = rights.ask_for_proof(request=logged("access"), what="Kopia umowy.", actor="test")
    failed = logged("restriction")
    done = logged("erasure")
    type(done).objects.filter(pk=failed.pk).update(status="failed", error="OperationalError")
    type(done).objects.filter(pk=done.pk).update(status="completed", result={
        "sources": {"enquiries": {"records": 2, "holdings": {"contact_details": 2}, "erased": 1,
                                  "kept": [{"records": 1, "reason": "Projekt.",
                                            "rules": ["project_data/delivery after contract_end"]}]}},
        "recipients_notified": [], "archive": False})
    rights.extend(request=rectification, months=1, reason="Wiele źródeł.", actor="test")
    rights_engine.pause_processing(reason="Błąd w nocy.", actor="test")
    return ["/panel/rights/", "/panel/rights/?status=closed&right=erasure&overdue=on&mine=on",
            "/panel/rights/?status=bogus", "/panel/rights/new/",
            *(f"/panel/rights/{r.pk}/" for r in (erasure, rectification, waiting, failed, done))]


def retention_pages(enquiry) -> list[str]:
    """A finished run, a run with an error, holds on a person and on a record, one lifted."""
    from privet.retention import engine, holds
    from privet.retention.models import RetentionRun

    run = engine.sweep()
    failed = RetentionRun.objects.create(actor="system:retention", status="failed",
                                         errors=[{"target": "consent.receipts",
                                                  "error": "OperationalError"}])
    person = holds.place_hold(scope="person", reason="claim", email="anna@example.com",
                              note="Sprawa 12/2026", actor="test")
    record = holds.place_hold(scope="record", reason="tax_audit", record_key=str(enquiry.pk),
                              target="enquiries.without_offer", actor="test")
    holds.lift_hold(hold=record, actor="test", note="Kontrola zakończona.")
    return ["/panel/retention/", "/panel/retention/plan/", f"/panel/retention/runs/{run.pk}/",
            f"/panel/retention/runs/{failed.pk}/", "/panel/retention/holds/",
            "/panel/retention/holds/?state=all", "/panel/retention/holds/new/",
            f"/panel/retention/holds/new/?enquiry={enquiry.pk}",
            f"/panel/retention/holds/{person.pk}/", f"/panel/retention/holds/{record.pk}/"]


def integrations_pages() -> list[str]:
    """A client with a live grant and one disconnected, data held, a call and a refused call,
    a pending link, its contract ended; and a new client's form."""
    from privet.integrations import http
    from privet.integrations import services as integrations
    from privet.integrations.connectors import TokenSet, connectors
    from privet.integrations.models import OutboundCall

    client = integrations.create_client(name="Sklep Ewy", slug="sklep-ewy", actor="test")
    grants = []
    for account in ("konto-1", "konto-2"):
        link = integrations.create_link(client=client, connector_id="tiktok_business",
                                        flow_id="account", actor="test")
        grant = integrations.record_grant(link=link, tokens=TokenSet(
            access_token="t-" + account, scopes=("user.info.basic",), account_id=account))
        integrations.store_account(grant, kind="business_account", contract_name="business_account",
                                   item={"username": account, "display_name": "Ewa"},
                                   external_id=account)
        grants.append(grant)
    integrations.disconnect(grant=grants[1], actor="test")
    OutboundCall.objects.for_client(client).create(
        client=client, grant=grants[0], connector="tiktok_business", endpoint="account.profile",
        status=200, records=1, duration_ms=12)
    http.refuse(client, connectors.get("tiktok_business"), "account.profile", "scope_missing", "no")
    integrations.create_link(client=client, connector_id="tiktok_business", flow_id="advertiser",
                             actor="test")
    # The TikTok workflows (issue 13): a conversation, a campaign with a day, a sync run.
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from privet.integrations.models import Campaign, CampaignDay, Conversation, Message, SyncRun

    integrations.set_workflows(client=client, workflows=["moderation", "messages", "reporting"],
                               actor="test")
    talk = integrations.create_link(client=client, connector_id="tiktok_business", flow_id="account",
                                    actor="test")
    talker = integrations.record_grant(link=talk, tokens=TokenSet(
        access_token="t-rozmowy", scopes=("user.info.basic", "message.list.read",
                                          "message.list.send"), account_id="konto-3"))
    conversation = Conversation.objects.for_client(client).create(
        client=client, grant=talker, external_id="c-1", username="ania.k", updated=timezone.now())
    Message.objects.for_client(client).create(
        client=client, grant=talker, external_id="m-1", conversation_id="c-1", sender="ania.k",
        kind="TEXT", text="Dzień dobry", created=timezone.now())
    SyncRun.objects.for_client(client).create(client=client, grant=talker, workflow="messages",
                                              actor="test", status=SyncRun.Status.DONE,
                                              counts={"message": 1})
    ads = integrations.create_link(client=client, connector_id="tiktok_business",
                                   flow_id="advertiser", actor="test")
    advertiser = integrations.record_grant(link=ads, tokens=TokenSet(
        access_token="t-reklamy", scopes=(), account_id="7001"))
    Campaign.objects.for_client(client).create(client=client, grant=advertiser, external_id="c-9",
                                               advertiser_id="7001", name="Jesień")
    CampaignDay.objects.for_client(client).create(
        client=client, grant=advertiser, external_id="c-9:d", campaign_id="c-9",
        day=timezone.localdate() - timedelta(days=1), spend=Decimal("12.50"), impressions=1000,
        clicks=20, conversions=None, ctr=Decimal("2.0"), cpc=Decimal("0.625"), cpm=Decimal("12.5"))
    integrations.end_contract(client=client, actor="test")
    moderated = moderation_pages()
    return [*moderated, "/panel/clients/", "/panel/clients/new/", "/panel/clients/sklep-ewy/",
            f"/panel/clients/sklep-ewy/grants/{talker.pk}/messages/",
            f"/panel/clients/sklep-ewy/grants/{talker.pk}/messages/{conversation.pk}/",
            f"/panel/clients/sklep-ewy/grants/{advertiser.pk}/reports/",
            f"/panel/clients/sklep-ewy/grants/{talker.pk}/reports/",
            f"/panel/clients/sklep-ewy/grants/{grants[0].pk}/",
            f"/panel/clients/sklep-ewy/grants/{grants[1].pk}/",
            "/panel/audit/?action=integrations.revoked"]


def moderation_pages() -> list[str]:
    """A client that moderates comments: a live grant with every scope of it, a video, a
    comment with a reply by the account, a hidden one; its page, a video's comments, filtered,
    and one filter that finds nothing; a reply too long and a deletion not confirmed."""
    from privet.integrations import services as integrations
    from privet.integrations.connectors import TokenSet
    from privet.integrations.models import Comment, Video

    client = integrations.create_client(name="Piekarnia Ani", slug="piekarnia-ani",
                                        workflows=["moderation"], actor="test")
    link = integrations.create_link(client=client, connector_id="tiktok_business",
                                    flow_id="account", actor="test")
    grant = integrations.record_grant(link=link, tokens=TokenSet(
        access_token="t-ania", account_id="konto-ani", scopes=(
            "user.info.basic", "video.list", "comment.list", "comment.list.manage")))
    integrations.store_account(grant, kind="business_account", contract_name="business_account",
                               item={"username": "piekarnia_ani", "display_name": "Ania"},
                               external_id="konto-ani")
    Video.objects.for_client(client).create(client=client, grant=grant, external_id="71",
                                            caption="Chleb na zakwasie", comments=3)
    rows = [("81", "", "Pyszny!", "jan_k", False, "PUBLIC"),
            ("82", "81", "Dziękujemy!", "piekarnia_ani", True, "PUBLIC"),
            ("83", "", "Spam", "spamer", False, "HIDDEN")]
    comments = [Comment.objects.for_client(client).create(
        client=client, grant=grant, external_id=i, video_id="71", parent_id=p, text=t, username=u,
        by_account=b, status=st, replies=1 if i == "81" else 0) for i, p, t, u, b, st in rows]
    base = f"/panel/clients/piekarnia-ani/grants/{grant.pk}"
    return [f"{base}/moderation/", f"{base}/moderation/?video=71",
            f"{base}/moderation/?video=71&hidden=on&unanswered=on&q=spam",
            f"{base}/moderation/?video=71&q=nic", "/panel/clients/piekarnia-ani/",
            ("POST", f"{base}/comments/{comments[0].pk}/reply/",
             {f"c{comments[0].pk}-text": "x" * 151, "back": "video=71"}),
            ("POST", f"{base}/comments/{comments[0].pk}/delete/", {"back": "video=71"})]


def test_every_panel_and_admin_page_in_polish_shows_no_english(superuser_client, demo_like):
    pages = ["/panel/", "/panel/enquiries/", "/panel/enquiries/?mail=unsent", "/panel/enquiries/new/",
             f"/panel/enquiries/{demo_like.pk}/", "/panel/audit/",
             "/panel/audit/?action=enquiry.mail_not_sent", "/panel/consent/",
             f"/panel/consent/?visitor={VISITOR}", "/panel/security/",
             "/panel/security/?kind=sign_in_failed", *rights_pages(), *retention_pages(demo_like),
             *integrations_pages(), *admin_pages()]
    found = {}
    for url in pages:
        if isinstance(url, tuple):  # a form sent back with its error (400)
            _, url, data = url
            response = superuser_client.post(polish(url), data)
            assert response.status_code == 400, (url, response.status_code)
        else:
            response = superuser_client.get(polish(url))
        if response.status_code == 403 and url.endswith(("/add/", "/delete/")):
            continue  # nobody may add or delete these: no page to read
        assert response.status_code in (200, 400), (url, response.status_code)
        assert response.headers["Content-Language"] == "pl", url
        if english := english_on(response.content.decode()):
            found[url] = english
    assert not found, "English on Polish pages:\n" + "\n".join(f"{u}: {e}" for u, e in found.items())


def test_sign_in_and_refusal_pages_in_polish_show_no_english(make_operator):
    anonymous = Client()
    assert english_on(anonymous.get("/pl/panel/login/").content.decode()) == []
    newcomer = make_operator("olga", PRIVACY_OFFICER, device=False)
    client = Client()
    client.post("/pl/panel/login/", {"username": newcomer.username, "password": PASSWORD})
    assert english_on(client.get("/pl/panel/login/enrol/").content.decode()) == []
    operator = make_operator("piotr", OPERATOR)
    client = Client()
    client.post("/pl/panel/login/", {"username": operator.username, "password": PASSWORD})
    assert english_on(client.get("/pl/panel/login/verify/").content.decode()) == []
    refused = sign_in(Client(), operator).get("/pl/panel/audit/")
    assert refused.status_code == 403 and english_on(refused.content.decode()) == []


def test_counts_use_polish_plural_forms(superuser_client):
    page = superuser_client.get("/pl/panel/admin/consent/consentreceipt/").content.decode()
    assert f"{RECEIPTS} potwierdzeń zgód" in visible_text(page)
    assert f"{RECEIPTS} potwierdzenia zgód" not in visible_text(page)


@pytest.mark.parametrize(("n", "words"), [(1, "1 potwierdzenie zgody"), (3, "3 potwierdzenia zgód"),
                                          (5, "5 potwierdzeń zgód"), (12, "12 potwierdzeń zgód"),
                                          (22, "22 potwierdzenia zgód")])
def test_a_count_of_records_agrees_with_its_number(n, words):
    from django.utils import translation

    from privet.consent.models import ConsentReceipt
    from privet.panel.templatetags.panel_admin import count_of

    with translation.override("pl"):
        assert count_of(n, ConsentReceipt._meta) == words
    with translation.override("en"):
        assert count_of(n, ConsentReceipt._meta) == f"{n} consent receipt{'s' if n != 1 else ''}"


def test_the_english_admin_still_reads_as_english(superuser_client):
    page = visible_text(superuser_client.get("/panel/admin/consent/consentreceipt/").content.decode())
    assert f"{RECEIPTS} consent receipts" in page and "Accept all" in page and "Choice" in page
    audit = visible_text(superuser_client.get("/panel/audit/").content.decode())
    assert "Mail not sent" in audit and "Worker" in audit and "enquiry.mail_not_sent" not in audit

