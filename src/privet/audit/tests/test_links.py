"""The registry through which apps name and link their objects in the audit log."""

from types import SimpleNamespace

import pytest

from privet.audit import links
from privet.audit.links import ObjectLink


@pytest.fixture
def widgets():
    """A type "shop.widget" registered the way an app would, whose ids 1 and 2 still exist;
    ``calls`` records each url_for call."""
    calls: list[set[str]] = []

    def url_for(ids: set[str]) -> dict[str, str]:
        calls.append(set(ids))
        return {i: f"/widgets/{i}/" for i in ids & {"1", "2"}}

    links.register("shop.Widget", url_for=url_for, name=lambda object_id: f"W-{object_id}")
    yield calls
    links.unregister("shop.widget")


def event(object_type: str, object_id: str):
    return SimpleNamespace(object_type=object_type, object_id=object_id)


def test_a_registered_type_is_named_and_linked_with_one_call_per_page(widgets):
    events = [event("shop.widget", "1"), event("shop.widget", "2"), event("shop.widget", "1"),
              event("shop.widget", "3"), event("elsewhere.thing", "1"), event("", "")]
    found = links.object_links(events)
    assert widgets == [{"1", "2", "3"}]  # one call (one query) for the whole page
    assert found[("shop.widget", "1")] == ObjectLink(url="/widgets/1/", name="W-1")
    assert found[("shop.widget", "2")] == ObjectLink(url="/widgets/2/", name="W-2")
    assert found[("shop.widget", "3")] == ObjectLink(url="", name="W-3")  # gone: named, not linked
    assert set(found) == {("shop.widget", "1"), ("shop.widget", "2"), ("shop.widget", "3")}


def test_unknown_types_cost_nothing_and_are_not_linked(widgets):
    assert links.object_links([event("elsewhere.thing", "1"), event("audit.auditevent", "7")]) == {}
    assert widgets == []


def test_the_enquiries_app_registers_its_enquiries():
    from privet.enquiries.models import Enquiry

    assert links._label(Enquiry) in links._types
