"""The CSRF failure page picks the look of the page the form was on."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_django_admin_gets_the_panels_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/panel/admin/login/", {}, HTTP_REFERER="http://testserver/panel/admin/login/")
    assert response.status_code == 403
    assert [t.name for t in response.templates][:2] == ["admin/csrf_failure.html", "panel/csrf_failure.html"]
    assert 'href="http://testserver/panel/admin/login/"' in response.content.decode()


def test_a_page_without_its_own_gets_the_sites(published):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/privacy/", {})
    assert response.status_code == 403
    assert response.templates[0].name == "core/csrf_failure.html"
    assert 'class="site-header"' in response.content.decode()
