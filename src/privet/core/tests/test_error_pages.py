"""400, 403, 404 and 500 answers are the site's own pages: in the page's language (Polish
under /pl/, in the panel too), in the look of the site or the panel, with a way back. With
DEBUG off, as in production; the 500 page renders without the database."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = [pytest.mark.django_db, pytest.mark.urls("privet.core.tests.error_urls")]

SITE = {
    "en": {400: "Bad request", 403: "Access denied", 404: "Page not found",
           500: "Something went wrong", "back": "Back to the home page", "home": "/"},
    "pl": {400: "Nieprawidłowe żądanie", 403: "Brak dostępu", 404: "Nie znaleziono strony",
           500: "Coś poszło nie tak", "back": "Wróć na stronę główną", "home": "/pl/"},
}
PANEL_BACK = {"en": ("Back to the dashboard", "/panel/"), "pl": ("Wróć do pulpitu", "/pl/panel/")}
PATHS = {400: "fail/400/", 403: "fail/403/", 404: "no-such-page/", 500: "fail/500/"}


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def prefix(lang: str) -> str:
    return "/" if lang == "en" else "/pl/"


@pytest.mark.parametrize("lang", ["en", "pl"])
@pytest.mark.parametrize("code", [400, 403, 404, 500])
def test_public_error_pages_speak_the_page_language_and_lead_home(client, settings, lang, code):
    assert settings.DEBUG is False
    response = client.get(prefix(lang) + PATHS[code])
    assert response.status_code == code
    html = response.content.decode()
    words = SITE[lang]
    assert f'<html lang="{lang}">' in html
    assert f"<h1 id=\"error-title\">{words[code]}</h1>" in html
    assert f'href="{words["home"]}">{words["back"]}</a>' in html
    assert 'class="site-header"' in html and "privet/site.css" in html  # the site's look
    other = SITE["pl" if lang == "en" else "en"][code]
    assert other not in html


@pytest.mark.parametrize("lang", ["en", "pl"])
@pytest.mark.parametrize("code", [400, 403, 404, 500])
def test_panel_error_pages_have_the_panel_look_and_language(client, lang, code):
    response = client.get(f"{prefix(lang)}panel/{PATHS[code]}")
    assert response.status_code == code
    html = response.content.decode()
    back, dashboard = PANEL_BACK[lang]
    assert f'<html lang="{lang}">' in html
    assert f"<h1 id=\"error-title\">{SITE[lang][code]}</h1>" in html
    assert f'href="{dashboard}">{back}</a>' in html
    assert "panel/panel.css" in html and 'class="site-header"' not in html


def test_the_500_page_needs_no_database(client):
    """Rendered from a plain context: not one query, even when the database is what failed."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/pl/fail/db/")
    assert response.status_code == 500
    assert "Coś poszło nie tak" in response.content.decode()
    assert len(queries) == 0, [q["sql"] for q in queries]


def test_the_error_pages_keep_the_strict_csp(client):
    for path in ("/no-such-page/", "/fail/500/", "/panel/fail/500/"):
        response = client.get(path)
        html = response.content.decode()
        assert "<script>" not in html and "style=" not in html and "<style" not in html
        assert "script-src 'self'" in response.headers.get("Content-Security-Policy", "")
