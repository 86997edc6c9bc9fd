"""``manage.py check`` keeps connectors inside the declaration (privet.E030-E033)."""

from __future__ import annotations

import dataclasses

import pytest
from django.test import override_settings

from privet.integrations.checks import check_connectors, connector_errors, scoping_errors
from privet.integrations.connectors import FieldUse, ObjectContract, Workflow
from privet.integrations.tiktok.connector import TIKTOK
from privet.policy.loader import load_declaration


@pytest.fixture
def declaration(settings):
    return load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE)


def ids(errors):
    return sorted({e.id for e in errors})


def with_object(contract: ObjectContract, *, synced: bool = True):
    """TIKTOK with one more contract object, read by the moderation workflow (``synced``) or
    by none."""
    workflows = dict(TIKTOK.workflows)
    if synced:
        moderation = workflows["moderation"]
        workflows["moderation"] = dataclasses.replace(
            moderation, reads=(*moderation.reads, contract.name))
    return dataclasses.replace(TIKTOK, contract={**TIKTOK.contract, contract.name: contract},
                               workflows=workflows)


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
    errors = connector_errors(with_object(ObjectContract("follower", "business_account",
                                                         {"email": use})), declaration)
    assert ids(errors) == ["privet.E031"] and "follower.email" in errors[0].msg and word in errors[0].msg


def test_an_object_outside_what_the_connector_may_read_fails(declaration):
    errors = connector_errors(with_object(ObjectContract(
        "followers", "follower_lists", {"username": FieldUse("integration_data", "delivery")})),
        declaration)
    assert ids(errors) == ["privet.E031"] and "follower_lists" in errors[0].msg


# --- privet.E033: the declared may_read items, the contract and the workflows agree --------------

def declaring(declaration, *extra: str):
    """The declaration with more ``may_read`` items on the TikTok connector."""
    declared = declaration.connector(TIKTOK.id)
    items = [*declared.may_read, *(declared.may_read[0].model_copy(update={"id": i}) for i in extra)]
    connectors = [c.model_copy(update={"may_read": items}) if c.id == TIKTOK.id else c
                  for c in declaration.integrations.connectors]
    integrations = declaration.integrations.model_copy(update={"connectors": connectors})
    return declaration.model_copy(update={"integrations": integrations})


def test_the_shipped_declaration_and_the_tiktok_connector_agree(declaration):
    assert connector_errors(TIKTOK, declaration) == []
    declared = {m.id for m in declaration.connector(TIKTOK.id).may_read}
    assert "live" not in declared  # no API offers it (README, "Section 6 of the policy, as tests")


def test_a_declared_may_read_item_nothing_syncs_fails(declaration):
    errors = connector_errors(TIKTOK, declaring(declaration, "live"))
    assert ids(errors) == ["privet.E033"] and "'live'" in errors[0].msg


def test_a_declared_item_whose_only_object_no_workflow_reads_fails(declaration):
    """Declared, with a contract object, but no workflow syncs it: still nothing reads it."""
    lonely = with_object(ObjectContract("live_room", "live", {
        "room_id": FieldUse("integration_data", "delivery")}), synced=False)
    errors = connector_errors(lonely, declaring(declaration, "live"))
    assert ids(errors) == ["privet.E033"]
    assert any("'live_room' is read by no workflow" in e.msg for e in errors)
    assert any("item 'live' is read by no workflow" in e.msg for e in errors)


def test_a_contract_object_no_workflow_reads_fails(declaration):
    errors = connector_errors(with_object(ObjectContract("follower", "business_account", {
        "username": FieldUse("integration_data", "delivery")}), synced=False), declaration)
    assert ids(errors) == ["privet.E033"] and "'follower'" in errors[0].msg


def test_a_workflow_reading_an_object_the_contract_lacks_fails(declaration):
    workflows = {**TIKTOK.workflows, "lives": Workflow("lives", "LIVE", "account",
                                                      ("user.info.basic",), ("live_room",))}
    errors = connector_errors(dataclasses.replace(TIKTOK, workflows=workflows), declaration)
    assert ids(errors) == ["privet.E033"] and "'live_room'" in errors[0].msg


@pytest.mark.parametrize("flow, scopes, word", [
    ("account", ("user.info.basic", "live.room.read"), "live.room.read"),  # beyond its flow's
    ("advertiser", ("user.info.basic",), "user.info.basic"),  # the other flow's scope
    ("creator", (), "'creator'"),  # no such authorisation
])
def test_a_workflow_beyond_its_flows_scopes_fails(declaration, flow, scopes, word):
    moderation = TIKTOK.workflows["moderation"]
    workflows = {**TIKTOK.workflows, "moderation": dataclasses.replace(
        moderation, flow=flow, scopes=scopes)}
    errors = connector_errors(dataclasses.replace(TIKTOK, workflows=workflows), declaration)
    assert ids(errors) == ["privet.E033"] and word in errors[0].msg


def test_a_deployment_without_vault_keys_is_warned_about():
    from privet.integrations.checks import check_vault_keys

    with override_settings(PRIVET_VAULT_KEYS=[], DEMO=False):
        assert ids(check_vault_keys()) == ["privet.W030"]
    with override_settings(PRIVET_VAULT_KEYS=[], DEMO=True):
        assert check_vault_keys() == []
