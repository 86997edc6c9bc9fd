"""The contact form's proof-of-work is solved while the visitor reads and types, and a refused
form hands focus to its error summary (real browser, real widget, real challenge)."""

import re

import pytest
from playwright.sync_api import expect

from privet.enquiries.models import Enquiry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, published):
    return live_server.url


def test_the_check_is_solved_on_load_without_any_interaction(site, browser, page_errors):
    """Nothing is focused, clicked or typed: the widget solves its challenge by itself, so a
    quick visitor's submit is not refused for a check that had not started."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = page_errors(context.new_page())
    page.goto(site + "/contact/")
    assert page.evaluate("document.activeElement === document.body")  # nothing took focus
    expect(page.locator('form.enquiry-form input[name="altcha"]')).to_have_value(
        re.compile(r".{20,}"), timeout=20_000)
    assert page.evaluate("document.activeElement === document.body")  # still nothing focused
    # The visitor fills the form at once and sends it: accepted.
    reject = page.get_by_role("button", name="Reject all")
    reject.click()
    page.get_by_label("Your name").fill("Anna Kowalska")
    page.get_by_label("Email").fill("anna@example.com")
    page.get_by_label("What is it about?").select_option("website")
    page.get_by_label("Your message").fill("A small website for our bakery.")
    page.get_by_role("button", name="Send enquiry").click()
    page.wait_for_url("**/contact/thanks/**")
    assert Enquiry.objects.count() == 1
    assert page_errors.errors == []
    context.close()


@pytest.mark.parametrize(("path", "labels"), [
    ("/contact/", {"name": "Your name", "email": "Email", "type": "What is it about?",
                   "message": "Your message", "send": "Send enquiry", "reject": "Reject all"}),
    ("/pl/kontakt/", {"name": "Imię i nazwisko", "email": "E-mail",
                      "type": "Czego dotyczy zapytanie?", "message": "Wiadomość",
                      "send": "Wyślij zapytanie", "reject": "Odrzuć wszystkie"}),
])
def test_a_refused_submit_moves_focus_to_the_error_summary(site, browser, page_errors, path,
                                                           labels, artifacts_dir):
    context = browser.new_context(viewport={"width": 375, "height": 667})
    page = page_errors(context.new_page())
    page.goto(site + path)
    page.get_by_role("button", name=labels["reject"]).click()
    page.get_by_label(labels["name"]).fill("Jan Nowak")
    page.get_by_label(labels["email"]).fill("jan@")
    page.get_by_label(labels["type"]).select_option("website")
    page.get_by_label(labels["message"]).fill("Strona dla warsztatu.")
    expect(page.locator('form.enquiry-form input[name="altcha"]')).to_have_value(
        re.compile(r".{20,}"), timeout=20_000)
    page.get_by_role("button", name=labels["send"]).click()
    summary = page.locator("#form-alert")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert summary.get_attribute("tabindex") == "-1"
    assert summary.evaluate("el => el.getBoundingClientRect().top >= 0")  # scrolled into view
    # Tab from the summary leads to its first link, which names the field.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#id_email"
    page.screenshot(path=str(artifacts_dir / f"enquiries-error-focus-{labels['send'][:4]}.png"))
    assert not Enquiry.objects.exists()
    assert [e for e in page_errors.errors if "status of 400" not in e] == []  # no CSP report
    context.close()
