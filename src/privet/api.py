"""The JSON API (django-ninja, OpenAPI at /api/docs). Apps add routers in their ``api.py``.

Domain errors are raised as :class:`privet.errors.PrivetError` subclasses and turned into a
4xx answer here, in one place, with a stable ``error`` code and a human ``message``.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema, Swagger
from ninja.errors import ValidationError as NinjaValidationError

from privet import __version__
from privet.core.outage import DatabaseUnavailable, is_database_unavailable
from privet.errors import PrivetError

log = logging.getLogger(__name__)

# /api/docs: Swagger UI from our own static files (ninja ships them), under the site's strict
# CSP: no CDN, no inline script. The online validator badge would send the schema to a third
# party, so it is off.
api = NinjaAPI(
    title="Privet API",
    version=__version__,
    description="Consent receipts, rights requests and integrations of a Privet installation.",
    urls_namespace="api",
    docs=Swagger(settings={"validatorUrl": None}),
)


class ErrorOut(Schema):
    """Every error answer: a stable code to act on and a sentence to show."""

    error: str
    message: str


class InvalidOut(ErrorOut):
    problems: list[dict[str, str]] = Field(description="Each invalid field and what is wrong.")


# What any operation can answer besides its own: a query string (or body) that is not valid
# UTF-8 or holds a NUL character is refused before it reaches the operation
# (privet.middleware). Merge into each operation's ``response=``.
BAD_REQUEST = {400: ErrorOut}


@api.exception_handler(PrivetError)
def privet_error(request: HttpRequest, exc: PrivetError) -> HttpResponse:
    response = api.create_response(
        request, {"error": exc.code, "message": str(exc)}, status=exc.status
    )
    if retry_after := getattr(exc, "retry_after", None):
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A database that is away (a restart, an outage) is a 503 with ``Retry-After``, never a 500;
    any other database error is the bug it is. Endpoints that must say what was not done (a
    consent receipt) raise :class:`DatabaseUnavailable` with their own words instead."""
    if not is_database_unavailable(exc):
        raise exc
    log.warning("api: %s %s answered 503, the database is unavailable (%s)", request.method,
                request.path, type(exc).__name__)
    return privet_error(request, DatabaseUnavailable(
        _("The service is briefly unavailable. Please try again in a few seconds.")))


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    problems = [
        {"field": ".".join(str(p) for p in e.get("loc", []) if p not in ("body", "payload")),
         "message": e.get("msg", "invalid")}
        for e in exc.errors
    ]
    return api.create_response(
        request,
        {"error": "invalid_request", "message": "The request is not valid.", "problems": problems},
        status=422,
    )


class HealthOut(Schema):
    status: str = Field(description='Always "ok": the web process answers.')


@api.get("/health", response={200: HealthOut, **BAD_REQUEST}, tags=["meta"], summary="Liveness check",
         description="Answers HEAD too, for uptime monitors.", auth=None)
def health(request: HttpRequest) -> dict:
    return {"status": "ok"}


def register_routers() -> None:
    """Mount each installed app's ``api.router`` under /api/<app label>/ (called once, by urls)."""
    import importlib

    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("privet."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.api":
                raise
            continue
        api.add_router(f"/{config.label}/", module.router)
