"""A visitor sends an enquiry in a real browser: the real ALTCHA widget solves the real
challenge, the acknowledgement arrives over SMTP, and the page breaks no CSP rule."""

import re
from email import message_from_bytes, policy

import pytest
from playwright.sync_api import expect

from privet.enquiries.models import Enquiry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, published):
    return live_server.url


def dismiss_cookie_banner(page) -> None:
    """Answer the consent banner so it does not cover the form. It appears once its config has
    arrived, which may be after the page has loaded: wait for it rather than look once."""
    reject = page.get_by_role("button", name=re.compile(r"^(Reject all|Odrzuć wszystkie)$"))
    reject.click()
    expect(reject).to_be_hidden()


def altcha_verified(page) -> None:
    """Wait until the widget has solved its challenge and put the payload into the form."""
    # (expect() polls from Playwright's own world: the page's CSP forbids the eval of
    # wait_for_function.)
    expect(page.locator('form.enquiry-form input[name="altcha"]')).to_have_value(
        re.compile(r".{20,}"), timeout=60_000
    )


def test_a_visitor_sends_an_enquiry_and_gets_the_acknowledgement(site, browser, page_errors,
                                                                 artifacts_dir, smtp_inbox):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = page_errors(context.new_page())
    response = page.goto(site + "/contact/")
    assert response.status == 200
    assert "style-src 'self'" in response.headers["content-security-policy"]
    dismiss_cookie_banner(page)
    page.screenshot(path=str(artifacts_dir / "enquiries-form-1280.png"), full_page=True)

    page.get_by_label("Your name").fill("Anna Kowalska")
    page.get_by_label("Company").fill("Kowalska Design")
    page.get_by_label("Email").fill("anna@example.com")
    page.get_by_label("Phone").fill("+48 600 100 200")
    page.get_by_label("What is it about?").select_option("web_app")
    page.get_by_label("Your message").fill("We need a booking panel for our studio, ready by March.")
    altcha_verified(page)  # the widget solves its challenge as soon as the page loads
    page.screenshot(path=str(artifacts_dir / "enquiries-form-filled-1280.png"), full_page=True)
    page.get_by_role("button", name="Send enquiry").click()
    page.wait_for_url("**/contact/thanks/**")
    assert "Thank you" in page.get_by_role("heading", level=1).inner_text()
    enquiry = Enquiry.objects.get()
    assert enquiry.reference in page.content()
    page.screenshot(path=str(artifacts_dir / "enquiries-thanks-1280.png"), full_page=True)

    # The mail left during the request, after the commit: it is already at the SMTP server.
    [(_sender, rcpts, raw)] = smtp_inbox.messages
    assert rcpts == ["anna@example.com"]
    message = message_from_bytes(raw, policy=policy.default)
    html = message.get_body(("html",)).get_content()
    assert page_errors.errors == []  # no CSP violation, no script error

    mail_page = context.new_page()
    mail_page.set_viewport_size({"width": 720, "height": 900})
    mail_page.set_content(html)
    mail_page.screenshot(path=str(artifacts_dir / "enquiries-acknowledgement-mail.png"), full_page=True)
    context.close()


def test_the_form_on_a_phone_and_in_polish_with_errors_beside_fields(site, browser, page_errors,
                                                                      artifacts_dir):
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = page_errors(context.new_page())
    page.goto(site + "/pl/kontakt/")
    dismiss_cookie_banner(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the form overflows by {overflow}px on a phone"
    page.screenshot(path=str(artifacts_dir / "enquiries-form-pl-360.png"), full_page=True)
    # The Art. 13 notice is read before sending: right above the button, in body-size text.
    notice = page.locator("#collection-notice").bounding_box()
    button = page.get_by_role("button", name="Wyślij zapytanie").bounding_box()
    assert notice["y"] + notice["height"] <= button["y"] <= notice["y"] + notice["height"] + 40
    size = page.locator("#collection-notice p").first.evaluate(
        "p => parseFloat(getComputedStyle(p).fontSize)")
    assert size >= 15

    page.get_by_label("Imię i nazwisko").fill("Jan Nowak")
    page.get_by_label("E-mail").fill("jan@")
    page.get_by_label("Czego dotyczy zapytanie?").select_option("website")
    page.get_by_label("Wiadomość").fill("Strona dla warsztatu.")
    altcha_verified(page)
    page.get_by_role("button", name="Wyślij zapytanie").click()
    page.wait_for_selector("#form-alert")
    assert page.get_by_label("E-mail").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Imię i nazwisko").input_value() == "Jan Nowak"  # kept
    assert "nazwa@example.com" in page.locator("#id_email_error").inner_text()
    assert not Enquiry.objects.exists()
    page.screenshot(path=str(artifacts_dir / "enquiries-form-errors-pl-360.png"), full_page=True)
    # The refused form answers 400, which Chromium logs; nothing else may appear (no CSP report).
    assert [e for e in page_errors.errors if "status of 400" not in e] == []
    context.close()
