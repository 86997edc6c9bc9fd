"""Everything a person reads about a rights request, in Polish: the portal's pages and every
mail, each right's answer included, with no English sentence left.

"English left" is measured against the rights app's own catalogue: every English message of
``rights/locale/pl/LC_MESSAGES/django.po`` that has a Polish translation must not show up, as
it is, in a Polish page or mail (its placeholders and tags cut it into pieces; each piece of
two words or more is looked for, and a one-word message as a whole word). A string that is
not marked for translation at all is caught by the pages' and mails' own phrases below.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone, translation

from privet.audit.privacy import EVIDENCE_REASON
from privet.consent.privacy import PROOF_REASON
from privet.enquiries.privacy import CONTRACT_REASON
from privet.panel.tests.test_polish_pages import visible_text
from privet.registry import registry
from privet.rights import archive, links, notifications, services, tokens
from privet.rights.models import ExportArchive, MailKind, Right, RightsMail, RightsRequest, Status
from privet.rights.privacy import RECORD_REASON

pytestmark = pytest.mark.django_db

PO = Path(__file__).resolve().parents[1] / "locale" / "pl" / "LC_MESSAGES" / "django.po"
PERSON_TYPED = ("Proszę poprawić nazwisko na Nowak", "+48 600 700 800", "Jan Nowak")


def _unquote(line: str) -> str:
    return line[line.index('"') + 1:line.rindex('"')].replace('\\"', '"').replace("\\n", "\n")


def catalogue(path: Path = PO) -> list[tuple[str, str]]:
    """``(English, Polish)`` of each message of a .po file (each plural form, the first Polish
    form against the singular), header left out."""
    entries, current, key = [], {}, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current.get("msgid"):
                entries.append((current["msgid"], current.get("msgstr", "")))
                if current.get("msgid_plural"):
                    entries.append((current["msgid_plural"], current.get("msgstr", "")))
            current, key = {}, None
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key:
            current[key] += _unquote(line)
        else:
            key = line.split(" ", 1)[0]
            key = "msgstr" if key.startswith("msgstr[0]") else key
            if key.startswith("msgstr["):
                key = None
                continue
            current[key] = _unquote(line)
    return entries


# The site's language switcher names each language in that language: "English" on a Polish page
# is the way back, not a word left untranslated.
SAID_AS_IS = {"English"}
PIECE = re.compile(r"%\(\w+\)[sd]|<[^>]+>|\{[^}]*\}|[“”„]")


def english_pieces() -> list[str]:
    """The pieces of the catalogue's English that a Polish text must not contain."""
    pieces = set()
    for english, polish in catalogue():
        if (not polish or polish == english or english in SAID_AS_IS
                or ("/" in english and " " not in english)):
            continue  # untranslated on purpose (API), or a URL path
        for piece in PIECE.split(english):
            piece = piece.strip(" .,:;()?!\n")
            if len(piece.split()) >= 2 or (piece.isalpha() and len(piece) >= 4
                                           and piece not in polish):
                pieces.add(piece)
    return sorted(pieces, key=len, reverse=True)


def english_in(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text)
    return [p for p in english_pieces()
            if re.search(r"(?<![\w-])" + re.escape(p) + r"(?![\w-])", text)]


def test_every_message_of_the_rights_catalogue_has_its_polish():
    missing = [english for english, polish in catalogue() if not polish]
    assert missing == []
    assert len(english_pieces()) > 150  # the check below has something to look for


# --- the portal ------------------------------------------------------------------------------------

def test_every_public_rights_page_in_polish_shows_no_english(published, pow_payload, settings):
    client = Client()
    base = "/pl/polityka-prywatnosci/zadania/"
    request = services.submit_request(right="rectification", email="anna@example.com",
                                      details=PERSON_TYPED[0], language="pl")
    token = tokens.issue_verification_token(request)
    done = services.submit_request(right="access", email="anna@example.com", language="pl")
    RightsRequest.objects.filter(pk=done.pk).update(status=Status.COMPLETED)
    client.cookies["privet_consent"] = f"{'ab' * 16}.abc.analytics"  # offers the cookie search
    pages = {
        "portal": client.get(base),
        "portal refused": client.post(base, {"right": "objection", "email": "not an address",
                                             "phone": "call me", "website": ""}),
        "sent": client.get(base + "wyslane/"),
        "new link": client.get(base + "nowy-link/"),
        "new link refused": client.post(base + "nowy-link/", {"email": "nope"}),
        "verify": client.get(base + "potwierdz/", {"t": token}),
        "invalid link": client.get(base + "potwierdz/", {"t": "forged"}),
        "status": client.get(base + "status/", {"s": links.status_token(request)}),
        "status closed": client.post(base + "status/", {"s": links.status_token(done),
                                                        "action": "withdraw"}),
        "status unknown": client.get(base + "status/", {"s": "forged"}),
        "download invalid": client.get(base + "pobierz/", {"t": "forged"}),
    }
    settings.PRIVET_RIGHTS_RATE_LIMIT = 0
    pages["throttled"] = client.post(base, {"right": "access", "email": "anna@example.com",
                                            "altcha": pow_payload()})
    found = {}
    for name, response in pages.items():
        assert response.status_code in (200, 400, 404, 409, 429), name
        assert response.headers["Content-Language"] == "pl", name
        if english := english_in(visible_text(response.content.decode())):
            found[name] = english
    assert not found, found


