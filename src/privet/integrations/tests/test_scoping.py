"""Client data is queried for one client or not at all."""

from __future__ import annotations

import pytest

from privet.integrations import services
from privet.integrations.models import AuthorisationLink, Grant
from privet.integrations.scoping import UnscopedQuery

pytestmark = pytest.mark.django_db


def test_a_query_that_names_no_client_is_refused_at_once():
    with pytest.raises(UnscopedQuery, match="for_client"):
        Grant.objects.filter(status="active")
    with pytest.raises(UnscopedQuery):
        AuthorisationLink.objects.all()
    with pytest.raises(UnscopedQuery, match="saved Client"):
        Grant.objects.for_client(None)


def test_for_client_sees_only_that_clients_rows():
    a = services.create_client(name="Alpha", actor="test")
    b = services.create_client(name="Beta", actor="test")
    link = services.create_link(client=a, connector_id="tiktok_business", flow_id="account",
                                actor="test")
    assert list(AuthorisationLink.objects.for_client(a)) == [link]
    assert not AuthorisationLink.objects.for_client(b).exists()
