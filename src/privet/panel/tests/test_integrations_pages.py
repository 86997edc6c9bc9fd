"""The client integration pages: the clients list, a new client, a client's page (grants, links,
calls, data held, "Disconnect and purge", contract end, operators), a grant and its ledger, the
client's own export, and the dashboard card. Real services, real database, the panel's real
sign-in; grants are recorded through the services (no platform needed)."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as Browser

from privet.audit.models import AuditEvent
from privet.integrations import http, selectors, services
from privet.integrations.connectors import TokenSet, connectors
from privet.integrations.models import (
    AuthorisationLink,
    Client,
    Grant,
    GrantEvent,
    OutboundCall,
    PlatformAccount,
)
from privet.panel.roles import ADMINISTRATOR, OPERATOR, PRIVACY_OFFICER

from .conftest import sign_in

pytestmark = pytest.mark.django_db
TIKTOK = "tiktok_business"


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def a_client(name: str, slug: str, *operators) -> Client:
    client = services.create_client(name=name, slug=slug, actor="test")
    services.assign_operators(client=client, users=operators, actor="test")
    return client


def a_grant(client: Client, account: str = "acct-1", *, token: str = "tok-secret-1",
            scopes=("user.info.basic", "video.list"), sent_by="test") -> Grant:
    link = services.create_link(client=client, connector_id=TIKTOK, flow_id="account",
                                scopes=list(scopes), actor=sent_by)
    grant = services.record_grant(link=link, tokens=TokenSet(
        access_token=token, refresh_token=token + "-r", scopes=tuple(scopes), account_id=account,
        expires_in=86400))
    services.store_account(grant, kind="business_account", contract_name="business_account",
                           item={"username": f"{client.slug}_shop", "display_name": f"{client.name} Shop",
                                 "followers_count": 12, "email": "never-kept@example.com"},
                           external_id=account)
    return grant


def events(action: str) -> list[dict]:
    """The details of every audit event ``action``, oldest first."""
    return [json.loads(e.details) for e in AuditEvent.objects.filter(action=action).order_by("pk")]


@pytest.fixture
def people(make_operator):
    return {"olga": make_operator("olga", OPERATOR), "oskar": make_operator("oskar", OPERATOR),
            "piotr": make_operator("piotr", PRIVACY_OFFICER), "ada": make_operator("ada", ADMINISTRATOR)}


@pytest.fixture
def two_clients(people, published):
    """Acme (Olga's) with a grant, data and calls; Globex (Oskar's) with its own."""
    acme = a_client("Acme", "acme", people["olga"])
    globex = a_client("Globex", "globex", people["oskar"])
    acme_grant = a_grant(acme, sent_by=people["olga"])
    globex_grant = a_grant(globex, "acct-globex", token="tok-globex")
    OutboundCall.objects.for_client(acme).create(
        client=acme, grant=acme_grant, connector=TIKTOK, endpoint="account.profile", status=200,
        platform_code=0, records=1, duration_ms=42)
    http.refuse(acme, connectors.get(TIKTOK), "account.videos", "endpoint_not_declared", "no")
    return {"acme": acme, "globex": globex, "acme_grant": acme_grant, "globex_grant": globex_grant}


@pytest.fixture
def browser():
    """A signed-in browser per user (signing in twice would reuse a TOTP code, refused)."""
    signed_in: dict[int, Browser] = {}

    def get(user) -> Browser:
        if user.pk not in signed_in:
            signed_in[user.pk] = sign_in(Browser(), user)
        return signed_in[user.pk]

    return get


def client_pages(slug: str, grant: Grant) -> list[str]:
    return [f"/panel/clients/{slug}/", f"/panel/clients/{slug}/grants/{grant.pk}/",
            f"/panel/clients/{slug}/export.csv", f"/panel/clients/{slug}/export.json"]


# --- who sees what ---------------------------------------------------------------------------------

def test_an_operator_sees_only_their_clients_and_gets_404_for_any_other(people, two_clients, browser):
    olga = browser(people["olga"])
    listing = text(olga.get("/panel/clients/"))
    assert "Acme" in listing and "Globex" not in listing
    assert "New client" not in listing
    for url in client_pages("acme", two_clients["acme_grant"]):
        assert olga.get(url).status_code == 200, url
    # Globex's pages, and Globex's grant under Acme's address: 404, never 403.
    for url in [*client_pages("globex", two_clients["globex_grant"]),
                f"/panel/clients/acme/grants/{two_clients['globex_grant'].pk}/",
                "/panel/clients/nobody/"]:
        response = olga.get(url)
        assert response.status_code == 404, url
        assert b"Globex" not in response.content and b"acct-globex" not in response.content
    for url in ["/panel/clients/globex/links/", "/panel/clients/globex/contract-end/",
                f"/panel/clients/globex/grants/{two_clients['globex_grant'].pk}/disconnect/",
                f"/panel/clients/acme/grants/{two_clients['globex_grant'].pk}/disconnect/"]:
        prefix = f"g{two_clients['globex_grant'].pk}"
        assert olga.post(url, {f"{prefix}-purge": "now", f"{prefix}-confirm": "on"}).status_code == 404
    assert Grant.objects.for_client(two_clients["globex"]).get().live
    assert Client.objects.get(slug="globex").contract_ended_at is None


def test_an_operator_may_not_create_clients_or_assign_operators(people, two_clients, browser):
    olga = browser(people["olga"])
    assert olga.get("/panel/clients/new/").status_code == 403
    assert olga.post("/panel/clients/new/", {"name": "X", "slug": "x", "language": "pl"}).status_code == 403
    assert olga.post("/panel/clients/acme/operators/",
                     {"operators": [people["oskar"].pk]}).status_code == 403
    assert not Client.objects.filter(slug="x").exists()
    assert list(two_clients["acme"].operators.all()) == [people["olga"]]


def test_the_privacy_officer_sees_every_client_but_does_not_manage_them(people, two_clients, browser):
    piotr = browser(people["piotr"])
    listing = text(piotr.get("/panel/clients/"))
    assert "Acme" in listing and "Globex" in listing and "New client" not in listing
    for slug, grant in (("acme", two_clients["acme_grant"]), ("globex", two_clients["globex_grant"])):
        for url in client_pages(slug, grant):
            assert piotr.get(url).status_code == 200, url
    assert "Save the assignment" not in text(piotr.get("/panel/clients/acme/"))
    assert piotr.get("/panel/clients/new/").status_code == 403


def test_nobody_without_the_role_sees_the_pages(make_operator, two_clients, browser):
    nobody = browser(make_operator("nina", None))
    assert nobody.get("/panel/clients/").status_code == 403
    assert nobody.get("/panel/clients/acme/").status_code == 403
    assert Browser().get("/panel/clients/acme/").status_code == 302  # to the sign-in


def test_the_list_shows_live_grants_last_call_and_recent_errors(people, two_clients, browser):
    response = browser(people["ada"]).get("/panel/clients/")
    row = next(r for r in response.context["rows"] if r["client"].slug == "acme")
    assert row["live"] == 1 and row["errors"] == 1 and row["last_call"] is not None
    page = text(response)
    assert "New client" in page and "Errors, last 7 days" in page


# --- a new client and its operators -------------------------------------------------------------------

def test_the_administrator_creates_a_client_and_assigns_operators(people, two_clients, browser):
    ada = browser(people["ada"])
    response = ada.post("/panel/clients/new/", {"name": "Initech", "slug": "initech", "language": "en",
                                                "operators": [people["olga"].pk]})
    assert response.status_code == 302 and response.url == "/panel/clients/initech/"
    initech = Client.objects.get(slug="initech")
    assert initech.name == "Initech" and initech.language == "en"
    assert list(initech.operators.all()) == [people["olga"]]
    assert AuditEvent.objects.filter(action="integrations.client_created").count() == 3
    assert any(d["client"] == "initech" for d in events("integrations.operators_assigned"))
    assert browser(people["olga"]).get("/panel/clients/initech/").status_code == 200
    # Reassigned to Oskar: Olga loses it at once.
    response = ada.post("/panel/clients/initech/operators/", {"operators": [people["oskar"].pk]})
    assert response.status_code == 302
    assert browser(people["olga"]).get("/panel/clients/initech/").status_code == 404
    assert browser(people["oskar"]).get("/panel/clients/initech/").status_code == 200


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": "", "slug": "x", "language": "pl"}, "name", "This field is required."),
    ({"name": "X", "slug": "acme", "language": "pl"}, "slug", "exists already"),
    ({"name": "X", "slug": "not a slug!", "language": "pl"}, "slug", "letters, numbers"),
    ({"name": "X", "slug": "x", "language": "de"}, "language", "Select a valid choice"),
    ({"name": "X", "slug": "x", "language": "pl", "operators": ["999999"]}, "operators",
     "Select a valid choice"),
])
def test_a_new_client_with_bad_input_is_refused_beside_the_field(people, two_clients, browser, data, field,
                                                                 message):
    response = browser(people["ada"]).post("/panel/clients/new/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert Client.objects.count() == 2


def test_a_bad_operator_assignment_changes_nothing(people, two_clients, browser):
    response = browser(people["ada"]).post("/panel/clients/acme/operators/", {"operators": ["x"]})
    assert response.status_code == 400 and "operators" in response.context["assign_form"].errors
    assert list(two_clients["acme"].operators.all()) == [people["olga"]]


# --- the client's page ---------------------------------------------------------------------------

def test_the_client_page_shows_grants_calls_errors_and_data_held(people, two_clients, browser):
    grant = two_clients["acme_grant"]
    page = browser(people["olga"]).get("/panel/clients/acme/")
    words = text(page)
    # the account as people know it (its platform id in the title)
    assert "@acme_shop" in words and 'title="acct-1"' in page.content.decode()
    assert "user.info.basic" in words and "video.list" in words
    assert "TikTok API for Business" in words and "Active" in words
    assert "by the account owner · link sent by olga" in words
    assert "account.profile" in words and "42 ms" in words
    assert "endpoint_not_declared" in words  # the refused call, with its reason
    assert page.context["holdings"] and sum(h["records"] for h in page.context["holdings"]) == 1
    assert "30 days" in words or "30 dni" in words  # the declared rule, in the confirm form
    assert f"Disconnect and purge {grant}" in words
    assert "tok-secret-1" not in page.content.decode() and "never-kept" not in page.content.decode()
    assert "Globex" not in words and "acct-globex" not in words


def test_creating_a_link_shows_its_url_to_copy_and_lists_it_until_cancelled(people, two_clients, browser):
    olga = browser(people["olga"])
    response = olga.post("/panel/clients/acme/links/", {
        "flow": f"{TIKTOK}:account", "scopes": ["user.info.basic", "video.list"], "language": "en"})
    assert response.status_code == 200
    link = AuthorisationLink.objects.for_client(two_clients["acme"]).order_by("-pk").first()
    assert link.scopes == ["user.info.basic", "video.list"] and link.language == "en"
    assert link.created_by == people["olga"]
    url = services.link_url(link)
    assert f'value="{url}"' in response.content.decode()
    assert link in selectors.pending_links(two_clients["acme"])
    assert any(d["client"] == "acme" for d in events("integrations.link_created"))
    response = olga.post(f"/panel/clients/acme/links/{link.pk}/cancel/")
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.cancelled_at is not None and link not in selectors.pending_links(two_clients["acme"])
    assert url not in olga.get("/panel/clients/acme/").content.decode()
    # Oskar cannot cancel Acme's link, nor see that it exists.
    other = services.create_link(client=two_clients["acme"], connector_id=TIKTOK, flow_id="account",
                                 actor="test")
    assert browser(people["oskar"]).post(f"/panel/clients/acme/links/{other.pk}/cancel/").status_code == 404
    assert browser(people["oskar"]).post(f"/panel/clients/globex/links/{other.pk}/cancel/").status_code == 404


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"flow": "nope:account", "scopes": ["video.list"], "language": "pl"}, "flow", "Select a valid choice"),
    ({"flow": f"{TIKTOK}:account", "scopes": [], "language": "pl"}, "scopes", "at least one scope"),
    ({"flow": f"{TIKTOK}:account", "scopes": ["ads.everything"], "language": "pl"}, "scopes",
     "Select a valid choice"),
    ({"flow": f"{TIKTOK}:advertiser", "scopes": ["video.list"], "language": "pl"}, "scopes",
     "cannot request video.list"),
    ({"flow": f"{TIKTOK}:account", "scopes": ["video.list"], "language": "xx"}, "language",
     "Select a valid choice"),
])
def test_a_link_with_bad_input_is_refused_beside_the_field(people, two_clients, browser, data, field,
                                                           message):
    before = AuthorisationLink.objects.for_client(two_clients["acme"]).count()
    response = browser(people["olga"]).post("/panel/clients/acme/links/", data)
    assert response.status_code == 400
    errors = response.context["link_form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert AuthorisationLink.objects.for_client(two_clients["acme"]).count() == before


def test_posts_need_the_csrf_token(people, two_clients):
    strict = Browser(enforce_csrf_checks=True)
    strict.cookies = sign_in(Browser(), people["olga"]).cookies
    response = strict.post("/panel/clients/acme/contract-end/")
    assert response.status_code == 403
    assert Client.objects.get(slug="acme").contract_ended_at is None


def test_the_grant_page_shows_its_full_ledger(people, two_clients, browser):
    grant = two_clients["acme_grant"]
    services.disconnect(grant=grant, actor=people["olga"])
    page = browser(people["olga"]).get(f"/panel/clients/acme/grants/{grant.pk}/")
    words = text(page)
    assert [row["entry"].kind for row in page.context["ledger"]] == ["granted", "revoked"]
    assert "The client's account owner" in words and "olga" in words
    assert "Revoked by an operator" in words and "the platform was not told" in words


# --- disconnect and purge ---------------------------------------------------------------------------

def test_disconnect_needs_a_choice_and_a_confirmation(people, two_clients, browser):
    grant = two_clients["acme_grant"]
    response = browser(people["olga"]).post(f"/panel/clients/acme/grants/{grant.pk}/disconnect/",
                                            {f"g{grant.pk}-purge": "now"})
    assert response.status_code == 400
    assert f'id="id_g{grant.pk}-confirm_error"' in response.content.decode()
    response = browser(people["olga"]).post(f"/panel/clients/acme/grants/{grant.pk}/disconnect/",
                                            {f"g{grant.pk}-purge": "sometime", f"g{grant.pk}-confirm": "on"})
    assert response.status_code == 400
    grant.refresh_from_db()
    assert grant.live


def test_disconnect_without_purge_ends_the_grant_and_starts_the_declared_clock(people, two_clients, browser):
    grant = two_clients["acme_grant"]
    response = browser(people["olga"]).post(f"/panel/clients/acme/grants/{grant.pk}/disconnect/", {
        f"g{grant.pk}-purge": "rule", f"g{grant.pk}-confirm": "on"})
    assert response.status_code == 302
    grant.refresh_from_db()
    # The platform cannot be told here (no app configured): the grant ends all the same.
    assert grant.status == Grant.Status.REVOKED and grant.revoked_at is not None
    assert grant.access_token == "" and grant.refresh_token == ""
    account = PlatformAccount.objects.for_client(two_clients["acme"]).get()
    assert account.revoked_at == grant.revoked_at  # kept until the rule deletes it
    entry = GrantEvent.objects.for_client(two_clients["acme"]).filter(grant=grant).last()
    assert entry.kind == "revoked" and entry.details["reason"] == "platform_unreachable"
    assert any(d["client"] == "acme" for d in events("integrations.revoked"))
    assert not AuditEvent.objects.filter(action="integrations.purged").exists()
    # Globex's grant and data are untouched.
    assert Grant.objects.for_client(two_clients["globex"]).get().live
    assert PlatformAccount.objects.for_client(two_clients["globex"]).get().revoked_at is None


def test_disconnect_with_purge_deletes_the_grants_data_at_once(people, two_clients, browser):
    grant = two_clients["acme_grant"]
    response = browser(people["olga"]).post(f"/panel/clients/acme/grants/{grant.pk}/disconnect/", {
        f"g{grant.pk}-purge": "now", f"g{grant.pk}-confirm": "on"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == Grant.Status.REVOKED
    assert not PlatformAccount.objects.for_client(two_clients["acme"]).exists()
    assert PlatformAccount.objects.for_client(two_clients["globex"]).count() == 1
    kinds = list(GrantEvent.objects.for_client(two_clients["acme"]).filter(grant=grant)
                 .values_list("kind", flat=True))
    assert kinds == ["granted", "revoked", "purged"]
    assert any(d["client"] == "acme" for d in events("integrations.purged"))
    page = browser(people["olga"]).get("/panel/clients/acme/")
    assert page.context["holdings"] == [] and "Disconnect and purge" not in text(page)
    # A second disconnect of an ended grant changes nothing.
    again = browser(people["olga"]).post(f"/panel/clients/acme/grants/{grant.pk}/disconnect/", {
        f"g{grant.pk}-purge": "now", f"g{grant.pk}-confirm": "on"})
    assert again.status_code == 302
    assert GrantEvent.objects.for_client(two_clients["acme"]).filter(grant=grant).count() == 3


def test_contract_ended_is_recorded_once_by_the_administrator(people, two_clients, browser):
    """Ending the contract disconnects the client's live grants (here the platform is not
    reachable: the grant ends all the same); the client's operator may not do it."""
    assert browser(people["olga"]).post("/panel/clients/acme/contract-end/").status_code == 403
    ada = browser(people["ada"])
    assert ada.post("/panel/clients/acme/contract-end/").status_code == 302
    acme = Client.objects.get(slug="acme")
    assert acme.contract_ended_at is not None
    grant = Grant.objects.for_client(acme).get()
    assert grant.contract_ended_at == acme.contract_ended_at and grant.status == "revoked"
    ada.post("/panel/clients/acme/contract-end/")
    assert AuditEvent.objects.filter(action="integrations.contract_ended").count() == 1
    assert "Record the end of the contract" not in text(ada.get("/panel/clients/acme/"))