@pytest.mark.parametrize("deleted", [True, False])
def test_the_download_pages_of_a_gone_archive_are_polish(published, deleted):
    request = services.submit_request(right="access", email="anna@example.com", language="pl")
    if deleted:
        ExportArchive.objects.create(request=request, path="rights/archives/x.zip.enc",
                                     expires_at=timezone.now() - timedelta(days=1),
                                     deleted_at=timezone.now())
    with translation.override("pl"):
        url = archive.download_url(request)
    response = Client().get(url.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert response.status_code == (410 if deleted else 404)
    assert english_in(visible_text(response.content.decode())) == []


# --- every mail ----------------------------------------------------------------------------------------

RESULTS = {
    "sources": {
        "enquiries": {"records": 3, "holdings": {"contact_details": 3, "communication_content": 3},
                      "erased": 2, "changed": 2,
                      "kept": [{"records": 1, "reason": CONTRACT_REASON,
                                "rules": ["project_data/delivery after contract_end"]}]},
        "consent_receipts": {"records": 2, "holdings": {"technical_data": 2}, "erased": 0,
                             "changed": 0,
                             "kept": [{"records": 2, "reason": PROOF_REASON, "rules": []}]},
        "audit": {"records": 5, "holdings": {"contact_details": 5}, "erased": 0, "changed": 0,
                  "kept": [{"records": 5, "reason": EVIDENCE_REASON, "rules": []}]},
        "rights_requests": {"records": 1, "holdings": {"contact_details": 1}, "erased": 0,
                            "changed": 0,
                            "kept": [{"records": 1, "reason": RECORD_REASON,
                                      "rules": ["contact_details/legal_obligations after "
                                                "request_closed"]}]},
    },
    "recipients_notified": ["hosting_email", "professional_services"],
    "consent_withdrawn": True,
    "archive": True,
}


def a_request(right: str, lang: str, *, decision: str = "") -> RightsRequest:
    """A request of ``right`` answered with every part a result can have: stores that erased,
    changed and kept, recipients told, a client's data and its decision, and the archive."""
    request = services.submit_request(right=right, email="anna@example.com",
                                      phone=PERSON_TYPED[1], details=PERSON_TYPED[0],
                                      language=lang)
    result = {**RESULTS, "controller": {"client": "bakery-chain", "records": 4,
                                        "holdings": {"integration_data": 4},
                                        "decision": decision, "note": ""}}
    RightsRequest.objects.filter(pk=request.pk).update(
        result=result, client="bakery-chain", changes={"name": PERSON_TYPED[2],
                                                       "email": "jan@example.com"},
        proof_asked="Skan umowy.", extension_reason="Wiele systemów.", outcome="Powód.",
        refusal_ground="excessive", extension_months=1)
    if right in (Right.ACCESS, Right.PORTABILITY):
        ExportArchive.objects.create(request=request, path="rights/archives/x.zip.enc",
                                     expires_at=timezone.now() + timedelta(days=7))
    request.refresh_from_db()
    return request


def mails(lang: str) -> list[tuple[str, RightsMail]]:
    """Each kind of mail; the answer once per right, and once per decision of a client."""
    made = []
    for kind in MailKind.values:
        if kind == MailKind.COMPLETED:
            continue
        made.append((kind, RightsMail.objects.create(request=a_request("erasure", lang),
                                                     kind=kind, seq=9)))
    for right in Right.values:
        for decision in ("", "carry_out", "controller_answers"):
            request = a_request(right, lang, decision=decision)
            made.append((f"completed {right} {decision}",
                         RightsMail.objects.create(request=request, kind=MailKind.COMPLETED, seq=9)))
    return made


def test_every_rights_mail_in_polish_has_no_english_and_nothing_the_person_typed(
        published, settings):
    settings.LANGUAGE_CODE = "pl"  # the reminder goes out in the site's language
    found = {}
    for name, mail in mails("pl"):
        subject, body = notifications.compose(mail)
        if english := english_in(subject + "\n" + body):
            found[name] = english
        assert not any(typed in body for typed in PERSON_TYPED), name
        assert "anna@example.com" not in body and "jan@example.com" not in body, name
        if mail.kind != MailKind.REMINDER:
            assert "Dzień dobry" in body, name
    assert not found, "\n".join(f"{n}: {e}" for n, e in found.items())


def _needs(body: str, request: RightsRequest, kind: str, lang: str) -> list[str]:
    """What the person needs that ``body`` lacks."""
    from django.utils import formats

    with translation.override(lang):
        due = formats.date_format(request.due_on, "DATE_FORMAT")
        right = str(Right(request.right).label)
    authority = ("Prezes Urzędu Ochrony Danych Osobowych (PUODO)" if lang == "pl" else
                 "President of the Personal Data Protection Office")
    needs = [request.reference, right]
    if kind in (MailKind.VERIFICATION, MailKind.VERIFIED, MailKind.PROOF_ASKED,
                MailKind.EXTENDED, MailKind.ROUTED):
        needs.append(due)
    if kind in (MailKind.REFUSED, MailKind.EXTENDED, MailKind.ROUTED, MailKind.COMPLETED):
        needs += [authority, "uodo.gov.pl"]
    if kind == MailKind.ROUTED:
        needs.append("bakery-chain")
    return [n for n in needs if n not in body]


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_each_mail_tells_the_reference_the_right_the_dates_and_where_to_complain(
        published, lang):
    for name, mail in mails(lang):
        _subject, body = notifications.compose(mail)
        written_in = "en" if mail.kind == MailKind.REMINDER else lang  # operators: the site's
        assert _needs(body, mail.request, mail.kind, written_in) == [], (name, body)


def test_the_answer_says_what_was_done_what_was_kept_and_why_in_the_persons_words(published):
    def answer(right: str, lang: str, decision: str = "") -> str:
        request = a_request(right, lang, decision=decision)
        return notifications.compose(RightsMail.objects.create(
            request=request, kind=MailKind.COMPLETED))[1]

    erasure = answer("erasure", "pl")
    # Stores by their labels, categories and rules in the declaration's words, reasons in Polish.
    assert "Zapytania i projekty: 2 rekordy usunięte" in erasure
    assert "enquiries" not in erasure and "consent_receipts" not in erasure
    assert "Kodeks cywilny" in erasure or "Kodeksu cywilnego" in erasure
    assert "Dostawcy hostingu, infrastruktury serwerowej i poczty e-mail" in erasure
    assert "hosting_email" not in erasure
    access = answer("access", "en")
    assert "Enquiries and projects: 3 records (Contact details: 3; Content of communication: 3)" \
        in access
    assert "/privacy/requests/download/?t=" in access and "until" in access
    assert "Pobierz" not in access
    polish_access = answer("access", "pl")
    assert "/pl/polityka-prywatnosci/zadania/pobierz/?t=" in polish_access
    rectification = answer("rectification", "en")
    assert "We corrected: email address, name." in rectification
    assert "bakery-chain" not in rectification  # no decision yet: nothing said of the client
    assert "answers you itself" in answer("erasure", "en", "controller_answers")
    assert "Twoja zgoda została wycofana" in answer("withdraw_consent", "pl")


def test_every_source_an_app_registers_is_named_in_words_in_both_languages():
    apps = {n: s for n, s in registry.sources.items() if type(s).__module__.endswith(".privacy")}
    assert {"enquiries", "consent_receipts", "audit", "rights_requests"} <= set(apps)
    for name, source in apps.items():
        label = getattr(source, "label", None)
        assert label, f"source {name!r} has no label"
        with translation.override("en"):
            english = registry.source_label(name)
        with translation.override("pl"):
            polish = registry.source_label(name)
        assert english != name and polish != english, (name, english, polish)
    assert registry.source_label("retired_store") == "retired_store"


def test_the_archive_readme_lists_each_store_by_its_label_in_the_persons_language(published):
    request = services.submit_request(right="access", email="anna@example.com", language="pl")
    text = archive.readme(request, ["enquiries", "consent_receipts"])
    assert "- Zapytania i projekty: enquiries.json, enquiries.csv" in text
    assert "- Wybory dotyczące cookies: consent_receipts.json, consent_receipts.csv" in text
    # Articles as Polish cites them, never "Art. Art. 15" nor the English form.
    assert "na podstawie art. 15 RODO" in text and "(art. 17 RODO)" in text
    assert "(art. 6 ust. 1 lit. a RODO)" in text
    assert "Art." not in text and "GDPR" not in text
    english = archive.readme(services.submit_request(right="withdraw_consent",
                                                     email="anna@example.com"), [])
    assert "under Art. 7(3) GDPR" in english and "(Art. 15 GDPR)" in english


def test_the_verification_mail_and_the_portal_cite_articles_as_the_language_does(published):
    request = services.submit_request(right="withdraw_consent", email="anna@example.com",
                                      language="pl")
    body = notifications.compose(RightsMail.objects.get(request=request))[1]
    assert "(art. 7 ust. 3 RODO)" in body
    portal = visible_text(Client().get("/pl/polityka-prywatnosci/zadania/").content.decode())
    assert "Dostęp do danych (art. 15 RODO)" in portal
    assert "Access your data (Art. 15 GDPR)" in visible_text(
        Client().get("/privacy/requests/").content.decode())
