"""The API's documentation as a developer meets it, and the API held to what it documents.

/api/docs in Debian's Chromium under the site's own strict CSP: Swagger UI from our static
files, every operation listed, nothing fetched from anywhere but this server. Then schemathesis
sends generated requests, valid and not, to every operation of /api/openapi.json on the live
server: no answer may be a 5xx, or have a status, content type or body the schema does not
document.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from playwright.sync_api import expect
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from privet.urls import api

OPERATIONS = [f"{method.upper()} {path}" for path, methods in api.get_openapi_schema()["paths"].items()
              for method in methods]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_api_docs_list_every_operation_from_our_own_files_under_the_strict_csp(
        live_server, browser, page_errors, artifacts_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = page_errors(context.new_page())
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(live_server.url + "/api/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    operations = page.locator(".opblock-summary")
    expect(operations).to_have_count(len(OPERATIONS), timeout=15000)
    for operation in OPERATIONS:
        method, path = operation.split(" ")
        expect(page.locator(f".opblock-{method.lower()} .opblock-summary-path[data-path='{path}']")
               ).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "api-docs.png"), full_page=True)
    context.close()
    assert page_errors.errors == []  # a CSP violation is a console error
    hosts = {urlsplit(url).hostname for url in requested if not url.startswith("data:")}
    assert hosts == {urlsplit(live_server.url).hostname}, requested
    assert any(url.endswith("/api/openapi.json") for url in requested)


# Positive cases fit the schema, negative ones break it (a missing field, a wrong type, an
# over-long value): both must get a documented answer. Derandomised and bounded: the same cases
# on every run, a few seconds each.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_of_the_api_is_documented_and_none_is_a_server_error(live_server, published,
                                                                         settings, mode):
    settings.PRIVET_CONSENT_RATE_LIMIT = 0  # every generated receipt reaches validation
    schema = schemathesis.openapi.from_url(live_server.url + "/api/openapi.json")
    assert sorted(f"{o.method.upper()} {o.path}" for o in (r.ok() for r in schema.get_all_operations())
                  ) == sorted(OPERATIONS)

    @given(case=schema.as_strategy(mode))
    @hypothesis_settings(max_examples=40, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))
    def answer_is_documented(case):
        case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                       content_type_conformance, response_schema_conformance])

    answer_is_documented()
