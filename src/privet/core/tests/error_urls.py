"""The project's URLs plus views that fail on purpose, for the error pages' tests: the
handlers are the project's own (``privet.urls``), as in production."""

from django.conf.urls.i18n import i18n_patterns
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.urls import path

from privet.urls import handler400, handler403, handler404, handler500
from privet.urls import urlpatterns as project

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def fails_with(exception: Exception):
    def view(request):
        raise exception
    return view


failing = [
    path("fail/400/", fails_with(SuspiciousOperation("a forged request"))),
    path("fail/403/", fails_with(PermissionDenied())),
    path("fail/500/", fails_with(RuntimeError("a bug"))),
    path("fail/db/", fails_with(OperationalError("the database system is shutting down"))),
]
urlpatterns = [
    *i18n_patterns(*failing, *(path(f"panel/{p.pattern}", p.callback) for p in failing),
                   prefix_default_language=False),
    *project,
]
