"""The 400, 403, 404 and 500 pages (``handler400`` ... ``handler500`` in ``privet.urls``).

Django's own are bare English pages, also under ``/pl/``. These speak the page's language
(``LocaleMiddleware`` has already taken it from the path: Polish under ``/pl/``, in the panel
too), have the look of where the person was (the public site, or the operator panel under
``/panel/``), and offer the way back (home, or the panel's dashboard).

The 500 page is rendered without a request context: no context processor, no database query,
no session, so it still appears when the database is what failed. If even that template cannot
be rendered, a fixed two-language page is sent instead of none.
"""

from __future__ import annotations

import logging

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.translation import get_language, get_language_from_path

from privet.site.context_processors import SITE_NAME

logger = logging.getLogger(__name__)

PANEL_PREFIX = "/panel/"
# Sent when the 500 template itself fails: no template, no translation machinery, no database.
LAST_RESORT = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Server error</title>'
    '</head><body><h1>Something went wrong</h1><p>An error on our side stopped this page. '
    'Please try again in a moment.</p><p lang="pl">Coś poszło nie tak. Spróbuj ponownie za '
    'chwilę.</p><p><a href="/">Home</a> · <a href="/pl/" lang="pl">Strona główna</a></p>'
    '</body></html>'
)


def in_panel(request: HttpRequest) -> bool:
    """Whether the address is the operator panel's (``/panel/...``, ``/pl/panel/...``)."""
    path = request.path_info
    lang = get_language_from_path(path)
    if lang and path.startswith(f"/{lang}/"):
        path = path[len(lang) + 1:]
    return path.startswith(PANEL_PREFIX)


def _template(request: HttpRequest, code: int) -> str:
    return f"panel/{code}.html" if in_panel(request) else f"{code}.html"


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, _template(request, 400), status=HttpResponseBadRequest.status_code)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, _template(request, 403), status=HttpResponseForbidden.status_code)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, _template(request, 404), status=HttpResponseNotFound.status_code)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, from a plain context (see the module's docstring for why)."""
    panel = in_panel(request)
    try:
        home = reverse("panel:dashboard" if panel else "site:home")
    except Exception:  # a broken URLconf must not take the error page with it
        home = "/"
    context = {"home_url": home, "site_name": SITE_NAME, "LANGUAGE_CODE": get_language()}
    try:
        body = loader.get_template(_template(request, 500)).render(context)
    except Exception:  # the last page a person sees: logged, then the fixed one
        logger.exception("The 500 page could not be rendered; sent the fixed one.")
        body = LAST_RESORT
    return HttpResponseServerError(body)
