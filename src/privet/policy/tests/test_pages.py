import hashlib
import re

import pytest

SEED_STATEMENTS_EN = [
    # 1. controller
    "SoftCode Piotr Nowacki", "NIP: 6482058477", "Górnicza 67c", "42-600 Tarnowskie Góry",
    "https://softcode-ai.pl", "biuro@softcode-ai.pl",
    # 2. categories
    "Contact details such as name, company name, email address and phone number.",
    "Information provided in contact forms, emails or business conversations.",
    "IP address, browser information, operating system and basic technical logs",
    "Project information needed to prepare an offer, design a solution",
    "Configuration and technical data shared for the purpose of connecting client systems.",
    "Data available through external APIs only when the client explicitly authorises",
    # 3. purposes
    "Responding to enquiries sent by form, email or another contact channel.",
    "Preparing offers and communicating before a project starts.",
    "operational panels, integrations and intelligent business features",
    "Maintaining system security, stability and technical diagnostics.",
    "Analysing technical logs and improving services",
    "Meeting legal, accounting or tax obligations where applicable",
    # 4. legal grounds
    "Consent, where data is provided voluntarily.",
    "Steps taken before entering into a contract or performance of a contract.",
    "Legitimate interest, including communication, system security, troubleshooting, "
    "service development and claim protection.",
    "Legal obligations, where applicable law requires certain data to be stored.",
    # 5-6. integrations and TikTok
    "e-commerce platforms, CRM systems, communication tools, advertising tools, payment systems,"
    " warehouse systems, courier systems, social media platforms",
    "We do not use integration data for unrelated purposes or for other clients.",
    "we process only the data required for the agreed workflow",
    # The seed's "LIVE-related data" is left out on purpose: no API offers it and Privet does not
    # read it (test_seed_text.NARROWED); the list is narrowed to what the connector reads.
    "Content metadata", "Campaign data",
    "We do not scrape public TikTok data.", "We do not resell platform data.",
    "We do not share platform data with unauthorised parties.",
    "We do not access accounts without the explicit authorisation of the account owner.",
    # 7. recipients
    "Hosting, server infrastructure and email service providers",
    "Accounting, legal or administrative providers where required by law.",
    # 8. retention
    "stored for as long as necessary for the purpose for which it was collected",
    # 9. rights
    "Data portability", "Withdraw consent", "Lodge a complaint",
    # 10. cookies
    "Non-essential analytics and marketing cookies are used only with consent.",
    # 11. updates, closing
    "The current version is always available on this page",
    "SoftCode processes data only to handle communication, deliver projects",
    # Art. 13 additions
    "President of the Personal Data Protection Office", "Automated decision-making",
    "Must you provide it?",
]


def text_of(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" ,", ",")


def test_english_page_shows_every_seed_statement_and_the_retention_table(published, client):
    response = client.get("/privacy/")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    body = " ".join(text_of(response).split())
    missing = [s for s in SEED_STATEMENTS_EN if " ".join(s.split()) not in body]
    assert missing == []
    assert "6 years after the contract ends, counted to the end of that calendar year" in body
    assert "5 years from the end of the financial year concerned" in body
    # Readable with no JavaScript: the only script is the deferred cookie banner (privet.consent).
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert [s for s in scripts if "consent/consent.js" not in s] == []


def test_polish_page_is_in_polish(published, client):
    response = client.get("/pl/polityka-prywatnosci/")
    assert response.status_code == 200
    assert response["Content-Language"] == "pl"
    body = text_of(response)
    for phrase in ["Administrator danych", "Okres przechowywania", "6 lat od zakończenia umowy",
                   "Prezes Urzędu Ochrony Danych Osobowych", "Nie odsprzedajemy danych z platformy.",
                   "Wersja 1.0, obowiązuje od 25 listopada 2026"]:
        assert phrase in body
    assert "LIVE" not in body  # narrowed on purpose, as in English (test_seed_text.NARROWED)
    assert 'href="/privacy/"' in response.content.decode()  # the language switch
    assert client.get("/pl/polityka-prywatnosci/wersje/1.0/").status_code == 200


def declared_texts(decl, lang: str) -> list[str]:
    """Every text of the declaration that the policy page must show, in ``lang``."""
    texts = [decl.title.get(lang), decl.summary.get(lang), decl.retention_intro.get(lang),
             decl.rights_how.get(lang), decl.updates.get(lang), decl.cookies.intro.get(lang),
             decl.transfers.description.get(lang), decl.automated_decisions.description.get(lang),
             decl.integrations.description.get(lang), decl.supervisory_authority.name.get(lang)]
    texts += decl.integrations.principles.get(lang) + decl.integrations.kinds.get(lang)
    texts += [decl.integrations.connectors_intro.get(lang)]
    for items in (decl.categories, decl.purposes, decl.legal_bases, decl.rights,
                  decl.cookies.purposes, decl.integrations.connectors):
        texts += [t for item in items for t in (item.label.get(lang), item.description.get(lang))]
    texts += [p.provision.consequence.get(lang) for p in decl.purposes]
    texts += [p.legitimate_interest.get(lang) for p in decl.purposes if p.legitimate_interest]
    texts += [r.description.get(lang) for r in decl.recipients]
    texts += [r.legal_ground.get(lang) for r in decl.retention]
    texts += [e for c in decl.categories for e in c.examples.get(lang)]
    texts += [n for c in decl.integrations.connectors for n in c.never.get(lang)]
    texts += [s.label.get(lang) for c in decl.integrations.connectors for s in c.may_read]
    texts += [k.description.get(lang) for cp in decl.cookies.purposes for k in cp.cookies]
    texts += [e.get(lang) for e in decl.version.changelog]
    return texts


