"""The issue's "Done when", in a real browser against the live server and the TikTok contract
fake: an administrator signs in with a real TOTP code, creates a client and two authorisation
links; the client's account owner (another browser context, not signed in) opens each link,
reads what will be accessed and the "never" list in the link's language, authorises on the
fake's page and comes back to "Connected"; the operator sees both grants, the scopes the
platform reported and the data held, opens a grant's ledger, and "Disconnect and purge" revokes
at the platform and purges. Then the refusals: a used link, and an operator opening a link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from privet.enquiries.tests.test_browser import dismiss_cookie_banner
from privet.integrations.models import Client, Grant, PlatformAccount
from privet.panel.roles import ADMINISTRATOR
from privet.panel.tests.conftest import sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Asked for in the account link; the fake grants what is asked, and the page must show what
# the platform reported (token_info), not the request.
ACCOUNT_SCOPES = ["user.info.basic", "video.list"]


@pytest.fixture
def shots(tmp_path) -> Path:
    """Screenshots of each step, outside the repository (pytest keeps the last runs' temporary
    folders; the path is printed)."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    print(f"screenshots: {folder}")
    return folder


def new_link(page, flow: str, scopes: list[str]) -> str:
    """On the client's page: a link for ``flow`` asking ``scopes``; the URL the page shows."""
    form = page.locator("form", has=page.get_by_role("button", name="Create the link"))
    form.get_by_label("Connector and authorisation").select_option(label=flow)
    for scope in scopes:
        form.get_by_label(scope, exact=True).check()
    form.get_by_role("button", name="Create the link").click()
    page.wait_for_load_state()
    return page.get_by_label(re.compile(r"^Link for TikTok API for Business")).input_value()


# What the owner reads on a link's page, and on the page they come back to, per language.
OWNER_PAGE = {
    "pl": {"access": "Informacje o autoryzowanym koncie firmowym",
           "never": "Nie odsprzedajemy danych z platformy.", "continue": "Przejdź do TikTok",
           "connected": "Połączono"},
    "en": {"access": "Information about the authorised business account",
           "never": "We do not resell platform data.", "continue": "Continue to TikTok",
           "connected": "Connected"},
}


def owner_connects(owner, link_url: str, language: str, shot, name: str, *,
                   first_visit: bool = False) -> None:
    """The account owner's way through one link: what will be accessed and never done (in the
    link's language), Continue, Authorise on the fake's page, back to "Connected"."""
    words = OWNER_PAGE[language]
    page = owner.new_page()
    page.goto(link_url)
    if first_visit:
        dismiss_cookie_banner(page)  # answered once, for the site
    assert page.locator("html").get_attribute("lang") == language
    expect(page.get_by_role("listitem").filter(has_text=words["access"])).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=words["never"])).to_be_visible()
    shot(page, f"{name}-1-link")
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/(portal/auth|v2/auth/authorize/)"))
    shot(page, f"{name}-2-platform")
    page.get_by_role("button", name="Authorise").click()
    page.wait_for_url("**/integrations/callback/tiktok_business/**")
    assert page.get_by_role("heading", level=1).inner_text() == words["connected"]
    shot(page, f"{name}-3-connected")
    page.close()


