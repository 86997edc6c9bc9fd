"""The audit log on a phone: one card per event, nothing wider than the screen."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.audit.services import append_events
from privet.panel.roles import PRIVACY_OFFICER

from .conftest import PASSWORD, code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = 375


def test_the_audit_log_fits_a_phone(live_server, make_operator, browser, page_errors, artifacts_dir):
    officer = make_operator("piotr", PRIVACY_OFFICER)
    # The long values that made the table 744 px wide: codes, objects and details without spaces.
    append_events([{"actor": "system:worker", "action": "enquiry.mail_not_sent",
                    "object_type": "enquiries.enquiry", "object_id": str(1000 + i),
                    "details": {"error": "SMTPRecipientsRefused", "kind": "acknowledgement",
                                "policy_version_hash": "5d64c5766e4f72a32da356d182a3e1c1"}}
                   for i in range(5)])
    context = browser.new_context(viewport={"width": PHONE, "height": 800})
    page = page_errors(context.new_page())
    page.goto(live_server.url + "/panel/login/?next=/panel/audit/")
    page.get_by_label("Username").fill("piotr")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/panel/login/verify/**")
    page.get_by_label("Six-digit code from your authenticator app").fill(
        code_for(TOTPDevice.objects.get(user=officer)))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(live_server.url + "/panel/audit/")
    for path, words in (("/panel/audit/", "Mail not sent"), ("/pl/panel/audit/", "Nie wysłano")):
        page.goto(live_server.url + path)
        page.screenshot(path=str(artifacts_dir / f"panel-audit{path.count('/pl/') * '-pl'}-{PHONE}.png"),
                        full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE, path
        # Nor does the table hide a part of itself behind a sideways scroll inside its card.
        card = page.locator(".card-flush")
        assert card.evaluate("el => el.scrollWidth <= el.clientWidth"), path
        first = page.locator("tbody tr").first
        box = first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE
        assert page.locator("tbody").get_by_text(words).first.is_visible()
    assert page_errors.errors == []
    context.close()