@pytest.mark.parametrize(("lang", "path"), [("en", "/privacy/"), ("pl", "/pl/polityka-prywatnosci/")])
def test_every_declared_text_is_on_the_page_in_its_language(published, client, lang, path):
    from html import unescape

    body = " ".join(unescape(text_of(client.get(path))).split())
    decl = published.declaration()
    missing = [t for t in declared_texts(decl, lang) if " ".join(t.split()) not in body]
    assert missing == []


def test_polish_page_cites_articles_the_polish_way(published, client):
    body = text_of(client.get("/pl/polityka-prywatnosci/"))
    assert "Zgoda (art. 6 ust. 1 lit. a RODO)" in body
    assert "(art. 77 RODO)" in body and "(art. 7 ust. 3 RODO)" in body
    assert "RODO 6(1)" not in body and "Art." not in body
    english = text_of(client.get("/privacy/"))
    assert "Consent (Art. 6(1)(a) GDPR)" in english and "(Art. 77 GDPR)" in english


def test_cookie_table_names_the_cookies_as_browsers_see_them(published, client, settings):
    assert "privet-session" in text_of(client.get("/privacy/"))
    settings.SESSION_COOKIE_NAME = "__Host-privet-session"  # production, over HTTPS
    assert "__Host-privet-session" in text_of(client.get("/privacy/"))


def test_a_policy_without_connectors_has_no_section_on_them(db, client, default_source):
    from privet.policy.services import publish_version

    start = default_source.index("  connectors_heading:")
    end = default_source.index("\nrights_how:")
    publish_version(source=default_source[:start] + default_source[end:], actor="test")
    body = text_of(client.get("/privacy/"))
    assert "What we never do" not in body and "Connected platforms" not in body
    assert "TikTok Business API and social platforms" not in body
    assert "6. Recipients and service providers" in body and "10. Updates to this policy" in body


def test_json_carries_the_version_hash(published, client):
    response = client.get("/privacy.json")
    data = response.json()
    assert data["hash"] == published.content_hash
    assert data["declaration"]["controller"]["tax_id"] == "6482058477"
    assert response["ETag"] == f'"{published.content_hash}"'
    assert hashlib.sha256(published.canonical.encode()).hexdigest() == data["hash"]
    assert client.get("/privacy.json", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    missing = client.get("/privacy.json?version=9.9")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_unknown_version_is_404_and_no_policy_is_503(db, client):
    assert client.get("/privacy/").status_code == 503
    assert client.get("/privacy/versions/1.0/").status_code == 404


@pytest.mark.parametrize("path", ["/", "/privacy/", "/pl/", "/pl/polityka-prywatnosci/"])
def test_security_headers_on_public_pages(published, client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_retention_table_says_what_happens_when_a_rule_runs_out(published, client,
                                                                     monkeypatch):
    """Per rule, from the method of the retention targets that enforce it; a rule no target
    enforces (invoices, kept in the accounting system) says nothing more."""
    from dataclasses import replace

    from privet.registry import registry

    rows = {tuple(td.strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", row))
            for row in re.findall(r"<tr>(.*?)</tr>", client.get("/privacy/").content.decode(),
                                  flags=re.S)}
    periods = {row[:2]: row[2] for row in rows if len(row) == 4}
    assert periods[("Contact details", "Responding to enquiries")] == (
        "12 months after the enquiry is closed without a contract, then deleted")
    accounting = [p for (data, purpose), p in periods.items() if "financial year" in p]
    assert accounting and not any("deleted" in p or "anonymised" in p for p in accounting)

    projects = registry.targets["enquiries.projects"]
    monkeypatch.setitem(registry.targets, projects.name, replace(projects, method="anonymise"))
    english = text_of(client.get("/privacy/"))
    assert ("6 years after the contract ends, counted to the end of that calendar year, "
            "then anonymised") in english
    offers = registry.targets["enquiries.offers"]
    monkeypatch.setitem(registry.targets, "enquiries.offers.copy", replace(offers, method="anonymise"))
    assert ("12 months after the enquiry is closed without a contract, then deleted or "
            "anonymised") in text_of(client.get("/privacy/"))  # one target deletes, one anonymises
    polish = text_of(client.get("/pl/polityka-prywatnosci/"))
    assert "6 lat od zakończenia umowy, z końcem roku kalendarzowego, następnie anonimizowane" in polish
    assert "12 miesięcy od zamknięcia zapytania bez zawarcia umowy, następnie usuwane" in polish
