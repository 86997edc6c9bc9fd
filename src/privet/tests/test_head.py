"""HEAD, as uptime monitors and link checkers send it: every page that answers GET answers HEAD
with the same status and headers and no body. The test walks every URL pattern there is (the
panel and admin signed in, both languages), so a page added later is covered too."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.enquiries import services as enquiry_services
from privet.panel.roles import ADMINISTRATOR
from privet.panel.services import assign_role
from privet.panel.tests.conftest import PASSWORD, sign_in

# Committing: on PostgreSQL a page that fails on a database error (the django-rq dashboard's
# pages without Redis) would otherwise abort the one test transaction for every later page.
pytestmark = pytest.mark.django_db(transaction=True)

# A value for each kind of path parameter: the first published version, the first enquiry, a
# kind of mail; objects that do not exist are fine too (GET and HEAD must still agree).
SAMPLES = {"int": "1", "str": "1.0", "path": "1", "slug": "1", "uuid": "00000000-0000-0000-0000-000000000000"}
ROUTE_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<\w+>([^)]*)\)")


def _route(pattern) -> str:
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        # The admin's app list: ^(?P<app_label>auth|axes|...)/$ -> the first alternative.
        text = REGEX_GROUP.sub(lambda m: m.group(1).split("|")[0].replace("\\", ""), text)
        return text.removeprefix("^").removesuffix("$").replace("\\Z", "")
    return ROUTE_PARAM.sub(lambda m: SAMPLES.get(m.group(1) or "str", "1"), text)


def every_path(patterns=None, prefix: str = "") -> list[str]:
    paths = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            paths += every_path(pattern.url_patterns, prefix + _route(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            paths.append("/" + prefix + _route(pattern.pattern))
    return sorted(set(paths))


@pytest.fixture
def signed_in(published) -> Client:
    user = get_user_model().objects.create_user("ada", password=PASSWORD, is_staff=True,
                                                is_superuser=True)
    assign_role(user=user, role=ADMINISTRATOR, actor="test")
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    enquiry_services.submit_enquiry(
        data={"name": "Anna Kowalska", "company": "", "email": "anna@example.com", "phone": "",
              "project_type": "website", "message": "A site for a bakery."},
        client_ref="test", language="en")
    return sign_in(Client(raise_request_exception=False), user)


def test_every_page_answers_head_as_it_answers_get(signed_in, published):
    paths = []
    for language in ("en", "pl"):
        with translation.override(language):
            paths += every_path()
    paths = sorted(set(paths))
    assert "/privacy/" in paths and "/pl/polityka-prywatnosci/" in paths and "/api/health" in paths
    for client in (Client(raise_request_exception=False), signed_in):
        for path in paths:
            get = client.get(path)
            head = client.head(path)
            assert head.status_code == get.status_code, (path, get.status_code, head.status_code)
            assert (b"".join(head.streaming_content) if head.streaming else head.content) == b"", path
            assert head.get("Content-Type") == get.get("Content-Type"), path
            for header in ("Content-Security-Policy", "Location", "Allow", "Cache-Control"):
                assert head.get(header) == get.get(header), (path, header)
            if get.status_code == 200 and not get.streaming:  # a stream has no length to give
                assert int(head["Content-Length"]) > 0, path
    # Uptime monitors and link checkers: the pages that refused HEAD with 405 before.
    for path in ("/privacy/", "/pl/polityka-prywatnosci/", "/privacy/versions/", "/privacy.json",
                 "/api/health", "/api/consent/config?site=softcode", "/contact/thanks/", "/panel/"):
        client = signed_in if path.startswith("/panel/") else Client()
        get, head = client.get(path), client.head(path)
        assert (head.status_code, head.content) == (200, b""), path
        assert int(head["Content-Length"]) == len(get.content), path
        assert head["Content-Type"] == get["Content-Type"], path
