"""The JSON API (django-ninja, OpenAPI at /api/docs). Apps add routers in their ``api.py``.

Domain errors are raised as :class:`privet.errors.PrivetError` subclasses and turned into a
4xx answer here, in one place, with a stable ``error`` code and a human ``message``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from privet import __version__
from privet.errors import PrivetError

api = NinjaAPI(
    title="Privet API",
    version=__version__,
    description="Consent receipts, rights requests and integrations of a Privet installation.",
    urls_namespace="api",
)


@api.exception_handler(PrivetError)
def privet_error(request: HttpRequest, exc: PrivetError) -> HttpResponse:
    return api.create_response(
        request, {"error": exc.code, "message": str(exc)}, status=exc.status
    )


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


@api.get("/health", tags=["meta"], summary="Liveness check", auth=None)
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
