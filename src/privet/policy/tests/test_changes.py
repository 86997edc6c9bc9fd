"""What changed between two policy versions: public (both languages) and in the panel."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from privet.panel.roles import OPERATOR, PRIVACY_OFFICER
from privet.panel.tests.conftest import make_operator, sign_in  # noqa: F401 (a fixture)
from privet.policy.services import publish_version

from .conftest import edited

PORTABILITY = re.compile(r"  - id: portability\n(?:    .*\n|      .*\n)+")
NEW_RECIPIENT = """  - id: payments
    label: {en: Payment providers, pl: Operatorzy płatności}
    description:
      en: Payment providers that settle our invoices.
      pl: Operatorzy płatności rozliczający nasze faktury.
    processor: false
"""


@pytest.fixture
def second(published, default_source):
    """Version 1.1: a shorter retention period, a new recipient, one right fewer."""
    s = edited(default_source, 'id: "1.0"', 'id: "1.1"')
    s = edited(s, "period: 90d", "period: 60d")
    s = edited(s, "  - id: professional_services\n", NEW_RECIPIENT + "  - id: professional_services\n")
    assert PORTABILITY.search(s)
    s = PORTABILITY.sub("", s, count=1)
    return publish_version(source=s, actor="test")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_public_page_says_what_changed_in_words_and_marks_it_without_colour(second, client):
    response = client.get("/privacy/changes/", {"from": "1.0", "to": "1.1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "What changed from version 1.0 to version 1.1" in html
    # The summary: each change named, with before and after.
    summary = html[html.index("What changed, part by part"):html.index("What changed in the text")]
    assert re.search(r"Changed:</strong> Technical website data, for Security, stability and "
                     r"diagnostics.*?How long</dt>\s*<dd><span class=\"diff-word\">was:</span> "
                     r"<del>90 days after collection</del><br><span class=\"diff-word\">now:</span> "
                     r"<ins>60 days after collection</ins>", summary, re.S)
    assert "Added:</strong> Payment providers" in summary
    assert "Removed:</strong> Data portability" in summary
    assert "Data categories" not in summary  # parts without a change are left out
    # The text, line by line: words removed and added, named for screen readers.
    text = html[html.index("What changed in the text"):]
    hidden = '<span class="visually-hidden">'
    assert f"<del>{hidden}[removed: </span>90{hidden}]</span></del>" in text
    assert f"<ins>{hidden}[added: </span>60{hidden}]</span></ins>" in text
    assert '<span class="line-mark">Removed</span> <del>Data portability (Art. 20 GDPR): Receive' in text
    assert re.search(r'<span class="line-mark">Added</span> <ins>Payment providers that settle', text)
    # Served under the strict CSP, with no inline script or style.
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html


def test_the_history_links_each_version_to_its_changes_and_the_default_is_the_latest(second, client):
    history = client.get("/privacy/versions/").content.decode()
    assert 'href="/privacy/changes/?from=1.0&amp;to=1.1"' in history
    assert "What changed from version 1.0 to 1.1" in history
    assert 'action="/privacy/changes/"' in history  # the form to compare any two
    latest = client.get("/privacy/changes/")
    assert latest.status_code == 200
    assert latest.context["old"].version == "1.0" and latest.context["new"].version == "1.1"


def test_the_polish_page_says_it_in_polish(second, client):
    response = client.get("/pl/polityka-prywatnosci/zmiany/", {"from": "1.0", "to": "1.1"})
    assert response.status_code == 200
    text = text_of(response.content.decode())
    for words in ("Co się zmieniło od wersji 1.0 do wersji 1.1", "Okres przechowywania",
                  "Zmieniono:", "było:", "90 dni od zebrania", "jest:", "60 dni od zebrania",
                  "Dodano: Operatorzy płatności", "Usunięto: Przenoszenie danych",
                  "Co zmieniło się w tekście"):
        assert words in text, words
    assert "What changed" not in text
    history = client.get("/pl/polityka-prywatnosci/wersje/").content.decode()
    assert 'href="/pl/polityka-prywatnosci/zmiany/?from=1.0&amp;to=1.1"' in history


def test_bad_choices_are_said_on_the_page_and_compare_nothing(second, client):
    unknown = client.get("/privacy/changes/", {"from": "9.9", "to": "1.1"})
    assert unknown.status_code == 404
    assert "There is no published version “9.9”" in unknown.content.decode()
    assert unknown.context["diff"] is None
    same = client.get("/privacy/changes/", {"from": "1.1", "to": "1.1"})
    assert same.status_code == 400 and "Choose two different versions" in same.content.decode()


def test_with_one_version_there_is_nothing_to_compare(published, client):
    response = client.get("/privacy/changes/")
    assert response.status_code == 200
    assert "Only one version has been published" in response.content.decode()


def test_the_panel_policy_versions_page_compares_for_privacy_officers(second, make_operator):  # noqa: F811
    officer = sign_in(Client(), make_operator("piotr", PRIVACY_OFFICER))
    audit = officer.get("/panel/audit/").content.decode()
    assert 'href="/panel/policy/"' in audit
    page = officer.get("/panel/policy/", {"from": "1.0", "to": "1.1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "1.0" in html and "1.1" in html and "in force" in html
    assert "<ins>60 days after collection</ins>" in html
    assert "Removed:</strong> Data portability" in html
    polish = text_of(officer.get("/pl/panel/policy/", {"from": "1.0", "to": "1.1"}).content.decode())
    assert "Wersje polityki" in polish and "Usunięto: Przenoszenie danych" in polish
    operator = sign_in(Client(), make_operator("olga", OPERATOR))
    assert operator.get("/panel/policy/").status_code == 403
