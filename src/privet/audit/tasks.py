"""Background work of the audit app (django-tasks; ``django.tasks`` from Django 6)."""

from django_tasks import task

from .actors import WORKER
from .services import record_verification


@task()
def verify_audit_chain() -> dict:
    """Verify the chain off the request path and record the outcome in the chain itself."""
    result = record_verification(actor=WORKER)
    return {"ok": result.ok, "checked": result.checked, "broken_at": result.broken_at}
