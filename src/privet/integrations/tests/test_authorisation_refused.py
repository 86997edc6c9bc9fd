"""Every way an authorisation is refused at the callback (or before), each recorded: no grant,
an audit event with the reason, a security event in the technical log."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as Browser
from django.utils import timezone
from freezegun import freeze_time

from privet.integrations import services
from privet.integrations.models import Grant
from privet.telemetry.models import AUTHORISATION_REFUSED
from privet.telemetry.recorder import flush
from privet.telemetry.selectors import security_events

from .conftest import (
    audit_events,
    authorise,
    continue_to_platform,
    decide_on_platform,
    link_path,
    query_of,
)


def refused_reasons() -> list[str]:
    return [e["reason"] for e in audit_events("integrations.authorisation_refused")]


def security_reasons() -> list[str]:
    flush()
    return sorted(e.details.get("reason", "") for e in security_events(kind=AUTHORISATION_REFUSED))


def no_grant(link) -> bool:
    return not Grant.objects.for_client(link.client).exists()


def test_a_forged_state_is_refused(tiktok_fake, make_link):
    link = make_link()
    browser = Browser()
    back = decide_on_platform(continue_to_platform(browser, link))
    query = query_of(back)
    value, signature = query["state"].rsplit(":", 1)
    query["state"] = f"{value}:{signature[::-1]}"  # the owner's state, its signature altered
    assert query["state"] != query_of(back)["state"]
    response = browser.get(back.split("?")[0] + "?" + urlencode(query))
    assert response.status_code == 400
    assert no_grant(link) and refused_reasons() == ["state_forged"]
    assert security_reasons() == ["state_forged"]
    assert not tiktok_fake.calls("tt_user/oauth2/token/")  # the code was never exchanged


def test_a_state_older_than_an_hour_is_refused(tiktok_fake, make_link):
    link = make_link()
    browser = Browser()
    back = decide_on_platform(continue_to_platform(browser, link))
    with freeze_time(timezone.now() + timedelta(seconds=services.STATE_MAX_AGE + 60)):
        response = browser.get(back)
    assert response.status_code == 400
    assert no_grant(link) and refused_reasons() == ["state_expired"]
    assert security_reasons() == ["state_expired"]


def test_a_link_is_used_once(tiktok_fake, make_link):
    link = make_link()
    browser = Browser()
    journey = authorise(link, browser=browser)
    assert journey.response.status_code == 200
    again = browser.get(journey.callback)  # the same answer replayed
    assert again.status_code == 400
    assert refused_reasons() == ["link_used"]
    assert Browser().get(link_path(link)).status_code == 404  # and the page is gone
    assert len(tiktok_fake.calls("tt_user/oauth2/token/")) == 1
    assert security_reasons() == ["link_invalid", "link_used"]


def test_a_cancelled_link_is_refused(tiktok_fake, make_link):
    link = make_link()
    browser = Browser()
    back = decide_on_platform(continue_to_platform(browser, link))
    services.cancel_link(link=link, actor="test")
    assert browser.get(back).status_code == 400
    assert no_grant(link) and refused_reasons() == ["link_used"]
    assert Browser().get(link_path(link)).status_code == 404


def test_the_callback_in_another_browser_is_refused(tiktok_fake, make_link):
    link = make_link()
    journey = authorise(link, callback_browser=Browser())  # no cookie from the link page
    assert journey.response.status_code == 400
    assert no_grant(link) and refused_reasons() == ["other_browser"]
    assert security_reasons() == ["other_browser"]


@pytest.mark.parametrize("stage", ["page", "callback"])
def test_an_operator_signed_in_cannot_authorise(tiktok_fake, make_link, stage):
    """Even the operator of the client (an unassigned one gets the 404 of a link that does
    not exist: test_isolation)."""
    link = make_link()
    operator = get_user_model().objects.create_user("olga", password="a long correct horse")
    services.assign_operators(client=link.client, users=[operator], actor="test")
    browser = Browser()
    if stage == "page":
        browser.force_login(operator)
        response = browser.get(link_path(link))
    else:
        back = decide_on_platform(continue_to_platform(browser, link))
        browser.force_login(operator)
        response = browser.get(back)
    assert response.status_code == 403
    assert no_grant(link)
    assert security_reasons() == ["staff_session"]


def test_a_code_the_platform_does_not_accept_is_refused_and_the_link_used(tiktok_fake, make_link):
    link = make_link()
    browser = Browser()
    back = decide_on_platform(continue_to_platform(browser, link))
    tiktok_fake.fail_next(1, 40110)  # TikTok: the auth_code is invalid or used
    response = browser.get(back)
    assert response.status_code == 400
    assert "TikTok nie potwierdził autoryzacji" in response.content.decode()  # in Polish
    assert no_grant(link) and refused_reasons() == ["exchange_failed"]
    link.refresh_from_db()
    assert link.used_at  # a code is tried once
    assert browser.get(back).status_code == 400


def test_the_owner_reads_the_answer_in_the_links_language(tiktok_fake, make_link, make_client):
    link = make_link()  # the client's language: Polish
    assert link.language == "pl"
    journey = authorise(link, callback_browser=Browser())
    assert journey.response.status_code == 400
    assert "Dokończ autoryzację w przeglądarce" in journey.response.content.decode()
    english = services.create_client(name="Bakery", language="en", actor="test")
    journey = authorise(make_link(client=english))
    assert journey.response.status_code == 200 and "Connected" in journey.response.content.decode()
