"""The whole way, in one browser: a visitor sends an enquiry through the real form (the real
ALTCHA challenge solved by the page), the acknowledgement arrives at a real SMTP server, and an
operator signs in with a password and a real TOTP code, finds the enquiry and moves it to offer."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.enquiries.models import Enquiry
from privet.enquiries.tests.test_browser import altcha_verified, dismiss_cookie_banner
from privet.panel.roles import OPERATOR

from .conftest import PASSWORD, code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitors_enquiry_reaches_the_operator_who_moves_it_to_offer(
    live_server, published, smtp_inbox, make_operator, browser, page_errors, artifacts_dir,
):
    operator = make_operator("olga", OPERATOR)
    visitor = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = page_errors(visitor.new_page())
    page.goto(live_server.url + "/contact/")
    dismiss_cookie_banner(page)
    page.get_by_label("Your name").fill("Anna Kowalska")
    page.get_by_label("Company").fill("Kowalska Design")
    page.get_by_label("Email").fill("anna@example.com")
    page.get_by_label("What is it about?").select_option("integration")
    page.get_by_label("Your message").fill("Please connect our shop to TikTok Business, by May.")
    altcha_verified(page)
    page.get_by_role("button", name="Send enquiry").click()
    page.wait_for_url("**/contact/thanks/**")
    enquiry = Enquiry.objects.get()
    acknowledgements = [raw for _from, rcpts, raw in smtp_inbox.messages if rcpts == ["anna@example.com"]]
    assert len(acknowledgements) == 1
    mail = message_from_bytes(acknowledgements[0], policy=policy.default)
    assert enquiry.reference in mail.get_body(("plain",)).get_content()
    visitor.close()

    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    page = page_errors(staff.new_page())
    page.goto(live_server.url + "/panel/")
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/panel/login/verify/**")
    page.get_by_label("Six-digit code from your authenticator app").fill(
        code_for(TOTPDevice.objects.get(user=operator))
    )
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(live_server.url + "/panel/")
    page.get_by_role("link", name="Anna Kowalska · Kowalska Design").click()
    page.wait_for_url(f"**/panel/enquiries/{enquiry.pk}/")
    assert page.get_by_text("Please connect our shop to TikTok Business, by May.").is_visible()
    page.get_by_role("button", name="Offer sent").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"{enquiry.reference} is now: Offer sent.").is_visible()
    page.screenshot(path=str(artifacts_dir / "panel-e2e-offer-1280.png"), full_page=True)
    enquiry.refresh_from_db()
    assert enquiry.status == "offer"
    assert page_errors.errors == []  # both sides: no script error, no CSP violation
    staff.close()
