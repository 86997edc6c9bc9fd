"""The banner in Debian's Chromium, on the demo page: an analytics script (type="text/plain",
purpose analytics) that sets a cookie and calls /consent/demo/beacon, and a marketing pixel.
Nothing optional may run, set a cookie or be requested before consent."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from privet.consent import BANNER_VERSION
from privet.consent.models import ConsentReceipt
from privet.consent.selectors import granted_purposes
from privet.policy.services import publish_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = "/consent/demo/"
ESSENTIAL = {"privet_consent", "csrftoken", "sessionid", "__Host-privet-csrf", "__Host-privet-session"}
# Records the banner's public event, so a test can wait until it has applied a stored choice.
LISTEN = "document.addEventListener('privet:consent', e => { window.__consent = e.detail; });"
GPC = "Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true});"
RECEIPTS = "**/api/consent/receipts"
SAVE_FAILED = "Your choice could not be saved. Please try again."
NO_ANIMATION = "() => document.getAnimations().every(a => a.playState !== 'running')"


@pytest.fixture
def site(live_server):
    publish_version(source=Path(settings.PRIVET_DEFAULT_POLICY_FILE).read_text(), actor="test")
    return live_server.url


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.add_init_script(LISTEN)
    yield ctx
    ctx.close()


def watch(page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def beacons(urls: list[str]) -> list[str]:
    return [u for u in urls if "/consent/demo/beacon" in u]


def cookie_names(context) -> set[str]:
    return {c["name"] for c in context.cookies()}


def banner(page):
    return page.get_by_role("dialog", name="Cookies on this website")


def receipt_response(page):
    return page.expect_response(lambda r: r.url.endswith("/api/consent/receipts"))


def load_with_stored_choice(page, url: str) -> list[str]:
    """Load ``url`` as a returning visitor and wait until the banner has applied the choice."""
    urls = watch(page)
    page.goto(url)
    # A function, not an expression: the page's CSP forbids the eval that polls an expression,
    # so an expression not already true at the first check fails instead of being waited for.
    page.wait_for_function("() => window.__consent !== undefined")
    return urls


def test_nothing_optional_runs_before_a_choice_and_reject_all_keeps_it_so(site, context, page_errors):
    page = page_errors(context.new_page())
    urls = watch(page)
    page.goto(site + DEMO)
    expect(banner(page)).to_be_visible()
    expect(page.get_by_role("button", name="Accept all")).to_be_visible()
    expect(page.get_by_role("button", name="Reject all")).to_be_visible()
    assert beacons(urls) == []
    assert cookie_names(context) <= ESSENTIAL
    assert page.locator("script[type='text/plain'][data-privet-purpose=analytics]").count() == 1
    # Consent Mode v2: everything denied before any tag runs, and no update before a choice.
    first = page.evaluate("Array.from(window.dataLayer[0])")
    assert first[:2] == ["consent", "default"]
    assert {k: first[2][k] for k in ("ad_storage", "analytics_storage", "ad_user_data",
                                     "ad_personalization")} == dict.fromkeys(
        ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization"), "denied")
    assert page.evaluate("window.dataLayer.length") == 1
    # Not a cookie wall: the page can be used with the banner open.
    page.get_by_role("link", name="Privacy policy").first.click()
    page.go_back()

    with receipt_response(page) as response:
        page.get_by_role("button", name="Reject all").click()
    assert response.value.status == 201
    expect(banner(page)).to_be_hidden()
    for _ in range(2):
        urls = load_with_stored_choice(page, site + DEMO)
        expect(banner(page)).to_have_count(0)
        assert beacons(urls) == []
        assert page.evaluate("window.__consent") == ["essential"]
        assert page.evaluate("privet.consent.granted('analytics')") is False
    assert "privet_consent" in cookie_names(context)
    assert cookie_names(context) <= ESSENTIAL
    receipt = ConsentReceipt.objects.get()
    assert receipt.method == "reject_all" and granted_purposes(receipt) == ["essential"]
    assert receipt.site == "privet" and receipt.user_agent_family in {"Chrome", "bot"}
    assert receipt.banner_version == BANNER_VERSION  # the script and the server agree
    assert page_errors.errors == []
    assert all(u.startswith(site) for u in urls), "only requests to Privet itself"


def test_accept_all_loads_the_gated_script_and_withdrawing_stops_it(site, context, page_errors):
    page = page_errors(context.new_page())
    page.goto(site + DEMO)
    with page.expect_request(lambda r: "beacon?purpose=analytics" in r.url), \
         page.expect_request(lambda r: "beacon?purpose=marketing" in r.url):
        page.get_by_role("button", name="Accept all").click()
    expect(page.locator("#demo-analytics")).to_have_text("Running: you allowed analytics cookies.")
    assert "_ga" in cookie_names(context)
    update = page.evaluate("Array.from(window.dataLayer[window.dataLayer.length - 1])")
    assert update[:2] == ["consent", "update"]
    assert update[2]["analytics_storage"] == update[2]["ad_storage"] == "granted"

    # On the next page the choice is remembered and the script runs again.
    urls = load_with_stored_choice(page, site + DEMO)
    expect(page.locator("#demo-analytics")).to_have_text("Running: you allowed analytics cookies.")
    assert len(beacons(urls)) == 2

    # Withdrawing is as easy as giving: the footer link, then "Reject all".
    page.get_by_role("button", name="Cookie settings").click()
    expect(banner(page)).to_be_visible()
    expect(page.get_by_role("checkbox", name="Analytics")).to_be_checked()
    with receipt_response(page):
        page.get_by_role("button", name="Reject all").click()
    page.wait_for_function("() => window.__consent.length === 1")
    assert "_ga" not in cookie_names(context)  # the declared analytics cookies are removed
    urls = load_with_stored_choice(page, site + DEMO)
    assert beacons(urls) == []
    expect(page.locator("#demo-analytics")).to_have_text("Not running: no consent to analytics.")
    receipts = list(ConsentReceipt.objects.all())
    assert [r.method for r in receipts] == ["accept_all", "reject_all"]
    assert receipts[0].visitor_id == receipts[1].visitor_id
    assert page_errors.errors == []


@pytest.mark.parametrize("signal", ["header and navigator", "Sec-GPC header", "navigator"])
def test_global_privacy_control_refuses_marketing_and_the_banner_says_so(site, browser, signal):
    """Either signal alone is enough: the header reaches the server (config and receipt), the
    navigator property only the script (which tells the server in the receipt's body)."""
    header = signal != "navigator"
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"} if header else {})
    if signal != "Sec-GPC header":
        context.add_init_script(GPC)
    page = context.new_page()
    urls = watch(page)
    page.goto(site + DEMO)
    expect(banner(page)).to_contain_text("Global Privacy Control")
    with page.expect_request(lambda r: "beacon?purpose=analytics" in r.url):
        page.get_by_role("button", name="Accept all").click()
    assert page.evaluate("privet.consent.granted('marketing')") is False
    assert [u for u in beacons(urls) if "marketing" in u] == []
    assert [u for u in urls if "/consent/demo/embed" in u] == []  # the marketing iframe neither
    update = page.evaluate("Array.from(window.dataLayer[window.dataLayer.length - 1])")
    assert update[2]["analytics_storage"] == "granted" and update[2]["ad_storage"] == "denied"
    receipt = ConsentReceipt.objects.get()
    assert receipt.gpc is True and receipt.choices["marketing"] is False
    page.get_by_role("button", name="Cookie settings").click()
    expect(page.get_by_role("checkbox", name="Marketing")).to_be_disabled()
    context.close()


def focused(page) -> str:
    """The accessible text of the focused element, inside the banner's shadow root too."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        return (el.getAttribute('aria-label') || el.labels?.[0]?.textContent || el.textContent).trim();
    }""")


