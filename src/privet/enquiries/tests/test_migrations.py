"""Migration 0004 keeps the mail the old worker had given up on, as failed mail to send again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("enquiries", "0003_unsent_mail")]
AFTER = [("enquiries", "0004_outgoing_mail")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_unsent_mail_becomes_failed_outgoing_mail_and_back():
    old = migrate(BEFORE)
    enquiry = old.get_model("enquiries", "Enquiry").objects.create(
        name="Anna", email="anna@example.com", project_type="website", message="Hello")
    failed_at = timezone.now().replace(microsecond=0)
    old.get_model("enquiries", "UnsentMail").objects.create(
        enquiry=enquiry, kind="acknowledgement", failed_at=failed_at, error="ConnectionRefusedError")
    try:
        new = migrate(AFTER)
        [mail] = new.get_model("enquiries", "OutgoingMail").objects.all()
        assert (mail.enquiry_id, mail.kind, mail.state, mail.error, mail.attempts) == (
            enquiry.pk, "acknowledgement", "failed", "ConnectionRefusedError", 5)
        assert mail.finished_at == mail.queued_at == mail.created_at == failed_at
        new.get_model("enquiries", "OutgoingMail").objects.create(enquiry_id=enquiry.pk, kind="operators",
                                                                  state="sent", finished_at=failed_at)
        old = migrate(BEFORE)
        [unsent] = old.get_model("enquiries", "UnsentMail").objects.all()
        assert (unsent.kind, unsent.failed_at, unsent.error) == ("acknowledgement", failed_at,
                                                                 "ConnectionRefusedError")
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
