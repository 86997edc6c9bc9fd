"""A name cannot reverse the text around it in the panel: direction controls (U+202E
RIGHT-TO-LEFT OVERRIDE and its kin) are refused in the fields that name someone, and any that
reach the database another way are removed on display, the name isolated in ``<bdi>``."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from privet.core.bidi import BIDI_CONTROLS
from privet.enquiries.errors import InvalidEnquiry
from privet.enquiries.models import Enquiry
from privet.enquiries.services import log_enquiry

pytestmark = pytest.mark.django_db

RLO = "\u202e"
CONTROLS = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
            "\u2069", "\u200e", "\u200f", "\u061c"]
DATA = {
    "name": "Jan Kowalski", "company": "Piekarnia", "email": "jan@example.com", "phone": "",
    "project_type": "website", "message": "We need a new website with online orders.",
}


@pytest.fixture
def spoofed(operator_client):
    """An enquiry whose name and company hold an override, as an older record or an import
    might (the services refuse one today)."""
    user = get_user_model().objects.get(username="olga")
    enquiry = log_enquiry(data=DATA, actor=user)
    Enquiry.objects.filter(pk=enquiry.pk).update(name=f"Jan {RLO}ikslawoK", company=f"{RLO}ainrakeiP")
    return enquiry


@pytest.mark.parametrize("path", ["/panel/", "/panel/enquiries/", "/panel/enquiries/{pk}/",
                                  "/pl/panel/enquiries/"])
def test_a_name_with_an_override_is_shown_isolated_and_without_it(operator_client, spoofed, path):
    response = operator_client.get(path.format(pk=spoofed.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert not BIDI_CONTROLS.search(html), "a direction control reached the page"
    assert "<bdi>Jan ikslawoK</bdi>" in html and "<bdi>ainrakeiP</bdi>" in html


def test_every_direction_control_is_removed_on_display(operator_client):
    user = get_user_model().objects.get(username="olga")
    enquiry = log_enquiry(data=DATA, actor=user)
    Enquiry.objects.filter(pk=enquiry.pk).update(name="A" + "".join(CONTROLS) + "B")
    html = operator_client.get(f"/panel/enquiries/{enquiry.pk}/").content.decode()
    assert "<bdi>AB</bdi>" in html and not BIDI_CONTROLS.search(html)


@pytest.mark.parametrize("field", ["name", "company", "email"])
def test_logging_a_name_with_an_override_is_refused_beside_the_field(operator_client, field):
    value = {"name": f"Jan {RLO}ikslawoK", "company": f"{RLO}ainrakeiP",
             "email": f"jan@example{RLO}.com"}[field]
    response = operator_client.post("/panel/enquiries/new/", {
        **DATA, field: value, "channel": "email", "language": "en"})
    assert response.status_code == 400
    html = response.content.decode()
    error = html.index(f'id="id_{field}_error"')
    assert "Remove the invisible text-direction characters" in html[error:error + 300]
    assert not Enquiry.objects.exists()
    response = operator_client.post("/pl/panel/enquiries/new/", {
        **DATA, field: value, "channel": "email", "language": "pl"})
    assert "Usuń niewidoczne znaki kierunku tekstu" in response.content.decode()


def test_a_right_to_left_name_without_controls_is_kept_as_written(operator_client):
    user = get_user_model().objects.get(username="olga")
    enquiry = log_enquiry(data={**DATA, "name": "محمد علي"}, actor=user)
    html = operator_client.get("/panel/enquiries/").content.decode()
    assert "<bdi>محمد علي</bdi>" in html
    assert enquiry.name == "محمد علي"


def test_the_service_refuses_an_override_in_a_name(operator_client):
    user = get_user_model().objects.get(username="olga")
    with pytest.raises(InvalidEnquiry, match="text-direction"):
        log_enquiry(data={**DATA, "name": f"Jan {RLO}ikslawoK"}, actor=user)
    assert not Enquiry.objects.exists()
