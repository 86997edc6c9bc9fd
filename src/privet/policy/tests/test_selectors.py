"""The one answer to "which policy is in force": privet.policy.selectors and its one cache."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from freezegun import freeze_time

from privet.audit import services as audit_services
from privet.audit.services import append_event
from privet.policy import cache as policy_cache
from privet.policy import selectors
from privet.policy.cache import PolicyCache
from privet.policy.loader import canonical_json, load_declaration, parse_declaration
from privet.policy.selectors import (
    current_hash,
    current_version,
    declaration_for_hash,
    declaration_in_force,
    declaration_in_force_or_file,
)
from privet.policy.services import publish_version

from .conftest import edited


def version(source: str, vid: str, period: str, effective: str = "2026-11-25") -> str:
    """The default declaration as version ``vid``, keeping security logs for ``period``."""
    s = edited(source, 'id: "1.0"', f'id: "{vid}"')
    s = edited(s, "period: 90d", f"period: {period}")
    return edited(s, "effective: 2026-11-25", f"effective: {effective}")


def log_period(declaration) -> str:
    return declaration.rules_for(category="technical_data", purpose="security")[0].period


@pytest.fixture
def empty_cache(monkeypatch) -> PolicyCache:
    """A process that has met no version yet, so query counts do not depend on earlier tests."""
    cache = PolicyCache()
    monkeypatch.setattr(policy_cache, "_cache", cache)
    return cache


@pytest.mark.django_db
def test_nothing_published_means_no_declaration_no_hash_and_the_notice_quotes_the_file():
    assert declaration_in_force() is None
    assert current_hash() == ""
    declaration, policy_hash = declaration_in_force_or_file()
    assert declaration == load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE)
    assert policy_hash == ""


def test_a_version_is_parsed_from_the_hashed_canonical_json_and_equals_the_yaml(
    published, default_source, empty_cache
):
    from_json = declaration_for_hash(published.content_hash)
    assert from_json == parse_declaration(default_source)
    assert canonical_json(from_json) == published.canonical
    assert published.declaration() is from_json  # the model method reads the same cache
    assert list(empty_cache.declarations) == [published.content_hash]


def test_publishing_is_seen_at_once_in_this_process(published, default_source):
    assert current_hash() == published.content_hash
    assert log_period(declaration_in_force()) == "90d"
    newer = publish_version(source=version(default_source, "1.1", "60d"), actor="test")
    assert current_hash() == newer.content_hash
    assert log_period(declaration_in_force()) == "60d"
    assert declaration_in_force_or_file() == (newer.declaration(), newer.content_hash)


def test_a_scheduled_version_is_in_force_from_its_midnight(published, default_source):
    warsaw = ZoneInfo(settings.TIME_ZONE)
    with freeze_time(datetime(2098, 12, 31, 23, 59, 59, tzinfo=warsaw)):
        newer = publish_version(source=version(default_source, "1.1", "60d"), actor="test")
        assert selectors.current_version_for_hot_path() == newer  # the hot path holds it now
        scheduled = publish_version(
            source=version(default_source, "2.0", "30d", effective="2099-01-01"), actor="test"
        )
        assert current_hash() == newer.content_hash
        assert log_period(declaration_in_force()) == "60d"
    with freeze_time(datetime(2099, 1, 1, 0, 0, 0, tzinfo=warsaw)):
        assert current_hash() == scheduled.content_hash
        assert log_period(declaration_in_force()) == "30d"
        assert selectors.current_version_for_hot_path() == scheduled  # a new day: read afresh


def test_declaration_for_hash_costs_a_query_on_a_miss_and_none_once_cached(
    published, empty_cache, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert declaration_for_hash("0" * 64) is None
    with django_assert_num_queries(1):
        assert declaration_for_hash("0" * 64) is None  # an unknown hash is not remembered
    with django_assert_num_queries(1):
        known = declaration_for_hash(published.content_hash)
    with django_assert_num_queries(0):
        assert declaration_for_hash(published.content_hash) is known


def test_recording_callers_read_the_version_in_force_in_one_query(
    published, empty_cache, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert current_hash() == published.content_hash
    with django_assert_num_queries(2):  # the row, then its canonical JSON the first time
        first = declaration_in_force()
    with django_assert_num_queries(1):
        assert declaration_in_force() is first
    with django_assert_num_queries(1):
        assert current_version().declaration() is first


def test_audit_events_record_the_hash_in_force_through_the_provider(
    published, default_source, monkeypatch
):
    assert audit_services._policy_hash_provider is current_hash  # registered by PolicyConfig.ready()
    assert append_event(actor="test", action="thing.done").policy_version == published.content_hash
    newer = publish_version(source=version(default_source, "1.1", "60d"), actor="test")
    assert append_event(actor="test", action="thing.done").policy_version == newer.content_hash
    given = append_event(actor="test", action="thing.done", policy_version=published.content_hash)
    assert given.policy_version == published.content_hash  # a caller's own hash wins
    monkeypatch.setattr(audit_services, "_policy_hash_provider", None)
    assert append_event(actor="test", action="thing.done").policy_version == ""


def test_a_version_whose_stored_text_was_changed_is_refused(published):
    from privet.policy.cache import TamperedVersion
    from privet.policy.models import PolicyVersion

    PolicyVersion.objects.filter(pk=published.pk).update(
        canonical=published.canonical.replace("SoftCode", "EvilCorp", 1))
    tampered = PolicyVersion.objects.get(pk=published.pk)
    with pytest.raises(TamperedVersion, match="does not match its content hash"):
        PolicyCache().declaration_of(tampered)
