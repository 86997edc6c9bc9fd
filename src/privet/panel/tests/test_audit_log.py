"""The audit log page names and links objects as their apps registered (privet.audit.links)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from privet.audit import links
from privet.audit.services import append_event


@pytest.fixture
def accounts_linked():
    """A type registered as an app would: each "shop.account" links to the user of that id,
    while that user exists (one query per page)."""
    def url_for(ids: set[str]) -> dict[str, str]:
        pks = {int(i) for i in ids if i.isdecimal()}
        existing = get_user_model().objects.filter(pk__in=pks).values_list("pk", flat=True)
        return {str(pk): f"/accounts/{pk}/" for pk in existing}

    links.register("shop.account", url_for=url_for, name=lambda object_id: f"A-{object_id}")
    yield
    links.unregister("shop.account")


def about(object_type: str, object_id: object) -> None:
    append_event(actor="test", action="shop.touched", object_type=object_type, object_id=str(object_id))


def test_a_registered_type_is_linked_in_one_query_per_type_however_many_events(
        officer_client, make_operator, accounts_linked):
    piotr = get_user_model().objects.get(username="piotr")
    about("shop.account", piotr.pk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert officer_client.get("/panel/audit/").status_code == 200
        return len(captured)

    few = queries()
    for n in range(5):
        about("shop.account", make_operator(f"op{n}").pk)
        about("shop.unregistered", n)
    about("shop.account", 999999)  # no such account: named, not linked
    assert queries() == few
    page = officer_client.get("/panel/audit/").content.decode()
    linked = f'<a href="/accounts/{piotr.pk}/">shop.account #{piotr.pk}</a>'
    assert f'{linked}<span class="sub">A-{piotr.pk}</span>' in page
    assert 'shop.account #999999<span class="sub">A-999999</span>' in page
    assert "shop.unregistered #4</td>" in page  # neither named nor linked