def tab_to(page, name: str, limit: int = 12) -> int:
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused(page).startswith(name):
            return presses
    raise AssertionError(f"{name!r} not reached by Tab; focus is on {focused(page)!r}")


def test_the_whole_flow_works_by_keyboard_alone(site, context, page_errors):
    page = page_errors(context.new_page())
    page.goto(site + DEMO)
    expect(banner(page)).to_be_visible()
    page.keyboard.press("Tab")
    assert focused(page) == "Skip to content"  # the page's own skip link stays first
    tab_to(page, "Settings", limit=5)          # then the banner, before the page
    outline = page.evaluate("""() => {
        const el = document.querySelector('#privet-consent').shadowRoot.activeElement;
        return getComputedStyle(el).outlineStyle; }""")
    assert outline == "solid"  # visible focus
    page.keyboard.press("Enter")
    expect(page.get_by_role("checkbox", name="Analytics")).to_be_visible()
    assert page.evaluate("document.querySelector('#privet-consent').shadowRoot"
                         ".querySelector('[role=dialog]').getAttribute('aria-modal')") == "true"
    tab_to(page, "Analytics")
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name="Analytics")).to_be_checked()
    # Focus stays in the dialog: from the last control, Tab goes back to the first.
    tab_to(page, "Save choices")
    page.keyboard.press("Tab")
    assert focused(page) == "Close"
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "Save choices"
    with receipt_response(page), page.expect_request(lambda r: "beacon?purpose=analytics" in r.url):
        page.keyboard.press("Enter")
    # Focus is not lost on the hidden banner: it goes to the page's reopen control, in place.
    assert focused(page) == "Change your cookie choice"
    assert page.evaluate("window.scrollY") == 0
    receipt = ConsentReceipt.objects.get()
    assert receipt.method == "custom"
    assert receipt.choices == {"essential": True, "analytics": True, "marketing": False}

    # Reopen from the footer by keyboard; Escape closes and gives focus back.
    page.get_by_role("button", name="Cookie settings").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("checkbox", name="Analytics")).to_be_checked()
    page.keyboard.press("Escape")
    expect(banner(page)).to_be_hidden()
    assert focused(page) == "Cookie settings"
    assert page_errors.errors == []


