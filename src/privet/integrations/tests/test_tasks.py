"""The worker's side of integrations: the job that queues due syncs, and the one that prunes
the framework's own records."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from privet.integrations import services, tasks
from privet.integrations.models import Grant, OutboundCall, SyncRun, Video, WebhookDelivery

from .test_sync import connect


def test_the_job_syncs_every_available_workflow_of_every_live_grant_once_due(
        tiktok_fake, make_client, make_link, settings):
    grant = connect(make_client, make_link, workflows=["moderation", "reporting"])
    other = connect(make_client, make_link, slug="globex", workflows=["moderation"])
    services.disconnect(grant=other, actor="test")
    assert tasks.sync_due.call() == {"queued": 1}  # moderation of the live grant; reporting
    runs = SyncRun.objects.for_client(grant.client)  # needs an advertiser grant
    assert [(r.workflow, r.status) for r in runs] == [("moderation", "done")]
    assert Video.objects.for_client(grant.client).count() == len(tiktok_fake.videos)
    assert tasks.sync_due.call() == {"queued": 0}  # not due again yet
    runs.update(started_at=timezone.now() - timedelta(minutes=settings.PRIVET_INTEGRATIONS_SYNC_MINUTES + 1))
    assert tasks.sync_due.call() == {"queued": 1}


def test_a_grant_ended_before_its_task_ran_is_skipped_with_the_reason(tiktok_fake, make_client,
                                                                      make_link):
    grant = connect(make_client, make_link, workflows=["moderation"])
    services.disconnect(grant=grant, actor="test")
    assert tasks.sync_grant.call(grant.pk, "moderation") == {"skipped": "not_live"}
    assert tasks.sync_grant.call(10**9, "moderation") == {"skipped": "no_grant"}
    assert not Grant.objects.for_client(grant.client).filter(status="active").exists()


def test_old_records_of_the_frameworks_work_are_pruned(tiktok_fake, make_client, make_link, settings):
    grant = connect(make_client, make_link, workflows=["moderation"])
    old = timezone.now() - timedelta(days=settings.PRIVET_INTEGRATIONS_RECORD_DAYS + 1)
    calls = OutboundCall.objects.for_client(grant.client)
    recent = calls.count()
    OutboundCall.objects.for_client(grant.client).create(client=grant.client, connector="tiktok_business",
                                                         endpoint="account.videos", at=old)
    WebhookDelivery.objects.create(connector="tiktok_business", event_id="e1", kind="x",
                                   received_at=old)
    WebhookDelivery.objects.create(connector="tiktok_business", event_id="e2", kind="x")
    assert tasks.prune_records.call() == {"OutboundCall": 1, "WebhookDelivery": 1, "SyncRun": 0}
    assert calls.count() == recent and WebhookDelivery.objects.get().event_id == "e2"


def test_a_workflow_still_running_is_not_queued_again_and_a_full_run_comes_daily(
        tiktok_fake, make_client, make_link, settings):
    grant = connect(make_client, make_link, workflows=["moderation"])
    runs = SyncRun.objects.for_client(grant.client)
    assert tasks.sync_due.call() == {"queued": 1}
    first = runs.get()
    assert not first.full  # the first run reads everything anyway
    long_ago = timezone.now() - timedelta(hours=settings.PRIVET_INTEGRATIONS_FULL_SYNC_HOURS + 1)
    runs.update(started_at=long_ago, status=SyncRun.Status.RUNNING)
    due = timedelta(minutes=settings.PRIVET_INTEGRATIONS_SYNC_MINUTES + 1)
    runs.filter(pk=first.pk).update(started_at=timezone.now() - due)
    assert tasks.sync_due.call() == {"queued": 0}  # still running (its worker may be alive)
    runs.update(started_at=long_ago)  # a run that old died with its worker
    assert tasks.sync_due.call() == {"queued": 1}
    assert runs.order_by("-pk").first().full
