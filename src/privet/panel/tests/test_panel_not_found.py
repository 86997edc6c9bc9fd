"""A missing object in the panel answers the panel's own 404, in the panel's language."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("prefix", "title", "back"), [
    ("/", "Page not found", 'href="/panel/">Back to the dashboard</a>'),
    ("/pl/", "Nie znaleziono strony", 'href="/pl/panel/">Wróć do pulpitu</a>'),
])
def test_a_missing_enquiry_is_the_panel_404(operator_client, prefix, title, back):
    operator_client.raise_request_exception = False
    response = operator_client.get(f"{prefix}panel/enquiries/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert f'<h1 id="error-title">{title}</h1>' in html and back in html
    assert "panel/panel.css" in html
