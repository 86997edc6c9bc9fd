"""The technical log for the rights and retention engines.

Request records serve stability, diagnostics and improving the services, and expire by the
declared rule for technical data collected for improvement (13 months in the default
declaration); security events expire by the rule for technical data collected for security
(90 days), and so do the daily keys that pseudonymise both: once a day's key is gone, no
record of that day can be tied to an address again. On PostgreSQL whole months of the log go
by partition drop (the retention engine's), the rest by batched deletes
(:func:`.services.expire_records`).
"""

from __future__ import annotations

from django.db.models import Q

from privet.registry import RetentionTarget, registry

from . import services
from .models import REQUEST, DailyKey, TechnicalRecord
from .partitions import LOG

registry.personal_data(
    TechnicalRecord,
    {
        # The client, pseudonymised: its network (IPv4 /24, IPv6 /48) and a keyed hash of its
        # address under the day's key. Still personal data while the key exists (GDPR Recital 26).
        "network": "technical_data",
        "pseudonym": "technical_data",
        "user_agent_family": "technical_data",
        "os_family": "technical_data",
    },
    not_personal={
        "details": "codes that say what happened (a sign-in stage, a limit's name), checked by "
                   "record_security_event, which drops any value that is not a short code",
    },
)
registry.personal_data(
    DailyKey,
    # Random bytes about nobody, but the one thing that can tie a day's pseudonyms back to
    # addresses (GDPR Art. 4(5) "additional information"): declared with the data it unlocks.
    {"key": "technical_data"},
)

_NOT_A_SOURCE = (
    "the technical log holds no identifier a person can prove: an address's network and a "
    "keyed hash whose daily key is destroyed after the declared window, so a record cannot be "
    "tied to a verified person (GDPR Art. 11: no extra data is kept to identify them); it "
    "expires on its own"
)
registry.not_a_subject_source(TechnicalRecord, _NOT_A_SOURCE)
registry.not_a_subject_source(
    DailyKey, "a key is random bytes about nobody; it only unlocks the log's pseudonyms")


registry.retention_target(RetentionTarget(
    name="telemetry.requests", model=TechnicalRecord, scope=Q(kind=REQUEST),
    categories=frozenset({"technical_data"}), purposes=frozenset({"improvement"}),
    triggers={"collected": "at"}, expire=services.expire_records, partitions=LOG,
))
registry.retention_target(RetentionTarget(
    name="telemetry.security_events", model=TechnicalRecord, scope=~Q(kind=REQUEST),
    categories=frozenset({"technical_data"}), purposes=frozenset({"security"}),
    triggers={"collected": "at"}, expire=services.expire_records, partitions=LOG,
))
registry.retention_target(RetentionTarget(
    name="telemetry.daily_keys", model=DailyKey,
    categories=frozenset({"technical_data"}), purposes=frozenset({"security"}),
    triggers={"collected": "created_at"}, expire=services.expire_records,
))
