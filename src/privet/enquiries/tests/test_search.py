"""The panel's search ignores case in Polish as in English, on SQLite and on PostgreSQL alike
(run this file with PRIVET_DATABASE_URL=postgres://... for the second)."""

from __future__ import annotations

import pytest

from privet.enquiries import selectors, services

pytestmark = pytest.mark.django_db

PEOPLE = [
    {"name": "Zofia Żółć", "company": "Łódzka Spółdzielnia", "email": "zofia@example.com",
     "phone": "", "project_type": "website", "message": "Strona dla spółdzielni."},
    {"name": "Piotr Zieliński", "company": "", "email": "PIOTR@Example.com", "phone": "",
     "project_type": "panel", "message": "PANEL DLA DYSPOZYTORÓW, ŚLĄSK."},
    {"name": "Jan Kowalski", "company": "Piekarnia", "email": "jan@example.org", "phone": "",
     "project_type": "website", "message": "Sklep internetowy."},
]


@pytest.fixture
def people(published):
    return [services.log_enquiry(data=data, actor="test") for data in PEOPLE]


def found(q: str) -> set[str]:
    return {e.name for e in selectors.search_enquiries(q=q)}


@pytest.mark.parametrize("q", ["żółć", "ŻÓŁĆ", "Żółć", "żÓłĆ"])
def test_polish_letters_match_in_either_case(people, q):
    assert found(q) == {"Zofia Żółć"}


@pytest.mark.parametrize(("q", "who"), [
    ("ZIELIŃSKI", "Piotr Zieliński"),
    ("zieliński", "Piotr Zieliński"),
    ("łódzka", "Zofia Żółć"),  # company
    ("dyspozytorów, śląsk", "Piotr Zieliński"),  # message written in capitals
    ("piotr@example.com", "Piotr Zieliński"),  # email
])
def test_every_searched_field_ignores_case(people, q, who):
    assert found(q) == {who}


def test_search_still_combines_with_filters_and_the_reference(people):
    zofia = people[0]
    assert [e.pk for e in selectors.search_enquiries(q="ŻÓŁĆ", project_type="website")] == [zofia.pk]
    assert list(selectors.search_enquiries(q="ŻÓŁĆ", project_type="panel")) == []
    assert [e.pk for e in selectors.search_enquiries(q=zofia.reference.lower())] == [zofia.pk]
    # Characters LIKE treats specially are searched as themselves.
    assert found("%") == set() and found("_") == set()
