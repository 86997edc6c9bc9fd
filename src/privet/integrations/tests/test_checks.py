"""``manage.py check`` keeps connectors inside the declaration (privet.E030-E032)."""

from __future__ import annotations

import dataclasses

import pytest
from django.test import override_settings

from privet.integrations.checks import check_connectors, connector_errors, scoping_errors
from privet.integrations.connectors import FieldUse, ObjectContract
from privet.integrations.tiktok.connector import TIKTOK
from privet.policy.loader import load_declaration


@pytest.fixture
def declaration(settings):
    return load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE)


def ids(errors):
    return sorted({e.id for e in errors})


def test_the_installed_connectors_pass_against_the_default_declaration():
    assert [e for e in check_connectors() if e.id.startswith("privet.E")] == []
    assert scoping_errors() == []


def test_a_host_the_declaration_does_not_list_fails(declaration):
    wider = dataclasses.replace(TIKTOK, hosts=(*TIKTOK.hosts, "scraper.tiktok.com"))
    errors = connector_errors(wider, declaration)
    assert ids(errors) == ["privet.E030"] and "scraper.tiktok.com" in errors[0].msg


def test_an_undeclared_connector_fails(declaration):
    other = dataclasses.replace(TIKTOK, id="shopify")
    assert ids(connector_errors(other, declaration)) == ["privet.E030"]


def test_an_api_base_off_the_declared_hosts_fails_unless_it_is_a_loopback_fake(declaration):
    with override_settings(PRIVET_TIKTOK_API_BASE="https://api.example.net/v1/"):
        assert ids(connector_errors(TIKTOK, declaration)) == ["privet.E030"]
    with override_settings(PRIVET_TIKTOK_API_BASE="http://127.0.0.1:9/open_api/v1.3/",
                           PRIVET_INTEGRATIONS_LOOPBACK=False):
        assert ids(connector_errors(TIKTOK, declaration)) == ["privet.E030"]
    with override_settings(PRIVET_TIKTOK_API_BASE="http://127.0.0.1:9/open_api/v1.3/",
                           PRIVET_INTEGRATIONS_LOOPBACK=True):
        assert connector_errors(TIKTOK, declaration) == []


@pytest.mark.parametrize("use, word", [
    (FieldUse("marketing_profiles", "delivery"), "category"),
    (FieldUse("integration_data", "advertising"), "purpose"),
    (FieldUse("contact_details", "delivery"), "category"),  # declared, but not for this connector
])
def test_a_contract_field_outside_the_declaration_fails(declaration, use, word):
    contract = {**TIKTOK.contract, "follower": ObjectContract("follower", "business_account",
                                                              {"email": use})}
    errors = connector_errors(dataclasses.replace(TIKTOK, contract=contract), declaration)
    assert ids(errors) == ["privet.E031"] and "follower.email" in errors[0].msg and word in errors[0].msg


def test_an_object_outside_what_the_connector_may_read_fails(declaration):
    contract = {**TIKTOK.contract, "followers": ObjectContract(
        "followers", "follower_lists", {"username": FieldUse("integration_data", "delivery")})}
    errors = connector_errors(dataclasses.replace(TIKTOK, contract=contract), declaration)
    assert ids(errors) == ["privet.E031"] and "follower_lists" in errors[0].msg


def test_a_deployment_without_vault_keys_is_warned_about():
    from privet.integrations.checks import check_vault_keys

    with override_settings(PRIVET_VAULT_KEYS=[], DEMO=False):
        assert ids(check_vault_keys()) == ["privet.W030"]
    with override_settings(PRIVET_VAULT_KEYS=[], DEMO=True):
        assert check_vault_keys() == []
