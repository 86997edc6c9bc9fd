"""Background work of the audit app (django-tasks; ``django.tasks`` from Django 6)."""

from django_tasks import task

from .selectors import verify_chain
from .services import append_event


@task()
def verify_audit_chain() -> dict:
    """Verify the chain off the request path and record the outcome in the chain itself."""
    result = verify_chain()
    append_event(
        actor="system:worker",
        action="audit.verified" if result.ok else "audit.broken",
        details={"checked": result.checked, "broken_at": result.broken_at, "reason": result.reason},
    )
    return {"ok": result.ok, "checked": result.checked, "broken_at": result.broken_at}
