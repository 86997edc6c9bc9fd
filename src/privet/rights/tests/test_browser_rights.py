"""Every right, end to end in a real browser: the person's data comes in through the site (the
cookie banner, the contact form), the person asks in the portal, confirms by the link in a mail
received over a real SMTP conversation, an operator signs in with a real TOTP code, reads the plan
and carries the request out in the panel, and the person gets the answer: the archive from the
link in the answer mail, or a mail saying what was done, which the database bears out. In English
and in Polish (the Polish paths, pages and mail).

The engine runs on the worker in production; here the test settings' immediate task backend runs
it in the live server's thread when the operator presses "Carry out" (``enqueue`` is called after
the commit, so the task runs exactly as a worker's would, on committed rows).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.core.cache import caches
from django.utils import timezone
from playwright.sync_api import expect

from privet.consent.models import ConsentReceipt
from privet.enquiries import services as enquiry_services
from privet.enquiries.models import Enquiry
from privet.panel.roles import OPERATOR
from privet.panel.tests.conftest import sign_in_browser
from privet.policy.services import publish_version
from privet.rights.models import ExportArchive, RightsRequest, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What a person and an operator see, per language.
WORDS = {
    "en": {
        "contact": "/contact/", "thanks": "**/contact/thanks/", "name": "Your name",
        "email": "Email", "about": "What is it about?", "message": "Your message",
        "send_enquiry": "Send enquiry", "accept": "Accept all", "reject": "Reject all",
        "portal": "/privacy/requests/", "sent": "**/privacy/requests/sent/",
        "portal_title": "Exercise your privacy rights", "your_email": "Your email address",
        "details": "Details", "use_cookie": "Also search by this browser's cookie choices",
        "send_request": "Send request", "check_mail": "Check your mail",
        "confirm": "Confirm my request", "status": "**/privacy/requests/status/?s=*",
        "verified": "Verified", "completed": "Completed",
        "subject_verify": "Confirm your request", "subject_done": "is answered",
        "hello": "Hello,", "readme": "Your data held by",
        "rights": {"access": "Access your data", "portability": "Data portability",
                   "rectification": "Rectification", "erasure": "Deletion",
                   "restriction": "Restriction of processing",
                   "objection": "Object to processing", "withdraw_consent": "Withdraw consent"},
        "done": {
            "rectification": "1 record corrected",
            "erasure": "1 record erased",
            "restriction": "We keep your data but no longer use it otherwise",
            "objection": "We have stopped processing your data on the ground of our legitimate",
            "withdraw_consent": "Your consent is withdrawn",
        },
        "kept": "What we had to keep, and why:",
        "download": "Your data is ready to download",
    },
    "pl": {
        "contact": "/pl/kontakt/", "thanks": "**/pl/kontakt/dziekujemy/", "name": "Imię i nazwisko",
        "email": "E-mail", "about": "Czego dotyczy zapytanie?", "message": "Wiadomość",
        "send_enquiry": "Wyślij zapytanie", "accept": "Zaakceptuj wszystkie",
        "reject": "Odrzuć wszystkie",
        "portal": "/pl/polityka-prywatnosci/zadania/",
        "sent": "**/pl/polityka-prywatnosci/zadania/wyslane/",
        "portal_title": "Skorzystaj ze swoich praw dotyczących danych",
        "your_email": "Twój adres e-mail", "details": "Szczegóły",
        "use_cookie": "Szukaj także po wyborach plików cookie w tej przeglądarce",
        "send_request": "Wyślij żądanie", "check_mail": "Sprawdź pocztę",
        "confirm": "Potwierdzam żądanie", "status": "**/pl/polityka-prywatnosci/zadania/status/?s=*",
        "verified": "Potwierdzono", "completed": "Zrealizowane",
        "subject_verify": "Potwierdź swoje żądanie", "subject_done": "zostało zrealizowane",
        "hello": "Dzień dobry,", "readme": "Twoje dane przetwarzane przez",
        "rights": {"access": "Dostęp do danych", "portability": "Przenoszenie danych",
                   "rectification": "Sprostowanie", "erasure": "Usunięcie",
                   "restriction": "Ograniczenie przetwarzania",
                   "objection": "Sprzeciw wobec przetwarzania", "withdraw_consent": "Wycofanie zgody"},
        "done": {
            "rectification": "1 rekord poprawiony",
            "erasure": "1 rekord usunięty",
            "restriction": "Przechowujemy Twoje dane, ale poza tym ich nie wykorzystujemy",
            "objection": "Przestaliśmy przetwarzać Twoje dane na podstawie naszego prawnie",
            "withdraw_consent": "Twoja zgoda została wycofana",
        },
        "kept": "Co musieliśmy zachować i dlaczego:",
        "download": "Twoje dane są gotowe do pobrania",
    },
}
# English words that must not appear in a Polish page or mail (a missing translation).
ENGLISH = ("Your request", "Hello", "record", "Confirm", "Received", "Right", "Answer due",
           "What we had to keep", "Questions?")

MESSAGE = "We need a booking panel for our dental clinic, ready before the autumn."


@pytest.fixture
def site(live_server, settings, cheap_pow, smtp_server):
    """The live site with the policy in force, its links pointing at itself, mail over SMTP,
    and the rate limits' counts of earlier tests forgotten (every test's person is on
    127.0.0.1; the portal takes 5 requests per client in 10 minutes)."""
    caches["default"].clear()
    publish_version(source=Path(settings.PRIVET_DEFAULT_POLICY_FILE).read_text(), actor="test")
    settings.SITE_URL = live_server.url
    return live_server.url, smtp_server()


def mails(inbox, to: str) -> list:
    """The messages the SMTP server accepted for ``to``, parsed."""
    return [message_from_bytes(raw, policy=policy.default)
            for _sender, rcpts, raw in inbox.messages if to in rcpts]


def mail_about(inbox, to: str, subject: str):
    [found] = [m for m in mails(inbox, to) if subject in m["subject"]]
    return found, found.get_body(("plain",)).get_content()


def link(body: str, marker: str) -> str:
    [url] = [u for u in re.findall(r"https?://\S+", body) if marker in u]
    return url


def dismiss_banner(page, button: str) -> None:
    choice = page.get_by_role("button", name=button, exact=True)
    choice.click()
    expect(choice).to_be_hidden()


def pow_solved(page) -> None:
    expect(page.locator('input[name="altcha"]')).to_have_value(re.compile(r".{20,}"),
                                                              timeout=30_000)


def send_enquiry(page, url: str, w: dict, email: str, *, cookies: str) -> None:
    """The person writes to the studio through the contact form (their data comes in)."""
    page.goto(url + w["contact"])
    dismiss_banner(page, w[cookies])
    page.get_by_label(w["name"]).fill("Anna Kowalska")
    page.get_by_label(w["email"]).fill(email)
    page.get_by_label(w["about"]).select_option("web_app")
    page.get_by_label(w["message"]).fill(MESSAGE)
    pow_solved(page)
    page.get_by_role("button", name=w["send_enquiry"]).click()
    page.wait_for_url(w["thanks"] + "**")


def ask(page, url: str, w: dict, right: str, email: str, *, details: str = "",
        use_cookie: bool = False) -> None:
    """The person asks for ``right`` in the portal."""
    page.goto(url + w["portal"])
    expect(page.get_by_role("heading", level=1)).to_have_text(w["portal_title"])
    page.get_by_role("radio", name=re.compile("^" + re.escape(w["rights"][right]))).check()
    page.get_by_label(w["your_email"]).fill(email)
    if details:
        page.get_by_label(w["details"]).fill(details)
    if use_cookie:
        page.get_by_label(w["use_cookie"]).check()
    pow_solved(page)
    page.get_by_role("button", name=w["send_request"]).click()
    page.wait_for_url(w["sent"])
    expect(page.get_by_role("heading", level=1)).to_have_text(w["check_mail"])


def confirm(page, inbox, w: dict, email: str) -> RightsRequest:
    """The person opens the link in the verification mail and presses the button."""
    message, body = mail_about(inbox, email, w["subject_verify"])
    request = RightsRequest.objects.get(email=email)
    assert request.reference in message["subject"] and request.status == Status.UNVERIFIED
    assert body.startswith(w["hello"])
    page.goto(link(body, "?t="))
    request.refresh_from_db()
    assert request.status == Status.UNVERIFIED  # opening the link (a mail scanner) verifies nothing
    page.get_by_role("button", name=w["confirm"]).click()
    page.wait_for_url(w["status"])
    expect(page.get_by_role("definition").filter(has_text=w["verified"])).to_be_visible()
    request.refresh_from_db()
    assert request.status == Status.VERIFIED
    return request


def carry_out(page, url: str, request: RightsRequest, *, changes: dict[str, str] | None = None,
              panel: str = "") -> None:
    """The operator opens the request from the list, reads the plan and carries it out."""
    page.goto(url + panel + "/panel/rights/")
    page.get_by_role("link", name=request.reference).click()
    page.wait_for_url(f"**/panel/rights/{request.pk}/")
    plan = page.locator("section", has=page.locator("#plan-title"))
    expect(plan.get_by_role("heading", name="enquiries")).to_be_visible()
    go = page.locator(".card-go")
    for label, value in (changes or {}).items():
        go.get_by_label(label).fill(value)
    go.get_by_role("button").click()
    page.wait_for_url(f"**/panel/rights/{request.pk}/")
    request.refresh_from_db()
    assert request.status == Status.COMPLETED, (request.status, request.error)


def polish(text: str) -> None:
    leaked = [word for word in ENGLISH if word in text]
    assert not leaked, f"English in a Polish page or mail: {leaked}\n{text}"


def download(context, url: str) -> zipfile.ZipFile:
    """The person clicks the link in the answer mail; the browser saves the archive."""
    page = context.new_page()
    page.set_content(f'<a href="{url}">download</a>')
    with page.expect_download() as saved:
        page.get_by_role("link").click()
    data = Path(saved.value.path()).read_bytes()
    page.close()
    return zipfile.ZipFile(io.BytesIO(data))


CASES = [
    ("access", "en"), ("portability", "pl"), ("rectification", "en"), ("erasure", "pl"),
    ("restriction", "en"), ("objection", "pl"), ("withdraw_consent", "en"), ("access", "pl"),
]


@pytest.mark.parametrize(("right", "lang"), CASES, ids=[f"{r}-{lang}" for r, lang in CASES])
def test_a_person_exercises_a_right_from_the_portal_to_the_answer(
        site, right, lang, browser, make_operator, page_errors, artifacts_dir):
    url, inbox = site
    w = WORDS[lang]
    email = f"anna.{right}@example.com"
    operator = make_operator("olga", OPERATOR)
    shot = lambda p, name: p.screenshot(  # noqa: E731
        path=str(artifacts_dir / f"rights-{right}-{lang}-{name}.png"), full_page=True)

    # The person's data: a cookie choice (accepted where consent matters) and an enquiry.
    person = browser.new_context(viewport={"width": 1280, "height": 900},
                                 locale="pl-PL" if lang == "pl" else "en-GB")
    person.set_default_timeout(10_000)
    page = page_errors(person.new_page())
    consent = right == "withdraw_consent"
    send_enquiry(page, url, w, email, cookies="accept" if consent else "reject")
    enquiry = Enquiry.objects.get(email=email)
    enquiry_services.add_note(enquiry=enquiry, body="Called back, prefers mornings.",
                              actor=operator)
    if right == "erasure":  # an earlier project, kept for claims
        project = enquiry_services.log_enquiry(data={
            "name": "Anna Kowalska", "email": email, "phone": "", "project_type": "website",
            "message": "Our clinic's website."}, actor=operator)
        for status in ("offer", "project"):
            enquiry_services.change_status(enquiry=project, to_status=status, actor=operator,
                                           at=timezone.now())
    visitor_id = ""
    if consent:
        cookie = {c["name"]: c["value"] for c in person.cookies()}["privet_consent"]
        visitor_id = cookie.split(".")[0]
        assert ConsentReceipt.objects.filter(visitor_id=visitor_id).count() == 1

    details = {"rectification": "My name is misspelt; it is Anna Kowalska-Nowak.",
               "objection": "I do not want follow-up mail about offers."}.get(right, "")
    ask(page, url, w, right, email, details=details, use_cookie=consent)
    shot(page, "sent")
    request = confirm(page, inbox, w, email)
    assert request.language == lang and request.visitor_id == visitor_id
    shot(page, "status")
    if lang == "pl":
        polish(page.locator("main").inner_text())
        _verified_mail, body = mail_about(inbox, email, request.reference + " ")
        polish(body)

    # The operator's work.
    office = browser.new_context(viewport={"width": 1280, "height": 900})
    office.set_default_timeout(10_000)
    panel = page_errors(office.new_page())
    sign_in_browser(panel, url, operator)
    changes = {"Name": "Anna Kowalska-Nowak"} if right == "rectification" else None
    carry_out(panel, url, request, changes=changes)
    shot(panel, "panel-done")
    office.close()

    # The person's answer.
    message, body = mail_about(inbox, email, w["subject_done"])
    assert request.reference in message["subject"]
    if lang == "pl":
        polish(message["subject"] + body)
    if right in ("access", "portability"):
        assert w["download"] in body
        archive = download(person, link(body, "?t="))
        names = set(archive.namelist())
        expected = {"enquiries.json", "enquiries.csv", "README.txt"}
        assert expected <= names
        if right == "portability":  # the data the person provided, not what we recorded
            assert "audit.json" not in names
        else:
            assert {"audit.json", "audit.csv"} <= names
        exported = json.loads(archive.read("enquiries.json"))
        [mine] = exported["enquiries"]
        assert mine["message"] == MESSAGE and mine["email"] == email
        assert [n["by"] for n in mine["notes"]] == ["operator"]  # never the operator's name
        assert "olga" not in json.dumps(exported)
        assert MESSAGE in archive.read("enquiries.csv").decode()
        readme = archive.read("README.txt").decode()
        assert readme.startswith(w["readme"]) and request.reference in readme
        assert ExportArchive.objects.get(request=request).downloads == 1
    else:
        assert w["done"][right] in body, body
    if right == "rectification":
        enquiry.refresh_from_db()
        assert enquiry.name == "Anna Kowalska-Nowak"
    elif right == "erasure":
        assert not Enquiry.objects.filter(pk=enquiry.pk).exists()
        assert Enquiry.objects.filter(pk=project.pk).exists()
        kept = body.split(w["kept"])[1]
        assert "Art. 118" in kept or "art. 118" in kept  # the project, kept for claims
    elif right == "restriction":
        enquiry.refresh_from_db()
        assert enquiry.restricted_at is not None
    elif right == "objection":
        enquiry.refresh_from_db()
        assert enquiry.objected_at is not None
    elif right == "withdraw_consent":
        first, withdrawal = ConsentReceipt.objects.filter(visitor_id=visitor_id).order_by("pk")
        assert first.choices["analytics"] and first.choices["marketing"]  # "Accept all"
        assert withdrawal.method == "reject_all"
        assert withdrawal.choices == {**first.choices, "analytics": False, "marketing": False}
        enquiry.refresh_from_db()
        assert enquiry.objected_at is not None  # consent-based processing stops

    # The status page says it is done.
    page.goto(link(body, "?s="))
    expect(page.get_by_role("definition").filter(has_text=w["completed"])).to_be_visible()
    if lang == "pl":
        polish(page.locator("main").inner_text())
    shot(page, "status-done")
    assert [e for e in page_errors.errors if "status of 4" not in e] == []
    person.close()


def test_without_javascript_the_link_confirms_and_the_status_page_withdraws(
        site, browser, artifacts_dir):
    """Only the proof-of-work needs JavaScript: the portal sends its form with it, and every page
    after that (the link's page and its button, the status page, withdrawing, a spent link's
    page) works in a browser with JavaScript off."""
    url, inbox = site
    w, email = WORDS["en"], "jan.nojs@example.com"
    with_js = browser.new_context()
    with_js.set_default_timeout(10_000)
    page = with_js.new_page()
    page.goto(url + w["portal"])
    dismiss_banner(page, w["reject"])
    ask(page, url, w, "erasure", email)
    with_js.close()

    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    for path in (w["portal"], "/privacy/requests/new-link/", "/pl/polityka-prywatnosci/zadania/"):
        page.goto(url + path)  # the forms are there to read; sending them needs the PoW
        expect(page.locator("form.enquiry-form")).to_be_visible()
    _message, body = mail_about(inbox, email, w["subject_verify"])
    verify_url = link(body, "?t=")
    page.goto(verify_url)
    page.get_by_role("button", name=w["confirm"]).click()
    page.wait_for_url(w["status"])
    request = RightsRequest.objects.get(email=email)
    assert request.status == Status.VERIFIED
    page.screenshot(path=str(artifacts_dir / "rights-nojs-status.png"), full_page=True)
    page.get_by_role("button", name="Withdraw my request").click()
    page.wait_for_url("**&withdrawn=1")
    expect(page.get_by_role("status")).to_have_text(
        "Your request is withdrawn. We do nothing more with it.")
    request.refresh_from_db()
    assert request.status == Status.WITHDRAWN
    expect(page.get_by_role("button", name="Withdraw my request")).to_have_count(0)
    # The spent link: one message and a form for a new link, no script needed.
    response = page.goto(verify_url)
    assert response.status == 400
    expect(page.get_by_role("button", name="Send a new link")).to_be_visible()
    context.close()