def test_an_owner_connects_two_accounts_and_the_operator_disconnects_and_purges_one(
    live_server, published, tiktok_fake, settings, make_operator, browser, page_errors, shots,
):
    settings.SITE_URL = live_server.url  # the link and the redirect URI point at the live server
    url = live_server.url
    ada = make_operator("ada", ADMINISTRATOR)

    def shot(page, name: str) -> None:
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    # 1. The administrator creates the client and a link for its TikTok account.
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    staff.set_default_timeout(10_000)
    panel = page_errors(staff.new_page())
    sign_in_browser(panel, url, ada)
    panel.get_by_role("navigation", name="Panel").get_by_role("link", name="Clients").click()
    panel.get_by_role("link", name="New client").click()
    panel.get_by_label("Client name").fill("Kawiarnia pod Lipą")
    panel.get_by_label("Client id").fill("kawiarnia")
    panel.get_by_label("Language of the authorisation page").select_option("pl")
    panel.get_by_role("button", name="Create the client").click()
    panel.wait_for_url(url + "/panel/clients/kawiarnia/")
    client = Client.objects.get(slug="kawiarnia")
    account_link = new_link(panel, "TikTok API for Business: TikTok business account", ACCOUNT_SCOPES)
    assert account_link.startswith(url + "/")
    shot(panel, "1-client-with-link")

    # 2. The owner, in their own browser (not signed in), connects the TikTok account (Polish).
    owner = browser.new_context(viewport={"width": 1280, "height": 900})
    owner.set_default_timeout(10_000)
    owner.on("page", page_errors)
    owner_connects(owner, account_link, "pl", shot, "2-account", first_visit=True)

    # 3. The same for an advertiser account, with a link in English.
    panel.get_by_label("Language of the owner's page").select_option("en")
    advertiser_link = new_link(panel, "TikTok API for Business: Advertiser account (TikTok Ads Manager)", [])
    owner_connects(owner, advertiser_link, "en", shot, "3-advertiser")

    # 4. The operator sees both grants, the scopes the platform reported, who gave them, the
    # data held; and a grant's ledger.
    account = Grant.objects.for_client(client).get(flow="account")
    advertiser = Grant.objects.for_client(client).get(flow="advertiser")
    assert PlatformAccount.objects.for_client(client).count() == 3  # the profile, two advertisers
    panel.goto(url + "/panel/clients/kawiarnia/")
    grants = panel.get_by_role("table").filter(has_text="Scopes granted")
    rows = grants.get_by_role("row")
    account_row = rows.filter(has_text="TikTok business account")
    advertiser_row = rows.filter(has_text="Advertiser account")
    expect(account_row.get_by_text("user.info.basic")).to_be_visible()
    expect(account_row.get_by_text("video.list")).to_be_visible()
    expect(advertiser_row.get_by_text(re.compile(r"^1$"))).to_be_visible()  # numeric scope ids
    for row in (account_row, advertiser_row):
        expect(row.get_by_text("by the account owner · link sent by ada")).to_be_visible()
        expect(row.get_by_text("Active")).to_be_visible()
    held = panel.get_by_role("region", name="Data held")
    expect(held.get_by_text("3 records")).to_be_visible()
    shot(panel, "4-client-two-grants")
    account_row.get_by_role("link").first.click()
    panel.wait_for_url(f"**/panel/clients/kawiarnia/grants/{account.pk}/")
    ledger = panel.get_by_role("table")
    expect(ledger.get_by_role("cell", name="Granted")).to_be_visible()
    expect(ledger.get_by_role("cell", name="The client's account owner")).to_be_visible()
    shot(panel, "4-ledger")

    # 5. "Disconnect and purge", purge now, on the TikTok account grant.
    panel.goto(url + "/panel/clients/kawiarnia/")
    box = panel.locator("details.disconnect").filter(has_text=str(account))
    box.locator("summary").click()
    box.get_by_label("Purge it now").check()
    box.get_by_label("I understand: the client's account owner must authorise again").check()
    shot(panel, "5-disconnect-form")
    box.get_by_role("button", name="Disconnect").click()
    panel.wait_for_load_state()
    expect(panel.get_by_text("disconnected and its data purged")).to_be_visible()
    revokes = tiktok_fake.calls("tt_user/oauth2/revoke/")
    assert len(revokes) == 1 and revokes[0].body["client_id"] == tiktok_fake.app_id
    assert tiktok_fake.live_tokens(account.account_id) == []  # revoked at the platform
    assert tiktok_fake.calls("oauth2/revoke_token/") == []  # the advertiser grant stays
    account_row = panel.get_by_role("row").filter(has_text="TikTok business account")
    expect(account_row.get_by_text("Revoked")).to_be_visible()
    expect(panel.get_by_role("region", name="Data held").get_by_text("2 records")).to_be_visible()
    shot(panel, "5-after-purge")
    account.refresh_from_db()
    advertiser.refresh_from_db()
    assert not account.live and advertiser.live
    assert not PlatformAccount.objects.for_client(client).filter(grant=account).exists()

    assert page_errors.errors == []  # no script error, no CSP violation, on either side

    # 6. Refusals: the used link, and the operator opening a fresh link in their own browser.
    page = owner.new_page()
    page.goto(account_link)
    expect(page.get_by_role("alert")).to_have_text(  # in the link's Polish
        "Ten link autoryzacyjny wygasł, został już użyty albo anulowany. Poproś studio o nowy.")
    shot(page, "6-used-link")
    panel.get_by_label("Language of the owner's page").select_option("en")
    fresh = new_link(panel, "TikTok API for Business: TikTok business account", ACCOUNT_SCOPES)
    panel.goto(fresh)
    expect(panel.get_by_role("alert")).to_contain_text("You are signed in to the operator panel.")
    shot(panel, "6-operator-refused")
    # Only the refusals' own answers (404 for the used link, 403 for the operator).
    assert [e.split("status of ")[-1] for e in page_errors.errors] == ["404 (Not Found)", "403 (Forbidden)"]
    owner.close()
    staff.close()
