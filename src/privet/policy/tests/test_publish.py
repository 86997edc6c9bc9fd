import hashlib
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from privet.audit.models import AuditEvent
from privet.audit.selectors import verify_chain
from privet.policy.loader import DeclarationError
from privet.policy.models import PolicyVersion
from privet.policy.selectors import current_version
from privet.policy.services import AlreadyPublished, EffectiveDateTooEarly, publish_version

from .conftest import edited

REPO = Path(__file__).resolve().parents[4]


def second_version(source: str) -> str:
    s = edited(source, 'id: "1.0"\n  effective: 2026-11-25', 'id: "1.1"\n  effective: 2026-11-25')
    return edited(s, "period: 90d", "period: 60d")


def test_publish_stores_an_immutable_hashed_version_and_audits_it(published):
    assert len(published.content_hash) == 64
    assert published.content_hash == hashlib.sha256(published.canonical.encode()).hexdigest()
    event = AuditEvent.objects.get(action="policy.published")
    assert event.object_id == str(published.pk)
    assert event.policy_version == published.content_hash
    assert verify_chain().ok


def test_same_content_or_reused_version_id_is_refused(published, default_source):
    with pytest.raises(AlreadyPublished, match=r"already published as version 1\.0"):
        publish_version(source=default_source, actor="test")
    changed = edited(default_source, "period: 90d", "period: 60d")
    with pytest.raises(AlreadyPublished, match=r"version id '1\.0' is already published"):
        publish_version(source=changed, actor="test")
    assert PolicyVersion.objects.count() == 1


def test_new_version_takes_over_and_old_one_stays_readable(published, default_source, client):
    newer = publish_version(source=second_version(default_source), actor="test")
    assert current_version() == newer
    page = client.get("/privacy/").content.decode()
    assert "60 days after collection" in page
    old = client.get("/privacy/versions/1.0/").content.decode()
    assert "90 days after collection" in old
    assert "This is an earlier version of the policy." in old
    history = client.get("/privacy/versions/").content.decode()
    assert "/privacy/versions/1.0/" in history and "/privacy/versions/1.1/" in history


def test_future_version_is_not_in_force_before_its_date(published, default_source, client):
    future = edited(second_version(default_source), "effective: 2026-11-25", "effective: 2099-01-01")
    publish_version(source=future, actor="test")
    assert current_version() == published
    page = client.get("/privacy/versions/1.1/").content.decode()
    assert "Version 1.1, comes into force on 1 January 2099." in page
    assert "This version is scheduled to come into force on 1 January 2099." in page
    assert "This is an earlier version of the policy." not in page
    history = client.get("/privacy/versions/").content.decode()
    assert "scheduled" in history and "Comes into force on 1 January 2099" in history


def test_a_version_cannot_take_effect_before_the_newest_one(published, default_source):
    future = edited(second_version(default_source), "effective: 2026-11-25", "effective: 2099-01-01")
    publish_version(source=future, actor="test")
    between = edited(edited(default_source, 'id: "1.0"', 'id: "1.2"'), "period: 90d", "period: 30d")
    between = edited(between, "effective: 2026-11-25", "effective: 2098-06-01")
    with pytest.raises(EffectiveDateTooEarly, match=r"before 2099-01-01, when version 1\.1 comes"):
        publish_version(source=between, actor="test")
    assert PolicyVersion.objects.count() == 2


def test_dropping_a_category_that_code_stores_is_refused(published, default_source, tmp_path):
    # audit.AuditEvent.subject_ref is mapped to contact_details in privet.audit.privacy.
    source = second_version(default_source).replace("contact_details", "contact_info")
    with pytest.raises(DeclarationError, match="'contact_details' is still stored by"):
        publish_version(source=source, actor="test")


