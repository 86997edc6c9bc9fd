"""Issue 13's full path, in a real browser against the live server and the TikTok contract
fake: an administrator chooses the client's workflows (moderation, messages, reporting) and
creates two links; the owner authorises both; "Sync now" brings the data in; the operator
reads the videos and comments newest first, replies (a reply over the platform's limit is
refused beside the field, nothing sent), hides a comment and the platform has it hidden;
reads a conversation and replies; pulls a campaign report (table, chart, CSV); a comment
webhook shows a new comment without a sync; a sync survives an expired token and a rate limit
mid-way; the owner revokes on the platform and the next sync ends the grant; the advertiser
grant is disconnected and purged; a rights request about a commenter is routed to the client."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from privet.enquiries.tests.test_browser import dismiss_cookie_banner
from privet.integrations.models import Client, Grant, GrantEvent
from privet.integrations.tiktok.connector import REPLY_MAX
from privet.integrations.tiktok.fake import report_metrics
from privet.panel.roles import ADMINISTRATOR
from privet.panel.tests.conftest import sign_in_browser
from privet.rights.models import RightsRequest, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEBHOOK = "/integrations/webhooks/tiktok_business/"
WORKFLOWS = ("Comment moderation", "Direct messages", "Campaign reporting")


@pytest.fixture
def shots(tmp_path) -> Path:
    """Screenshots of each step, outside the repository (the path is printed)."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    print(f"screenshots: {folder}")
    return folder


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # webhook replay ids: the fake's ids repeat from test to test
    yield
    cache.clear()


def new_link(page, flow: str) -> str:
    """On the client's page: a link for ``flow``, the scopes left as pre-ticked (what the
    client's workflows need); the URL the page shows."""
    form = page.locator("form", has=page.get_by_role("button", name="Create the link"))
    form.get_by_label("Connector and authorisation").select_option(label=flow)
    form.get_by_role("button", name="Create the link").click()
    page.wait_for_load_state()
    return page.get_by_label(re.compile(r"^Link for TikTok API for Business")).input_value()


