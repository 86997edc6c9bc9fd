"""The account owner's side of an authorisation: what the studio will access and why, then the
platform, then back here. Thin views over :mod:`.services`.

An operator signed in to the panel cannot give an authorisation: the owner does, in their own
browser (the page and the callback refuse a staff session), and the callback must come back to
the browser that continued from the page (a cookie bound to the ``state``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from privet.audit.services import append_event
from privet.policy.selectors import declaration_in_force
from privet.telemetry.models import AUTHORISATION_REFUSED
from privet.telemetry.services import record_security_event

from . import selectors, services
from .connectors import Connector, OAuthFlow, connectors
from .models import AuthorisationLink, Client
from .selectors import clients_visible_to
from .services import AuthorisationRefused, InvalidLink

NONCE_COOKIE = "privet_authorise"


def _link(public_id: str) -> AuthorisationLink | None:
    """The link named in the URL, found through its own client (links are a client's data)."""
    client_id = (AuthorisationLink.all_clients.filter(public_id=public_id)
                 .values_list("client_id", flat=True).first())
    if client_id is None:
        return None
    client = Client.objects.get(pk=client_id)
    return AuthorisationLink.objects.for_client(client).get(public_id=public_id)


def _staff(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated)


def _refused(request: HttpRequest, reason: str, message: str, status: int = 400) -> HttpResponse:
    record_security_event(AUTHORISATION_REFUSED, request, reason=reason)
    return render(request, "integrations/refused.html", {"message": message}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def authorise(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET: what the studio will access, why, and what it never does (from the declaration),
    in the link's language. POST: continue to the platform."""
    link = _link(public_id)
    # An operator who may not see the link's client gets the answer of a link that does not
    # exist: a 404, never a 403 that would confirm it is another client's.
    if link is None or not link.usable() or (
            _staff(request) and not clients_visible_to(request.user).filter(pk=link.client_id).exists()):
        return _refused(request, "link_invalid", _("This authorisation link has expired, or was "
                        "used or cancelled. Ask the studio for a new one."), status=404)
    if _staff(request):
        return _refused(request, "staff_session", _(
            "You are signed in to the operator panel. An authorisation is given by the account "
            "owner, in their own browser: send them this link."), status=403)
    connector = connectors.get(link.connector)
    flow = connector.flows[link.flow]
    declaration = declaration_in_force()
    declared = declaration.connector(connector.id) if declaration else None
    if request.method == "POST":
        try:
            started = services.begin_authorisation(link=link)
        except InvalidLink as exc:
            return _refused(request, "link_invalid", str(exc), status=409)
        response = redirect(started.url)
        response.set_signed_cookie(
            NONCE_COOKIE, started.nonce, salt=NONCE_COOKIE, max_age=services.STATE_MAX_AGE,
            httponly=True, secure=settings.SESSION_COOKIE_SECURE, samesite="Lax",
            path=reverse("platforms:callback", args=[connector.id]))
        return response
    lang = translation.get_language() if translation.get_language() in ("en", "pl") else "en"
    purposes, reads = selectors.link_reads(link, connector)
    response = render(request, "integrations/authorise.html", {
        "link": link, "client": link.client, "connector": connector, "flow": flow,
        "declared": declared, "declaration": declaration,
        # The declaration's texts are in every language: the page's (the link's address
        # carries the link's language, services.link_url).
        "may_read": [item.label.get(lang) for item in declared.may_read
                     if item.id in reads] if declared else [],
        "purposes": purposes,
        "never": declared.never.get(lang) if declared else [],
    })
    # "Continue" posts here and is redirected to the platform: a browser applies the page's
    # form-action to that redirect too, so the platform's authorisation origin is allowed.
    response._csp_update = {"form-action": [_platform_origin(connector, flow)]}  # type: ignore[attr-defined]
    return response


def _platform_origin(connector: Connector, flow: OAuthFlow) -> str:
    """Where the platform's authorisation page for ``flow`` is (scheme and host)."""
    parts = urlsplit(connector.authorize_url(flow, app_id="", state="", redirect_uri="", scopes=()))
    return f"{parts.scheme}://{parts.netloc}"


def _language_of(state: str) -> str:
    """The language of the link a ``state`` names (the callback's address is the same in every
    language, so the owner reads its answer in the link's), or the site's default."""
    try:
        value = services.read_state(state)
    except AuthorisationRefused:
        return settings.LANGUAGE_CODE
    client = Client.objects.filter(pk=value["c"]).first()
    language = (AuthorisationLink.objects.for_client(client).filter(public_id=str(value["l"]))
                .values_list("language", flat=True).first()) if client else None
    return language or settings.LANGUAGE_CODE


@never_cache
@require_http_methods(["GET"])
def callback(request: HttpRequest, connector_id: str) -> HttpResponse:
    """The platform's redirect back with a code and our ``state``, answered in the link's
    language."""
    with translation.override(_language_of(request.GET.get("state", ""))):
        return _callback(request, connector_id)


def _callback(request: HttpRequest, connector_id: str) -> HttpResponse:
    if connector_id not in connectors:
        return _refused(request, "unknown_connector", _("Unknown platform."), status=404)
    if _staff(request):
        return _refused(request, "staff_session", _(
            "You are signed in to the operator panel: an operator cannot complete an "
            "authorisation for the account owner."), status=403)
    connector = connectors.get(connector_id)
    nonce = request.get_signed_cookie(NONCE_COOKIE, default="", salt=NONCE_COOKIE,
                                      max_age=services.STATE_MAX_AGE)
    try:
        grant = services.complete_authorisation(
            connector_id=connector.id, state=request.GET.get("state", ""),
            code=connector.code_from(request), browser_nonce=nonce)
    except AuthorisationRefused as exc:
        append_event(actor="anonymous", action="integrations.authorisation_refused",
                     object_type="connector", object_id=connector.id,
                     details={"connector": connector.id, "reason": exc.reason})
        response = _refused(request, exc.reason, str(exc))
        response.delete_cookie(NONCE_COOKIE, path=request.path)
        return response
    response = render(request, "integrations/connected.html",
                      {"grant": grant, "client": grant.client, "connector": connector,
                       "flow": connector.flows[grant.flow]})
    response.delete_cookie(NONCE_COOKIE, path=request.path)
    return response
