from datetime import UTC, date, datetime

import pytest

from privet.policy.loader import DeclarationError, content_hash, parse_declaration
from privet.policy.rendering import describe_period, describe_rule
from privet.policy.schema import add_period

from .conftest import edited


def problems(source: str) -> dict[str, str]:
    with pytest.raises(DeclarationError) as info:
        parse_declaration(source, source="company.yaml")
    assert str(info.value).startswith("company.yaml: ")
    return {p.path: p.message for p in info.value.problems}


def test_default_declaration_states_every_seed_fact(default_source):
    d = parse_declaration(default_source)
    assert d.controller.tax_id == "6482058477"
    assert d.controller.address.street == "Górnicza 67c"
    assert d.controller.address.city == "Tarnowskie Góry"
    assert d.privacy_contact.email == "biuro@softcode-ai.pl"
    # The seed's six categories, plus the accounts of the staff who work in Privet itself.
    assert [c.id for c in d.categories] == [
        "contact_details", "communication_content", "technical_data", "project_data",
        "configuration_data", "integration_data", "staff_accounts",
    ]
    assert len(d.purposes) == 6
    assert {b.article for b in d.legal_bases} == {"6(1)(a)", "6(1)(b)", "6(1)(c)", "6(1)(f)"}
    assert {r.id for r in d.rights} >= {
        "access", "rectification", "erasure", "restriction", "objection", "portability",
        "withdraw_consent", "complaint",
    }
    assert "PUODO" in d.supervisory_authority.name.en
    assert d.automated_decisions.used is False
    tiktok = d.integrations.connectors[0]
    assert tiktok.id == "tiktok_business"
    assert "We do not scrape public TikTok data." in tiktok.never.en
    # Every category a purpose processes has a concrete period ("as long as necessary" is gone).
    for p in d.purposes:
        for c in p.categories:
            assert d.rules_for(category=c, purpose=p.id), (c, p.id)


def test_retention_rule_naming_an_undeclared_category_is_refused_with_its_path(default_source):
    bad = edited(default_source, "  - category: contact_details\n    purpose: enquiries",
                 "  - category: contact_detials\n    purpose: enquiries")
    found = problems(bad)
    assert "retention[0].category" in found
    assert "'contact_detials' is not a declared category" in found["retention[0].category"]
    assert "contact_details" in found["retention[0].category"]  # lists what is declared


def test_purpose_without_legal_basis_is_refused(default_source):
    bad = edited(default_source, "    legal_bases: [consent, legitimate_interest]\n",
                 "    legal_bases: []\n")
    assert "purposes[0].legal_bases" in problems(bad)


def test_legitimate_interest_must_be_named(default_source):
    bad = edited(default_source, """    legitimate_interest:
      en: Communicating with people who contact us.
      pl: Komunikacja z osobami, które się z nami kontaktują.
""", "")
    assert "purposes[0].legitimate_interest" in problems(bad)


def test_category_processed_without_a_retention_rule_is_refused(default_source):
    bad = edited(default_source, """  - category: technical_data
    purpose: security
    period: 90d""", """  - category: technical_data
    purpose: improvement
    period: 90d""")
    found = problems(bad)
    assert any("no retention rule" in m and "'security'" in m for m in found.values())


def test_optional_cookies_need_consent_and_essential_ones_cannot_rest_on_it(default_source):
    analytics_on_interest = edited(
        default_source, "      legal_basis: consent\n      consent_mode: [analytics_storage]",
        "      legal_basis: legitimate_interest\n      consent_mode: [analytics_storage]")
    found = problems(analytics_on_interest)["cookies.purposes[1].legal_basis"]
    assert "cookie purpose 'analytics' is not essential, so it needs consent" in found
    essential_on_consent = edited(
        default_source, "      required: true\n      legal_basis: legitimate_interest",
        "      required: true\n      legal_basis: consent")
    found = problems(essential_on_consent)["cookies.purposes[0].legal_basis"]
    assert "cannot rest on consent" in found


def test_a_special_category_needs_an_article_9_condition(default_source):
    special = edited(default_source, "    sources: [integration_api]\n",
                     "    sources: [integration_api]\n    special: true\n")
    found = problems(special)
    assert "special category 'integration_data'" in found["purposes[2].special_condition"]
    allowed = edited(special, "    provision:\n      requirement: contractual",
                     "    special_condition: 9(2)(a)\n    provision:\n      requirement: contractual")
    assert parse_declaration(allowed).purposes[2].special_condition == "9(2)(a)"


def test_connector_hosts_are_bare_host_names(default_source):
    bad = edited(default_source, "hosts: [business-api.tiktok.com]",
                 "hosts: [https://business-api.tiktok.com/open_api]")
    assert "integrations.connectors[0].hosts[0]" in problems(bad)


def test_vague_period_is_refused(default_source):
    bad = edited(default_source, "period: 90d", "period: as long as necessary")
    found = problems(bad)
    path = next(p for p in found if p.endswith(".period"))
    assert "not a period" in found[path]


def test_unknown_field_and_yaml_syntax_errors_are_located(default_source):
    assert "controller.vat" in problems(edited(default_source, "  tax_id_label: NIP",
                                                "  tax_id_label: NIP\n  vat: PL1"))
    found = problems("version: [unclosed\n")
    assert any(p.startswith("line ") for p in found)
    assert problems("- just a list\n") == {"": "the file must hold a YAML mapping"}


def test_hash_is_stable_and_content_sensitive(default_source):
    a = parse_declaration(default_source)
    b = parse_declaration(default_source.replace("# The privacy policy", "# Comment changed"))
    c = parse_declaration(edited(default_source, "period: 90d", "period: 60d"))
    assert content_hash(a) == content_hash(b)  # formatting and comments do not matter
    assert content_hash(a) != content_hash(c)


def test_periods_use_calendar_arithmetic():
    assert add_period(date(2024, 2, 29), "1y") == date(2025, 2, 28)
    assert add_period(date(2026, 1, 31), "1m") == date(2026, 2, 28)
    assert add_period(date(2026, 1, 1), "90d") == date(2026, 4, 1)
    assert add_period(date(2026, 1, 1), "2w") == date(2026, 1, 15)


def test_claims_period_runs_to_the_end_of_the_calendar_year(default_source):
    d = parse_declaration(default_source)
    rule = next(r for r in d.rules_for(category="project_data", purpose="delivery"))
    ended = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert rule.expires_at(ended) == datetime(2033, 1, 1, tzinfo=UTC)
    assert describe_rule(rule, "en") == (
        "6 years after the contract ends, counted to the end of that calendar year")
    assert describe_rule(rule, "pl") == (
        "6 lat od zakończenia umowy, z końcem roku kalendarzowego")


@pytest.mark.parametrize(("period", "pl"), [
    ("1y", "1 rok"), ("3y", "3 lata"), ("5y", "5 lat"), ("12m", "12 miesięcy"),
    ("22m", "22 miesiące"), ("13m", "13 miesięcy"), ("30d", "30 dni"), ("1w", "1 tydzień"),
])
def test_polish_plurals(period, pl):
    assert describe_period(period, "pl") == pl


@pytest.mark.parametrize(("period", "months"), [("3y", 36), ("13m", 13), ("90d", 4), ("2w", 1)])
def test_periods_in_whole_months_round_up(period, months):
    from privet.policy.schema import period_months

    assert period_months(period) == months