def owner_authorises(owner, link_url: str, *, first_visit: bool = False) -> None:
    """The owner's way through one (English) link: Continue, Authorise on the fake's page."""
    page = owner.new_page()
    page.goto(link_url)
    if first_visit:
        dismiss_cookie_banner(page)
    page.get_by_role("button", name="Continue to TikTok").click()
    page.get_by_role("button", name="Authorise").click()
    page.wait_for_url("**/integrations/callback/tiktok_business/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Connected"
    page.close()


def sync_now(panel, grant: Grant) -> None:
    """"Sync now" on ``grant``'s workflows (the immediate task backend runs it in the request)."""
    section = panel.get_by_role("region", name=f"Workflows on {grant}")
    section.get_by_role("button", name="Sync now").click()
    panel.wait_for_load_state()
    expect(panel.get_by_text("Sync requested:")).to_be_visible()


def held_records(panel) -> int:
    text = panel.get_by_role("region", name="Data held").locator("dd").first.inner_text()
    return int(text.split()[0])


def test_the_tiktok_workflows_from_connecting_to_a_rights_request(
    live_server, published, tiktok_fake, settings, make_operator, browser, page_errors, shots,
):
    settings.SITE_URL = live_server.url
    url = live_server.url
    ada = make_operator("ada", ADMINISTRATOR)

    def shot(page, name: str) -> None:
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    # 1. Connect: the client, its workflows, a link for each authorisation; the owner authorises.
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    staff.set_default_timeout(10_000)
    panel = page_errors(staff.new_page())
    sign_in_browser(panel, url, ada)
    panel.goto(url + "/panel/clients/new/")
    panel.get_by_label("Client name").fill("Kawiarnia pod Lipą")
    panel.get_by_label("Client id").fill("kawiarnia")
    panel.get_by_label("Language of the authorisation page").select_option("en")
    panel.get_by_role("button", name="Create the client").click()
    panel.wait_for_url(url + "/panel/clients/kawiarnia/")
    client = Client.objects.get(slug="kawiarnia")
    chosen = panel.get_by_role("region", name="Workflows")
    for label in WORKFLOWS:
        chosen.get_by_label(re.compile(label + ":")).check()
    chosen.get_by_role("button", name="Save the workflows").click()
    expect(panel.get_by_text("Workflows saved")).to_be_visible()
    client.refresh_from_db()
    assert set(client.workflows) == {"moderation", "messages", "reporting"}
    account_link = new_link(panel, "TikTok API for Business: TikTok business account")
    # The scopes stay as pre-ticked (the account's): the advertiser link asks what reporting needs.
    advertiser_link = new_link(panel, "TikTok API for Business: Advertiser account (TikTok Ads Manager)")
    shot(panel, "1-client-workflows-links")
    owner = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    owner.set_default_timeout(10_000)
    owner.on("page", page_errors)
    owner_authorises(owner, account_link, first_visit=True)
    owner_authorises(owner, advertiser_link)
    account = Grant.objects.for_client(client).get(flow="account")
    advertiser = Grant.objects.for_client(client).get(flow="advertiser")
    assert "message.list.read" in account.scopes

    # 2. The first sync of each grant.
    panel.goto(url + "/panel/clients/kawiarnia/")
    sync_now(panel, account)
    sync_now(panel, advertiser)
    for grant in (account, advertiser):
        rows = panel.get_by_role("region", name=f"Workflows on {grant}").get_by_role("row")
        expect(rows.filter(has_text="Done")).to_have_count(1 if grant == advertiser else 2)
    shot(panel, "2-first-sync")

    # 3. Moderation: videos newest first, their comments newest first with replies.
    panel.get_by_role("link", name="Moderate comments").click()
    panel.wait_for_url(f"**/grants/{account.pk}/moderation/")
    videos = tiktok_fake.videos  # newest first
    listed = panel.get_by_role("region", name="Videos").get_by_role("listitem")
    expect(listed).to_have_count(len(videos))
    expect(listed.first).to_contain_text(videos[0]["caption"][:40])
    expect(listed.last).to_contain_text(videos[-1]["caption"][:40])
    listed.first.get_by_role("link").click()
    video = videos[0]["item_id"]
    on_platform = tiktok_fake.comments_of(video)  # newest first
    threads = panel.locator("li.thread")
    expect(threads).to_have_count(len(on_platform))
    shown = [t.locator("> article .comment-text").inner_text() for t in threads.all()]
    assert shown == [c["text"] for c in on_platform]
    with_replies = threads.filter(has=panel.locator("ol.replies"))
    expect(with_replies).to_have_count(1)
    expect(with_replies.locator("ol.replies > li")).to_have_count(2)
    shot(panel, "3-moderation")

    # A reply over the platform's limit: refused beside the field, nothing sent.
    target = threads.first
    box = target.get_by_label("Reply as the account")
    box.evaluate("el => el.removeAttribute('maxlength')")  # as a client that ignores it would
    box.fill("x" * (REPLY_MAX + 1))
    target.get_by_role("button", name="Send the reply").click()
    panel.wait_for_load_state()
    error = panel.locator("li.thread").first.locator(".error")
    expect(error).to_contain_text(f"at most {REPLY_MAX} characters")
    expect(panel.locator("li.thread").first.get_by_label("Reply as the account")).to_have_attribute(
        "aria-invalid", "true")
    assert tiktok_fake.calls("business/comment/reply/create/") == []
    shot(panel, "3-reply-too-long")
    # A reply within it is sent, and shows as the account's.
    panel.locator("li.thread").first.get_by_label("Reply as the account").fill("Dziękujemy!")
    panel.locator("li.thread").first.get_by_role("button", name="Send the reply").click()
    expect(panel.get_by_text("Reply sent to the platform.")).to_be_visible()
    assert len(tiktok_fake.calls("business/comment/reply/create/")) == 1
    first = panel.locator("li.thread").first
    expect(first.locator("ol.replies").get_by_text("Dziękujemy!")).to_be_visible()
    # Hide a comment: the platform has it hidden.
    second = panel.locator("li.thread").nth(1)
    hidden_id = on_platform[1]["comment_id"]
    second.get_by_role("button", name="Hide").click()
    expect(panel.get_by_text("Comment hidden on the platform.")).to_be_visible()
    assert tiktok_fake.comment(hidden_id)["status"] == "HIDDEN"
    expect(panel.locator("li.thread").nth(1).get_by_text("hidden", exact=True)).to_be_visible()
    shot(panel, "3-replied-and-hidden")

    # 4. Messages: read a conversation, reply; the platform records it.
    panel.goto(url + "/panel/clients/kawiarnia/")
    panel.get_by_role("region", name=f"Workflows on {account}").get_by_role(
        "link", name="Messages").click()
    conversation = tiktok_fake.conversations[0]
    panel.get_by_role("link", name="@" + conversation["username"]).click()
    thread = panel.locator("ol.message-thread > li")
    expect(thread).to_have_count(len(tiktok_fake.messages_of(conversation["conversation_id"])))
    expect(thread.first).to_contain_text("czy można zamówić tort?")
    panel.get_by_role("textbox", name="Reply").fill("Tak, zapraszamy w sobotę.")
    panel.get_by_role("button", name="Send").click()
    expect(panel.get_by_text("Message sent.")).to_be_visible()
    sent = tiktok_fake.messages_of(conversation["conversation_id"])[-1]
    assert sent["text"]["body"] == "Tak, zapraszamy w sobotę."
    shot(panel, "4-conversation")

    # 5. Reports on the advertiser grant: the fake's figures, the chart, the CSV.
    panel.goto(url + "/panel/clients/kawiarnia/")
    panel.get_by_role("region", name=f"Workflows on {advertiser}").get_by_role(
        "link", name="Reports").click()
    campaign = next(c for c in tiktok_fake.campaigns
                    if c["advertiser_id"] in advertiser.account_id.split(","))
    panel.get_by_label("Campaign", exact=True).select_option(campaign["campaign_id"])
    panel.get_by_role("button", name="Show").click()
    panel.wait_for_load_state()
    expect(panel.locator("svg").first).to_be_visible()
    table = panel.locator("table.table-report")
    expect(table).to_have_count(1)
    rows = table.locator("tbody tr")
    assert rows.count() >= 1
    for row in rows.all()[-3:]:
        day = date.fromisoformat(row.locator("th").inner_text())
        cells = [c.inner_text() for c in row.locator("td").all()]
        figures = report_metrics(campaign["campaign_id"], day)
        assert Decimal(cells[0]) == Decimal(figures["spend"])
        assert (cells[1], cells[2], cells[6]) == (
            figures["impressions"], figures["clicks"], figures["conversion"])
    shot(panel, "5-report")
    with panel.expect_download() as download:
        panel.get_by_role("link", name="Export (CSV)").click()
    content = Path(download.value.path()).read_text(encoding="utf-8")
    lines = list(csv.DictReader(io.StringIO(content)))
    assert len(lines) == rows.count()
    assert {line["campaign_id"] for line in lines} == {campaign["campaign_id"]}
    for line in lines:
        figures = report_metrics(campaign["campaign_id"], date.fromisoformat(line["day"]))
        assert Decimal(line["spend"]) == Decimal(figures["spend"])
        assert line["impressions"] == figures["impressions"]

    # 6. A comment webhook: the new comment shows without a sync.
    listed_before = len(tiktok_fake.calls("business/video/list/"))
    new = tiktok_fake.add_comment(video, "Świetny film!", "nowa_osoba", display_name="Nowa")
    headers, body = tiktok_fake.webhook("comment.update", account.account_id,
                                        {"comment_id": new["comment_id"], "video_id": video})
    answer = httpx.post(url + WEBHOOK, content=body,
                        headers={**headers, "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    moderation = f"{url}/panel/clients/kawiarnia/grants/{account.pk}/moderation/?video={video}"
    panel.goto(moderation)
    expect(panel.locator("li.thread").first.locator("> article .comment-text")).to_have_text(
        "Świetny film!")
    assert len(tiktok_fake.calls("business/video/list/")) == listed_before  # no sync ran
    shot(panel, "6-webhook-comment")

    # 7. An expired token and a rate limit in the middle of a sync: all comments, still active.
    tiktok_fake.add_comments(video, 80)
    tiktok_fake.expire_after("business/comment/list/", 1)
    tiktok_fake.fail_after("business/comment/list/", 2, code=40100, count=2)
    refreshes = len(tiktok_fake.calls("tt_user/oauth2/refresh_token/"))
    panel.goto(url + "/panel/clients/kawiarnia/")
    sync_now(panel, account)
    assert len(tiktok_fake.calls("tt_user/oauth2/refresh_token/")) == refreshes + 1
    account_row = panel.get_by_role("row").filter(has_text="TikTok business account")
    expect(account_row.get_by_text("Active")).to_be_visible()
    panel.goto(moderation)
    expect(panel.locator(".result-count")).to_have_text(
        f"{len(tiktok_fake.comments_of(video))} comments")
    shot(panel, "7-after-refresh-and-rate-limit")
    panel.goto(f"{url}/panel/clients/kawiarnia/grants/{account.pk}/")
    expect(panel.get_by_role("cell", name="Token refreshed")).to_be_visible()
    shot(panel, "7-ledger")

    # 8. The owner revokes on the platform; the next sync ends the grant.
    tiktok_fake.revoke_as_owner(account.account_id)
    panel.goto(url + "/panel/clients/kawiarnia/")
    section = panel.get_by_role("region", name=f"Workflows on {account}")
    section.get_by_role("button", name="Sync now").click()
    panel.wait_for_load_state()
    account.refresh_from_db()
    assert not account.live
    assert GrantEvent.objects.for_client(client).filter(
        grant=account, kind=GrantEvent.Kind.DEAUTHORISED).exists()
    account_row = panel.get_by_role("row").filter(has_text="TikTok business account")
    expect(account_row.get_by_text(account.get_status_display())).to_be_visible()
    section = panel.get_by_role("region", name=f"Workflows on {account}")
    expect(section.get_by_text("unavailable", exact=True)).to_have_count(2)
    expect(section.get_by_text("the authorisation has ended").first).to_be_visible()
    expect(section.get_by_role("button", name="Sync now")).to_have_count(0)
    shot(panel, "8-revoked-by-owner")

    # 9. "Disconnect and purge", purge now, on the advertiser grant: fewer records held.
    before = held_records(panel)
    box = panel.locator("details.disconnect").filter(has_text=str(advertiser))
    box.locator("summary").click()
    box.get_by_label("Purge it now").check()
    box.get_by_label("I understand: the client's account owner must authorise again").check()
    box.get_by_role("button", name="Disconnect").click()
    panel.wait_for_load_state()
    expect(panel.get_by_text("disconnected and its data purged")).to_be_visible()
    after = held_records(panel)
    assert after < before
    shot(panel, "9-after-purge")

    # 10. A rights request about a commenter, routed to the client.
    commenter = on_platform[0]["username"]
    panel.goto(url + "/panel/rights/new/")
    panel.get_by_label("Right").select_option("erasure")
    panel.get_by_label("Email").fill("ania@example.com")
    panel.get_by_label("About data held for a client").select_option("kawiarnia")
    panel.get_by_label("Username on the client's platforms").fill("@" + commenter)
    panel.get_by_label("Received by").select_option("email")
    panel.get_by_label("Identity already verified").check()
    panel.get_by_label("How the identity was verified").fill("wrote from the address on file")
    panel.get_by_role("button", name="Log request").click()
    panel.wait_for_url(re.compile(r".*/panel/rights/\d+/$"))
    expect(panel.get_by_text(
        "it will be routed to that client, the controller")).to_be_visible()
    shot(panel, "10-rights-request")
    panel.get_by_role("button", name="Carry out").click()
    panel.wait_for_load_state()
    result = panel.get_by_role("region", name="Result")
    expect(result.get_by_text("Passed to the controller: kawiarnia")).to_be_visible()
    request = RightsRequest.objects.get()
    assert (request.client, request.handle, request.status) == (
        "kawiarnia", commenter, Status.AWAITING_CONTROLLER)
    assert request.result["controller"]["records"] > 0  # the commenter's comments, counted
    shot(panel, "10-routed-to-the-client")

    # No script error, no CSP violation, on either side; only the refused reply's own answer.
    assert [e.split("status of ")[-1] for e in page_errors.errors] == ["400 (Bad Request)"]
    owner.close()
    staff.close()