# --- the export -------------------------------------------------------------------------------------

def test_the_export_holds_only_that_clients_data_and_no_secret(people, two_clients, browser):
    olga = browser(people["olga"])
    response = olga.get("/panel/clients/acme/export.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["client"] == "acme"
    rows = data["models"]["integrations.PlatformAccount"]
    assert [r["username"] for r in rows] == ["acme_shop"]
    assert rows[0]["details"] == {"followers_count": 12}
    body = response.content.decode()
    assert "globex" not in body.lower() and "tok-secret" not in body and "never-kept" not in body

    response = olga.get("/panel/clients/acme/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == ["integrations.PlatformAccount"] and "username" in table[1]
    assert table[2][table[1].index("username")] == "acme_shop" and len([r for r in table if r]) == 3
    assert "globex" not in response.content.decode().lower()

    assert [(d["client"], d["format"], d["records"]) for d in events("integrations.exported")] == [
        ("acme", "json", 1), ("acme", "csv", 1)]
    assert browser(people["oskar"]).get("/panel/clients/acme/export.csv").status_code == 404
    assert AuditEvent.objects.filter(action="integrations.exported").count() == 2


# --- the dashboard --------------------------------------------------------------------------------

def test_the_dashboard_card_counts_the_users_clients(people, two_clients, browser):
    http.refuse(two_clients["globex"], connectors.get(TIKTOK), "account.profile", "no_live_grant", "no")
    olga = browser(people["olga"]).get("/panel/")
    assert olga.context["integrations"] == {"clients": 1, "live": 1, "refused": 1, "days": 7}
    words = text(olga)
    assert "Integrations" in words and "Calls refused in the last 7 days" in words
    assert 'href="/panel/clients/"' in olga.content.decode() and "Not yet available" not in words
    piotr = browser(people["piotr"]).get("/panel/")
    assert piotr.context["integrations"] == {"clients": 2, "live": 2, "refused": 2, "days": 7}
    services.disconnect(grant=two_clients["acme_grant"], actor="test")
    assert browser(people["piotr"]).get("/panel/").context["integrations"]["live"] == 1


def test_the_navigation_shows_clients_to_those_who_work_on_integrations(people, make_operator, browser):
    assert 'href="/panel/clients/"' in browser(people["olga"]).get("/panel/enquiries/").content.decode()
    nobody = get_user_model().objects.get(username="olga")
    assert nobody.has_perm("panel.work_integrations")


def test_every_integrations_audit_action_reads_in_words_in_english_and_polish():
    """Each ``integrations.*`` action the app writes has a label and its Polish translation,
    and so does each key of its details."""
    from pathlib import Path

    from django.utils import translation

    from privet.audit.actions import ACTION_LABELS, DETAIL_LABELS
    from privet.integrations import grants

    source = "".join(p.read_text() for p in Path(grants.__file__).parent.rglob("*.py")
                     if "tests" not in p.parts)
    # Every "integrations.*" literal in an append_event(...) call (an action may be chosen by
    # a condition: action="integrations.deauthorised" if by_owner else "integrations.revoked").
    calls = re.findall(r"append_event\((.*?)details=", source, flags=re.S)
    written = {a for call in calls  # an object_type ("integrations.client") is not an action
               for a in re.findall(r'(?<!object_type=)"(integrations\.[a-z_]+)"', call)}
    assert len(written) >= 16
    for action in sorted(written):
        assert action in ACTION_LABELS, action
        with translation.override("en"):
            english = str(ACTION_LABELS[action])
        with translation.override("pl"):
            assert str(ACTION_LABELS[action]) != english, action
    keys = {"added", "removed", "ended", "connector", "flow", "scopes", "requested", "before",
            "endpoint", "kind", "format", "records", "reason", "client"}
    for key in keys:
        assert key in DETAIL_LABELS, key
