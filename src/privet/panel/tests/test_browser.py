"""An operator works an enquiry in a real browser: password, real TOTP code, dashboard, offer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.enquiries.services import log_enquiry
from privet.panel.roles import ADMINISTRATOR
from privet.policy.services import publish_version

from .conftest import PASSWORD, code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def panel(live_server, make_operator):
    publish_version(source=Path(settings.PRIVET_DEFAULT_POLICY_FILE).read_text(), actor="test")
    operator = make_operator("olga", ADMINISTRATOR)
    enquiry = log_enquiry(data={
        "name": "Jan Kowalski", "company": "Piekarnia Kowalski", "email": "jan@example.com",
        "phone": "+48 600 100 200", "project_type": "web_app",
        "message": "We need an ordering panel for our three bakeries, ready before the summer.",
    }, actor=operator)
    # Long names that do not break: the kind of row that once pushed the dashboard sideways.
    log_enquiry(data={
        "name": "Małgorzata Wiśniewska-Kowalczyk", "email": "m.wisniewska@example.com", "phone": "",
        "company": "Przedsiębiorstwo Handlowo-Usługowe Wiśniewska-Kowalczyk", "project_type": "integration",
        "message": "A courier integration for our warehouse system.",
    }, actor=operator, received_at=timezone.now() - timedelta(days=12))
    return live_server.url, operator, enquiry


def no_overflow(page, width: int) -> bool:
    """The page never scrolls sideways: nothing is wider than the viewport."""
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_an_operator_signs_in_with_totp_and_moves_an_enquiry_to_offer(
    panel, browser, page_errors, artifacts_dir
):
    url, operator, enquiry = panel
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = page_errors(context.new_page())
    shot = lambda name: page.screenshot(path=str(artifacts_dir / f"panel-{name}.png"), full_page=True)  # noqa: E731

    page.goto(url + "/panel/")
    assert page.url.endswith("/panel/login/?next=/panel/")
    shot("login-1280")
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/panel/login/verify/**")
    shot("totp-1280")
    device = TOTPDevice.objects.get(user=operator)
    page.get_by_label("Six-digit code from your authenticator app").fill(code_for(device))
    page.get_by_role("button", name="Verify and sign in").click()

    page.wait_for_url(url + "/panel/")
    row = page.get_by_role("link", name="Jan Kowalski · Piekarnia Kowalski")
    assert row.is_visible()
    assert page.get_by_role("cell", name="today").is_visible()  # not "0 days"
    shot("dashboard-1280")

    page.get_by_role("navigation", name="Panel").get_by_role("link", name="Enquiries").click()
    page.wait_for_url("**/panel/enquiries/")
    page.get_by_label("Search").fill("bakeries")
    page.get_by_role("button", name="Search").click()
    # The click returns once the results page is on its way, not once it has loaded.
    page.wait_for_url("**/panel/enquiries/?q=bakeries*")
    assert page.get_by_text("1 enquiry", exact=True).is_visible()
    shot("list-1280")

    page.get_by_role("link", name="Jan Kowalski · Piekarnia Kowalski").click()
    page.wait_for_url(f"**/panel/enquiries/{enquiry.pk}/")
    page.get_by_label("Reason or comment (optional)").fill("Offer v1 sent by email")
    page.get_by_role("button", name="Offer sent").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"{enquiry.reference} is now: Offer sent.").is_visible()
    assert page.locator(".status-lg").inner_text() == "Offer sent"
    assert page.get_by_text("Offer v1 sent by email").is_visible()  # in the history
    shot("detail-1280")
    enquiry.refresh_from_db()
    assert enquiry.status == "offer"

    page.set_viewport_size({"width": 360, "height": 800})
    for name, path in (("dashboard", "/panel/"), ("list", "/panel/enquiries/"),
                       ("detail", f"/panel/enquiries/{enquiry.pk}/"),
                       ("new", "/panel/enquiries/new/"), ("audit", "/panel/audit/"),
                       ("dashboard-pl", "/pl/panel/")):
        page.goto(url + path)
        shot(f"{name}-360")
        assert no_overflow(page, 360), f"{path} is wider than a phone"
        # Every item of the navigation is on screen (it wraps; no hidden sideways scroll).
        for link in page.get_by_role("navigation", name="Panel").get_by_role("link").all():
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, (
                f"{link.inner_text()} is off screen on {path}")
    page.set_viewport_size({"width": 1280, "height": 900})
    for path in ("/panel/", "/panel/enquiries/", f"/panel/enquiries/{enquiry.pk}/"):
        page.goto(url + path)
        assert no_overflow(page, 1280), f"{path} is wider than the window"
    assert page_errors.errors == []  # no console errors, no CSP violations
    context.close()


def test_first_sign_in_enrols_the_authenticator_from_a_qr_code(
    live_server, make_operator, browser, page_errors, artifacts_dir
):
    user = make_operator("nowy", ADMINISTRATOR, device=False)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = page_errors(context.new_page())
    page.goto(live_server.url + "/panel/login/")
    page.get_by_label("Username").fill("nowy")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/panel/login/enrol/**")
    assert page.locator("figure.qr svg").is_visible()
    page.screenshot(path=str(artifacts_dir / "panel-enrol-1280.png"), full_page=True)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label("Six-digit code from your authenticator app").fill(code_for(device))
    page.get_by_role("button", name="Confirm and continue").click()
    # The recovery codes, shown once, before anything else.
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    assert codes.count() == 10
    assert page.get_by_text("Two-factor sign-in is set up.").is_visible()
    page.screenshot(path=str(artifacts_dir / "panel-recovery-codes-1280.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})
    page.screenshot(path=str(artifacts_dir / "panel-recovery-codes-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="I have saved them, continue").click()
    page.wait_for_url(live_server.url + "/panel/")
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_server.url + "/panel/admin/")
    page.screenshot(path=str(artifacts_dir / "panel-admin-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/panel/admin/")
    assert page.get_by_text("Back to the panel").is_visible()
    page.screenshot(path=str(artifacts_dir / "panel-admin-1280.png"), full_page=True)
    assert page_errors.errors == []
    context.close()


def test_wrong_passwords_lock_out_in_the_browser(live_server, make_operator, browser, artifacts_dir):
    make_operator("olga")
    page = browser.new_page()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto(live_server.url + "/panel/login/")
        page.get_by_label("Username").fill("olga")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
    assert page.get_by_role("heading", name="Sign-in is locked for now").is_visible()
    page.screenshot(path=str(artifacts_dir / "panel-locked-1280.png"), full_page=True)
    page.close()
