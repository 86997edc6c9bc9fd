"""Syncs on the task worker: one task per grant and workflow, and the job that queues those due
(every five minutes, :mod:`privet.core.schedule`)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django_tasks import task

from privet.audit.services import Actor, actor_label, append_event

from .connectors import connectors
from .models import Grant, SyncRun
from .sync import WorkflowUnavailable, available_workflows, run_workflow


@task()
def sync_grant(grant_id: int, workflow: str, actor: str = "system:sync", full: bool = False) -> dict:
    """Sync one workflow of one grant. A grant ended or a scope lost meanwhile is no error:
    nothing is attempted and the answer says why."""
    grant = Grant.all_clients.select_related("client").filter(pk=grant_id).first()
    if grant is None:
        return {"skipped": "no_grant"}
    try:
        run = run_workflow(grant, workflow, actor=actor, full=full)
    except WorkflowUnavailable as exc:
        return {"skipped": exc.reason}
    return {"run": run.pk, "status": run.status, "records": sum(run.counts.values())}


def request_sync(grant: Grant, actor: Actor) -> list[str]:
    """"Sync now" from the panel: queue :func:`.tasks.sync_grant` for every workflow of the
    client that can run on ``grant`` (a workflow whose scopes were not granted is not queued,
    so never attempted). Audited with the workflows queued, before they run (a task on the
    immediate backend runs inside ``enqueue``). Returns the workflow ids queued."""
    workflows = [w.id for w in available_workflows(grant)]
    label = actor_label(actor)[:150]
    with transaction.atomic():
        append_event(actor=actor, action="integrations.sync_requested", obj=grant,
                     details={"client": grant.client.slug, "workflow": workflows})
    for workflow in workflows:
        sync_grant.enqueue(grant.pk, workflow, actor=label)
    return workflows


@task()
def refresh_comments(grant_id: int, video_id: str, comment_ids: list[str]) -> dict:
    """A comment webhook's work (:meth:`TikTokConnector.refresh_comments`): the comment read
    again for one grant, if its moderation workflow can still run."""
    from .sync import unavailable_reason

    grant = Grant.all_clients.select_related("client").filter(pk=grant_id).first()
    if grant is None or grant.connector not in connectors:
        return {"skipped": "no_grant"}
    connector = connectors.get(grant.connector)
    workflow = connector.workflows.get("moderation")
    reason = unavailable_reason(grant, workflow) if workflow else "unknown"
    if reason:
        return {"skipped": reason}
    return {"outcome": connector.refresh_comments(grant, video_id, list(comment_ids))}


# A run still marked running after this long died with its worker: it no longer holds the
# workflow back.
RUNNING_FOR_AT_MOST = timedelta(hours=2)


@task()
def sync_due() -> dict:
    """Queue a sync of every available workflow of every live grant whose last run started
    more than ``PRIVET_INTEGRATIONS_SYNC_MINUTES`` ago and is not still running (a
    system-wide job: it reads every client's grants, and each task then works for one client
    only). Once every ``PRIVET_INTEGRATIONS_FULL_SYNC_HOURS`` the run is full: it reads every
    list to its end, so what an incremental run cannot see (a reply to an old comment, a
    comment hidden or deleted on the platform) is caught."""
    now = timezone.now()
    due_before = now - timedelta(minutes=settings.PRIVET_INTEGRATIONS_SYNC_MINUTES)
    full_before = now - timedelta(hours=settings.PRIVET_INTEGRATIONS_FULL_SYNC_HOURS)
    queued = 0
    grants = Grant.all_clients.select_related("client").filter(
        status=Grant.Status.ACTIVE, client__contract_ended_at__isnull=True)
    for grant in grants:
        if grant.connector not in connectors:
            continue
        runs = SyncRun.objects.for_client(grant.client).filter(grant=grant)
        last = dict(runs.values_list("workflow").annotate(Max("started_at")))
        first = dict(runs.values_list("workflow").annotate(Min("started_at")))
        last_full = dict(runs.filter(full=True).values_list("workflow").annotate(Max("started_at")))
        running = set(runs.filter(status=SyncRun.Status.RUNNING,
                                  started_at__gt=now - RUNNING_FOR_AT_MOST)
                      .values_list("workflow", flat=True))
        for workflow in available_workflows(grant):
            started = last.get(workflow.id)
            if workflow.id in running or (started is not None and started >= due_before):
                continue
            # The first run reads everything anyway; after it, a full one a day.
            read_whole = last_full.get(workflow.id) or first.get(workflow.id)
            full = read_whole is not None and read_whole < full_before
            sync_grant.enqueue(grant.pk, workflow.id, full=full)
            queued += 1
    return {"queued": queued}


# The framework's own records of its work hold no personal data, but a client's syncs make
# thousands of calls a day: they are kept this long, then deleted daily in batches.
PRUNED = (("OutboundCall", "at"), ("WebhookDelivery", "received_at"), ("SyncRun", "started_at"))
PRUNE_BATCH = 5000


@task()
def prune_records() -> dict:
    """Delete call records, webhook deliveries and sync runs older than
    ``PRIVET_INTEGRATIONS_RECORD_DAYS`` (a system-wide job, like the retention sweep). A
    webhook delivery outlives the platform's 72 h of redelivery many times over, so a replay
    is still recognised."""
    from . import models

    before = timezone.now() - timedelta(days=settings.PRIVET_INTEGRATIONS_RECORD_DAYS)
    deleted: dict[str, int] = {}
    for name, field in PRUNED:
        model = getattr(models, name)
        manager = model.all_clients if hasattr(model, "all_clients") else model.objects
        total = 0
        while True:
            keys = list(manager.filter(**{f"{field}__lt": before}).order_by()
                        .values_list("pk", flat=True)[:PRUNE_BATCH])
            if not keys:
                break
            total += manager.filter(pk__in=keys).delete()[0]
        deleted[name] = total
    return deleted