def test_publish_command_refuses_a_bad_file_and_stores_nothing(db, default_source, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(edited(default_source, "    purpose: enquiries\n", "    purpose: nowhere\n"))
    with pytest.raises(CommandError) as info:
        call_command("policy", "publish", str(bad))
    message = str(info.value)
    assert "nothing was published" in message
    assert f"{bad}: retention[0].purpose: 'nowhere' is not a declared purpose" in message
    assert not PolicyVersion.objects.exists()
    assert not AuditEvent.objects.exists()


def test_validate_refuses_what_publish_would_refuse(db, default_source, tmp_path):
    dropped = tmp_path / "policy.yaml"
    dropped.write_text(default_source.replace("contact_details", "contact_info"))
    with pytest.raises(CommandError, match="'contact_details' is still stored by"):
        call_command("policy", "validate", str(dropped))


def test_validate_and_publish_commands(db, default_source, tmp_path, capsys):
    good = tmp_path / "policy.yaml"
    good.write_text(default_source)
    call_command("policy", "validate", str(good))
    assert "valid. Version 1.0" in capsys.readouterr().out
    assert not PolicyVersion.objects.exists()
    call_command("policy", "publish", str(good))
    assert "Published version 1.0" in capsys.readouterr().out
    assert PolicyVersion.objects.count() == 1


@pytest.mark.parametrize("period", ["0d", "-1m", "0y"])
def test_a_period_that_is_not_positive_is_refused_naming_the_rule(db, default_source, tmp_path,
                                                                  period):
    bad = tmp_path / "policy.yaml"
    bad.write_text(edited(default_source, "period: 90d", f"period: {period}"))
    expected = (rf"retention\[\d+\]\.period: the rule for technical_data \(security, after "
                rf"collected\): the period '{period}' is not positive: a rule keeps data for at "
                r"least 1 day")
    with pytest.raises(CommandError, match=expected) as info:
        call_command("policy", "validate", str(bad))
    assert "Value error" not in str(info.value)
    with pytest.raises(DeclarationError, match=expected):
        publish_version(source=bad.read_text(), actor="test", origin=str(bad))
    assert not PolicyVersion.objects.exists()


@pytest.mark.parametrize(("old", "new", "expected"), [
    # A category some target holds, counted from a trigger none of them provides for it.
    ("period: 90d\n    after: collected", "period: 90d\n    after: request_closed",
     r"the rule for technical_data \(security, after request_closed\): no retention target "
     r"provides the trigger 'request_closed' for technical_data, so nothing would ever expire "
     r"data under it \(for technical_data they provide collected, consent_withdrawn\)"),
    # Closed staff accounts count from their closing; nothing records a contract's end for them.
    ("after: account_closed", "after: contract_end",
     r"the rule for staff_accounts \(security, after contract_end\): no retention target "
     r"provides the trigger 'contract_end' for staff_accounts.*\(for staff_accounts they "
     r"provide account_closed\)"),
])
def test_a_rule_that_nothing_would_enforce_is_refused_by_validate_and_publish(
        db, default_source, tmp_path, old, new, expected):
    bad = tmp_path / "policy.yaml"
    bad.write_text(edited(default_source, old, new))
    with pytest.raises(CommandError, match=rf"retention\[\d+\]\.after: {expected}"):
        call_command("policy", "validate", str(bad))
    with pytest.raises(DeclarationError, match=expected):
        publish_version(source=bad.read_text(), actor="test", origin=str(bad))
    assert not PolicyVersion.objects.exists() and not AuditEvent.objects.exists()


def test_committed_json_schema_is_current(capsys):
    call_command("policy", "schema")
    generated = json.loads(capsys.readouterr().out)
    committed = json.loads((REPO / "docs" / "policy.schema.json").read_text())
    assert generated == committed, "run `make schema` and commit docs/policy.schema.json"
    assert "retention" in generated["properties"]


def test_hot_paths_see_a_new_version_at_once_and_a_scheduled_one_on_its_day(published, default_source):
    from freezegun import freeze_time

    from privet.policy.selectors import current_version_for_hot_path

    with freeze_time("2098-12-31 12:00:00"):
        assert current_version_for_hot_path() == published
        newer = publish_version(source=second_version(default_source), actor="test")
        assert current_version_for_hot_path() == newer  # published here: read afresh at once
        future = edited(edited(default_source, 'id: "1.0"', 'id: "2.0"'), "period: 90d", "period: 30d")
        scheduled = publish_version(source=edited(future, "effective: 2026-11-25",
                                                  "effective: 2099-01-01"), actor="test")
        assert current_version_for_hot_path() == newer
    with freeze_time("2099-01-01 00:30:00"):
        assert current_version_for_hot_path() == scheduled  # a new day: read afresh
