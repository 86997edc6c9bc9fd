"""The CSRF failure page (``CSRF_FAILURE_VIEW``): a form sent without a valid CSRF token.

The page was open too long, or cookies are blocked. Nothing is stored; the person is told what
happened in the look of the page they were on, instead of Django's bare 403, and offered the way
back (``reason``, Django's technical one, is not shown). Which page:

- a view decorated with :func:`csrf_failure_handler` answers itself (the contact form comes back
  with what was typed);
- else the template ``<namespace>/csrf_failure.html`` of the URL's outermost namespace, when an
  app gives one (the panel's ``panel/`` and ``admin/``), with ``back_url`` in its context;
- else ``core/csrf_failure.html``, in the public site's layout.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

View = Callable[..., HttpResponse]
Handler = Callable[[HttpRequest], HttpResponse | None]

HANDLER_ATTRIBUTE = "privet_csrf_failure"


def csrf_failure_handler(handler: Handler) -> Callable[[View], View]:
    """Decorate a view so that a CSRF failure of a request to it is answered by
    ``handler(request)``; a handler that returns ``None`` leaves it to the usual page."""
    def decorate(view: View) -> View:
        setattr(view, HANDLER_ATTRIBUTE, handler)
        return view
    return decorate


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    match = request.resolver_match  # the URL is resolved before the CSRF check runs
    handler = getattr(match.func, HANDLER_ATTRIBUTE, None) if match else None
    if handler is not None:
        response = handler(request)
        if response is not None:
            return response
    names = ["core/csrf_failure.html"]
    if match and match.namespaces:
        names.insert(0, f"{match.namespaces[0]}/csrf_failure.html")
    context = {"back_url": same_site_referer(request)}
    return render(request, names, context, status=403)  # the first template that exists


def same_site_referer(request: HttpRequest) -> str:
    """The page the form was on, if it is one of ours; else ``""``."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    return ""
