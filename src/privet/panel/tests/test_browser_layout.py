"""Layout at the sizes people use: the admin's consent receipts at 1280 px, the public header
on a phone (375 x 667). Measured in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.consent.services import record_consent
from privet.policy.services import publish_version

from .conftest import PASSWORD, sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECEIPTS = "/panel/admin/consent/consentreceipt/"
PHONE = {"width": 375, "height": 667}
# The most of a phone's screen the site's header may take, before the page's own content.
HEADER_SHARE = 0.15


@pytest.fixture
def policy(live_server):
    return publish_version(source=Path(settings.PRIVET_DEFAULT_POLICY_FILE).read_text(), actor="test")


@pytest.fixture
def admin_with_receipts(live_server, policy):
    user = get_user_model().objects.create_superuser("ada", password=PASSWORD)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    for n, choices in enumerate([{"analytics": True, "marketing": True},
                                 {"analytics": False, "marketing": False},
                                 {"analytics": True, "marketing": False}]):
        record_consent(site="softcode", visitor_id=f"{n:x}" * 32, choices=choices,
                       method="custom", policy_hash=policy.content_hash, gpc=n == 1,
                       banner_version="1", language="en", user_agent="Mozilla/5.0 Firefox/133.0")
    return live_server.url, user


@pytest.mark.parametrize("lang", ["", "/pl"])
def test_the_receipts_changelist_fits_1280_pixels(admin_with_receipts, browser, page_errors,
                                                  artifacts_dir, lang):
    url, user = admin_with_receipts
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = page_errors(context.new_page())
    sign_in_browser(page, url, user)
    page.goto(url + lang + RECEIPTS)
    page.screenshot(path=str(artifacts_dir / f"admin-receipts-1280{lang.replace('/', '-')}.png"),
                    full_page=True)
    # The page itself never scrolls sideways ...
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # ... and every column heading and cell of the table is on screen, none cut off or hidden
    # behind the filters.
    viewport = page.evaluate("window.innerWidth")
    table = page.locator("#result_list").bounding_box()
    assert table["x"] >= 0 and table["x"] + table["width"] <= viewport
    headers = page.locator("#result_list thead th")
    assert headers.count() == 7  # read-only: no checkbox column
    filters = page.locator("#changelist-filter").bounding_box()
    for i in range(headers.count()):
        box = headers.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport, headers.nth(i).inner_text()
        if filters:
            assert box["x"] + box["width"] <= filters["x"], headers.nth(i).inner_text()
    assert page_errors.errors == []
    context.close()


@pytest.mark.parametrize("path", ["/", "/privacy/", "/pl/polityka-prywatnosci/", "/contact/",
                                  "/pl/kontakt/"])
def test_the_public_header_takes_little_of_a_phone_screen(policy, live_server, browser,
                                                          page_errors, artifacts_dir, path):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = page_errors(context.new_page())
    page.goto(live_server.url + path)
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] <= HEADER_SHARE * PHONE["height"], (
        f"{path}: the header is {header['height']:.0f}px of {PHONE['height']}px")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Nothing of the header is hidden in a scrolling strip either.
    assert page.locator("header.site-header .nav").evaluate("n => n.scrollWidth <= n.clientWidth")
    # Every link of the header is still there and can be tapped (at least 24 px, WCAG 2.5.8).
    links = page.locator("header.site-header a")
    assert links.count() >= 5  # brand, four sections (or three), language
    for i in range(links.count()):
        link = links.nth(i)
        assert link.is_visible(), link.inner_text()
        box = link.bounding_box()
        assert box["height"] >= 24 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=str(artifacts_dir / f"header-375{path.replace('/', '-')}.png"))
    context.close()