def test_polish_page_gets_a_polish_banner(site, context):
    page = context.new_page()
    page.goto(site + "/pl" + DEMO)
    dialog = page.get_by_role("dialog", name="Pliki cookie na tej stronie")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="Odrzuć wszystkie")).to_be_visible()
    page.get_by_role("button", name="Ustawienia", exact=True).click()
    expect(page.get_by_role("checkbox", name="Analityczne")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Niezbędne")).to_be_checked()
    expect(dialog).to_contain_text("Zawsze włączone")


def test_with_no_server_nothing_optional_runs(site, context):
    page = context.new_page()
    page.route("**/api/consent/config*", lambda route: route.abort())
    urls = watch(page)
    with page.expect_event("requestfailed"):
        page.goto(site + DEMO)
    page.wait_for_load_state("load")
    assert page.evaluate("privet.consent.granted('analytics')") is False
    assert page.locator("#privet-consent").count() == 0
    assert beacons(urls) == []
    assert cookie_names(context) <= ESSENTIAL

    # Once the server is back, "Cookie settings" loads the configuration again and opens.
    page.unroute("**/api/consent/config*")
    page.get_by_role("button", name="Cookie settings").click()
    expect(page.get_by_role("checkbox", name="Analytics")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Analytics")).not_to_be_checked()
    assert beacons(urls) == []


@pytest.mark.parametrize(("width", "lang"), [(1280, "en"), (360, "en"), (360, "pl"), (320, "en")])
def test_banner_fits_the_screen_and_is_saved_as_a_screenshot(site, browser, artifacts_dir, width, lang):
    context = browser.new_context(viewport={"width": width, "height": 740})
    page = context.new_page()
    page.goto(site + ("/pl" if lang == "pl" else "") + DEMO)
    box = page.locator("#privet-consent").locator("section")
    expect(box).to_be_visible()
    page.wait_for_function(NO_ANIMATION)
    for state in ("notice", "settings"):
        bounds = box.bounding_box()
        assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        page.screenshot(path=str(artifacts_dir / f"consent-banner-{state}-{lang}-{width}.png"))
        if state == "notice":
            page.locator("#privet-consent [data-a=settings]").click()
            page.wait_for_function(NO_ANIMATION)
    context.close()


@pytest.mark.parametrize("failure", ["503", "network error"])
def test_a_choice_the_server_did_not_store_changes_nothing_and_says_so(site, context, failure,
                                                                       artifacts_dir):
    page = context.new_page()
    urls = watch(page)
    page.route(RECEIPTS, lambda route: route.fulfill(status=503, json={"error": "down"})
               if failure == "503" else route.abort())
    page.goto(site + DEMO)
    with page.expect_event("requestfinished" if failure == "503" else "requestfailed",
                           lambda r: r.url.endswith("/api/consent/receipts")):
        page.get_by_role("button", name="Accept all").click()
    expect(page.get_by_role("alert")).to_have_text(SAVE_FAILED)
    expect(banner(page)).to_be_visible()  # still there to try again
    page.wait_for_function(NO_ANIMATION)
    page.screenshot(path=str(artifacts_dir / "consent-banner-save-failed-en-1280.png"))
    assert beacons(urls) == []
    assert "privet_consent" not in cookie_names(context)
    assert page.evaluate("privet.consent.granted('analytics')") is False
    assert page.evaluate("window.__consent") is None  # nothing was applied

    # The server is back: the same button works, and the message goes.
    page.unroute(RECEIPTS)
    with page.expect_request(lambda r: "beacon?purpose=analytics" in r.url):
        page.get_by_role("button", name="Accept all").click()
    expect(banner(page)).to_be_hidden()
    assert "privet_consent" in cookie_names(context)
    assert ConsentReceipt.objects.count() == 1


def test_a_withdrawal_holds_even_when_its_receipt_cannot_be_stored(site, context):
    """Stopping needs no proof: a failed withdrawal still stops the gated script and is kept in
    the cookie; the banner says the choice could not be saved. (A grant would wait.)"""
    page = context.new_page()
    page.goto(site + DEMO)
    with receipt_response(page):
        page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.__consent !== undefined")
    before = {c["name"]: c["value"] for c in context.cookies()}["privet_consent"]
    assert before.endswith(".analytics-marketing")

    page.route(RECEIPTS, lambda route: route.fulfill(status=503))
    page.get_by_role("button", name="Cookie settings").click()
    with receipt_response(page):
        page.get_by_role("button", name="Reject all").click()
    expect(page.get_by_role("alert")).to_have_text(SAVE_FAILED)
    expect(banner(page)).to_be_visible()
    assert page.evaluate("privet.consent.granted('analytics')") is False
    after = {c["name"]: c["value"] for c in context.cookies()}["privet_consent"]
    assert after != before and after.endswith(".")  # the same visitor, nothing granted
    assert after.split(".")[0] == before.split(".")[0]
    assert "_ga" not in cookie_names(context)
    urls = load_with_stored_choice(page, site + DEMO)  # and it stays withdrawn
    assert beacons(urls) == []
    assert ConsentReceipt.objects.count() == 1


def test_only_the_answer_to_the_latest_choice_counts(site, browser):
    """Accept, then Reject before the first answer came: the late answer to Accept is ignored."""
    context = browser.new_context()
    context.add_init_script("window.__applied = []; document.addEventListener('privet:consent',"
                            " e => window.__applied.push(e.detail));")
    page = context.new_page()
    urls = watch(page)
    held = []
    page.route(RECEIPTS, lambda route: held.append(route))
    page.goto(site + DEMO)
    with page.expect_request(RECEIPTS):
        page.get_by_role("button", name="Accept all").click()
    with page.expect_request(RECEIPTS):
        page.get_by_role("button", name="Reject all").click()
    assert len(held) == 2
    accept, reject = held
    assert json.loads(accept.request.post_data)["method"] == "accept_all"
    with page.expect_response(RECEIPTS):
        accept.continue_()  # the older answer arrives first...
    with page.expect_response(RECEIPTS):
        reject.continue_()
    page.wait_for_function("() => window.__applied.length > 0")
    assert page.evaluate("window.__applied") == [["essential"]]  # ...and only Reject applied
    assert beacons(urls) == []
    assert page.evaluate("privet.consent.granted('analytics')") is False
    assert ConsentReceipt.objects.count() == 2  # both stored: the history shows both clicks
    context.close()


def test_consent_mode_default_comes_before_a_google_tag_that_follows(site, context, page_errors):
    """The demo page has a Google tag's stand-in (a plain script file, CSP allows no inline
    script) right after the banner's tag: when it runs, the default must be in the dataLayer."""
    page = page_errors(context.new_page())
    page.goto(site + DEMO)
    seen = page.evaluate("window.privetDemoGtag")
    assert seen["seen"] is True
    assert seen["first"][:2] == ["consent", "default"]
    assert seen["first"][2]["ad_storage"] == seen["first"][2]["analytics_storage"] == "denied"
    expect(page.locator("#demo-gtag")).to_contain_text("Found the banner")
    assert page.locator("script[src*='consent.js']").get_attribute("defer") is None
    assert page_errors.errors == []


def test_the_banner_still_works_when_a_site_embeds_it_with_defer(site, context):
    page = context.new_page()

    def with_defer(route):
        html = route.fetch().text()
        route.fulfill(body=html.replace('data-privet-site="privet">', 'data-privet-site="privet" defer>'),
                      content_type="text/html; charset=utf-8")

    page.route(site + DEMO, with_defer)
    page.goto(site + DEMO)
    assert page.locator("script[src*='consent.js']").get_attribute("defer") == ""
    assert page.evaluate("window.privetDemoGtag.seen") is False  # what defer costs Consent Mode
    with page.expect_request(lambda r: "beacon?purpose=analytics" in r.url):
        page.get_by_role("button", name="Accept all").click()
    assert page.evaluate("Array.from(window.dataLayer[0]).slice(0, 2)") == ["consent", "default"]


def test_gated_scripts_run_in_document_order(site, context):
    """Like parsed scripts: a second one that finishes downloading first still waits (a library
    and the code that uses it)."""
    page = context.new_page()
    gated = ('<script type="text/plain" data-privet-purpose="analytics" src="/order/a.js"></script>'
             '<script type="text/plain" data-privet-purpose="analytics" src="/order/b.js"></script>')

    def with_two_scripts(route):
        html = route.fetch().text()
        route.fulfill(body=html.replace("</main>", gated + "</main>"),
                      content_type="text/html; charset=utf-8")

    def script(name: str) -> dict:
        return {"body": f"window.__order = (window.__order || []).concat('{name}');",
                "content_type": "text/javascript"}

    held = []
    page.route(site + DEMO, with_two_scripts)
    page.route("**/order/a.js", lambda route: held.append(route))
    page.route("**/order/b.js", lambda route: route.fulfill(**script("b")))
    page.goto(site + DEMO)
    with page.expect_response("**/order/b.js"):
        page.get_by_role("button", name="Accept all").click()
    held[0].fulfill(**script("a"))  # a arrives last
    page.wait_for_function("() => (window.__order || []).length === 2")
    assert page.evaluate("window.__order") == ["a", "b"]


def test_a_gated_iframe_loads_only_after_its_purpose_is_granted(site, context, page_errors):
    page = page_errors(context.new_page())
    urls = watch(page)
    page.goto(site + DEMO)
    expect(banner(page)).to_be_visible()
    frame = page.locator("iframe.demo-embed")
    assert frame.get_attribute("src") is None
    assert [u for u in urls if "/consent/demo/embed" in u] == []
    with page.expect_request(lambda r: "/consent/demo/embed" in r.url):
        page.get_by_role("button", name="Accept all").click()
    expect(page.frame_locator("iframe.demo-embed").get_by_text("Embedded content, loaded"))\
        .to_be_visible()
    assert page_errors.errors == []


def test_privet_consent_open_reopens_the_choice(site, context):
    page = context.new_page()
    page.goto(site + DEMO)
    with receipt_response(page):
        page.get_by_role("button", name="Accept all").click()
    expect(banner(page)).to_be_hidden()
    page.evaluate("privet.consent.open()")
    expect(banner(page)).to_be_visible()
    expect(page.get_by_role("checkbox", name="Analytics")).to_be_checked()
    page.get_by_role("checkbox", name="Analytics").uncheck()
    with receipt_response(page):
        page.get_by_role("button", name="Save choices").click()
    page.wait_for_function("() => !privet.consent.granted('analytics')")
    assert [r.method for r in ConsentReceipt.objects.all()] == ["accept_all", "custom"]


def test_a_new_policy_version_with_other_cookie_purposes_asks_again(site, browser, context):
    page = context.new_page()
    page.goto(site + DEMO)
    with page.expect_request(lambda r: "beacon?purpose=analytics" in r.url):
        page.get_by_role("button", name="Accept all").click()
    assert "_ga" in cookie_names(context)
    source = Path(settings.PRIVET_DEFAULT_POLICY_FILE).read_text().replace('id: "1.0"', 'id: "1.1"', 1)
    publish_version(source=source.replace("duration: {en: 3 months, pl: 3 miesiące}",
                                          "duration: {en: 6 months, pl: 6 miesięcy}", 1), actor="test")

    # The configuration may be cached for a minute (Cache-Control: max-age=60), so this is the
    # same visitor (the same cookies) in a browser that has not cached it: the next page view
    # after that minute at the latest.
    later = browser.new_context()
    later.add_cookies(context.cookies())
    page = later.new_page()
    urls = watch(page)
    page.goto(site + DEMO)
    expect(banner(page)).to_be_visible()
    assert beacons(urls) == []
    assert page.evaluate("privet.consent.granted('analytics')") is False
    page.wait_for_function("() => !document.cookie.includes('_ga=')")  # refused until asked
    later.close()


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_reduced_motion_is_respected(site, browser, motion):
    context = browser.new_context(reduced_motion=motion)
    page = context.new_page()
    page.goto(site + DEMO)
    expect(banner(page)).to_be_visible()
    name = page.evaluate("getComputedStyle(document.querySelector('#privet-consent')"
                         ".shadowRoot.querySelector('.box')).animationName")
    assert name == ("none" if motion == "reduce" else "privet-in")
    if motion == "reduce":
        assert page.evaluate("document.getAnimations().length") == 0
    context.close()
