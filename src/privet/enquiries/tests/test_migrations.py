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


@pytest.mark.django_db(transaction=True)
def test_status_changes_dated_by_their_day_lose_their_invented_time():
    """Before 0005 the panel stored a day as 23:59:59 of that day; 0006 marks those rows
    ``date_only`` and leaves real times alone."""
    from datetime import datetime, time, timedelta

    old = migrate([("enquiries", "0005_verbose_names_and_status_date_only")])
    enquiry = old.get_model("enquiries", "Enquiry").objects.create(
        name="Anna", email="anna@example.com", project_type="website", message="Hello")
    changes = old.get_model("enquiries", "EnquiryStatusChange").objects
    day = timezone.localdate() - timedelta(days=3)
    dated = changes.create(enquiry=enquiry, from_status="new", to_status="offer",
                           at=timezone.make_aware(datetime.combine(day, time(23, 59, 59))))
    real = changes.create(enquiry=enquiry, from_status="", to_status="new",
                          at=timezone.make_aware(datetime.combine(day, time(9, 30))))
    same_day = changes.create(enquiry=enquiry, from_status="offer", to_status="closed",
                              at=timezone.make_aware(datetime.combine(day, time(23, 59, 59))))
    changes.filter(pk__in=[dated.pk, real.pk]).update(recorded_at=timezone.now())
    # Entered at 23:59:59 on that very day: a real time, not a day.
    changes.filter(pk=same_day.pk).update(recorded_at=same_day.at)
    try:
        new = migrate([("enquiries", "0006_mark_dated_status_changes")])
        flags = dict(new.get_model("enquiries", "EnquiryStatusChange").objects
                     .values_list("pk", "date_only"))
        assert flags == {dated.pk: True, real.pk: False, same_day.pk: False}
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
