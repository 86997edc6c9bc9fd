"""The public pages in a real browser, at desktop and phone width, as a visitor sees them."""

from pathlib import Path

import pytest
from django.conf import settings

from privet.policy.selectors import current_version
from privet.policy.services import publish_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "home-en": "/",
    "policy-en": "/privacy/",
    "policy-pl": "/pl/polityka-prywatnosci/",
    "versions-en": "/privacy/versions/",
}
WIDTHS = {"desktop": 1280, "phone": 360}


@pytest.fixture
def site(live_server):
    publish_version(source=Path(settings.PRIVET_DEFAULT_POLICY_FILE).read_text(), actor="test")
    return live_server.url


@pytest.mark.parametrize("width_name", WIDTHS)
def test_pages_render_cleanly_without_javascript_errors(site, browser, page_errors, artifacts_dir,
                                                        width_name):
    context = browser.new_context(viewport={"width": WIDTHS[width_name], "height": 900})
    page = page_errors(context.new_page())
    for name, path in PAGES.items():
        response = page.goto(site + path)
        assert response.status == 200, path
        # Nothing wider than the screen: no sideways scrolling on a phone.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} overflows by {overflow}px at {width_name} width"
        page.screenshot(path=str(artifacts_dir / f"{name}-{width_name}.png"), full_page=True)
    assert page_errors.errors == []  # includes CSP violations
    context.close()


def test_language_switch_and_table_of_contents_by_keyboard(site, browser):
    page = browser.new_page()
    page.goto(site + "/privacy/")
    page.get_by_role("link", name="Polski").click()
    assert page.url.endswith("/pl/polityka-prywatnosci/")
    assert page.get_by_role("heading", level=1).inner_text() == "Polityka prywatności"
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Przejdź do treści"
    page.get_by_role("link", name="Okres przechowywania").click()
    assert page.url.endswith("#retention")
    rules = current_version().declaration().retention
    assert page.locator("#retention table tbody tr").count() == len(rules)
    page.close()
