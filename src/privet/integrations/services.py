"""Every change to clients, links and grants, each with its ledger entry and audit event.

One function owns each state change and its side effects (Zulip's ``actions`` style):

- clients: :func:`create_client`, :func:`assign_operators`, :func:`end_contract`;
- the studio's app on a platform: :func:`configure_app`;
- authorising: :func:`create_link` (operator) → :func:`begin_authorisation` (the owner continues
  to the platform) → :func:`complete_authorisation` (the platform's redirect back);
- a grant's life: :func:`refresh_grant`, :func:`deauthorise` (the owner revoked it, seen by a
  webhook or a refused token), :func:`disconnect` (an operator: revoke at the platform, end
  the grant, optionally purge at once) and :func:`purge`.

A grant's end stops everything that uses it (the outbound client refuses a call without a live
grant) and starts the declared clock on its data: ``revoked_at`` is set on every integration
record of the grant, and the retention engine deletes them when the rule for
``integration_data`` after ``integration_revoked`` says (30 days in the default declaration).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import io
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from privet.audit.services import Actor, actor_label, append_event
from privet.core.csv_export import safe_cell
from privet.errors import PrivetError

from .connectors import Connector, OAuthFlow, TokenSet, connectors
from .errors import PlatformError, Refused
from .grants import _expiry, _ledger, deauthorise, integration_models
from .models import AuthorisationLink, Client, ConnectorApp, Grant, GrantEvent
from .selectors import record_fields, record_value

STATE_SALT = "privet.integrations.state"
STATE_MAX_AGE = 3600  # the owner has an hour on the platform's page (TikTok's codes live 1 h)
OWNER = "owner"


class IntegrationError(PrivetError):
    code = "integration_error"


class InvalidClient(IntegrationError):
    code = "invalid_client"


class InvalidLink(IntegrationError):
    code = "invalid_link"


class AuthorisationRefused(IntegrationError):
    """The platform's redirect back cannot complete a grant; ``reason`` is a short code."""

    code = "authorisation_refused"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# --- clients -------------------------------------------------------------------------------------

@transaction.atomic
def create_client(*, name: str, slug: str = "", language: str = "pl", workflows: Iterable[str] = (),
                  actor: Actor) -> Client:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidClient("Give the client's name (at most 200 characters).")
    slug = slugify(slug or name)[:64]
    if not slug:
        raise InvalidClient("Give a client id made of letters, digits and hyphens.")
    if language not in dict(settings.LANGUAGES):
        raise InvalidClient(f"Unknown language {language!r}.")
    if Client.objects.filter(slug=slug).exists():
        raise InvalidClient(f"A client with the id {slug!r} exists already.")
    unknown = sorted(set(workflows) - set(known_workflows()))
    if unknown:
        raise InvalidClient(f"Unknown workflow(s): {', '.join(unknown)}.")
    client = Client.objects.create(name=name, slug=slug, language=language,
                                   workflows=sorted(set(workflows)))
    append_event(actor=actor, action="integrations.client_created", obj=client,
                 details={"client": client.slug})
    return client


def known_workflows() -> dict[str, Any]:
    """Every workflow of every installed connector, by id."""
    return {w.id: w for c in connectors for w in c.workflows.values()}


@transaction.atomic
def set_workflows(*, client: Client, workflows: Iterable[str], actor: Actor) -> Client:
    """Choose what the studio does for ``client`` (its agreed workflows): links request only
    their scopes, and only they are synced. Audited with what was turned on and off."""
    chosen = sorted(set(workflows))
    unknown = sorted(set(chosen) - set(known_workflows()))
    if unknown:
        raise InvalidClient(f"Unknown workflow(s): {', '.join(unknown)}; there are "
                            f"{', '.join(sorted(known_workflows()))}.")
    before = set(client.workflows or [])
    client.workflows = chosen
    client.save(update_fields=["workflows"])
    if before != set(chosen):
        append_event(actor=actor, action="integrations.workflows_set", obj=client,
                     details={"client": client.slug, "added": sorted(set(chosen) - before),
                              "removed": sorted(before - set(chosen))})
    return client


@transaction.atomic
def assign_operators(*, client: Client, users: Iterable[Any], actor: Actor) -> Client:
    """Set who works on ``client`` (the administrator's call); audited with the usernames."""
    users = list(users)
    before = set(client.operators.values_list("username", flat=True))
    client.operators.set(users)
    after = {u.username for u in users}
    if before != after:
        append_event(actor=actor, action="integrations.operators_assigned", obj=client,
                     details={"client": client.slug, "added": sorted(after - before),
                              "removed": sorted(before - after)})
    return client


def end_contract(*, client: Client, at: datetime | None = None, actor: Actor) -> Client:
    """The client's contract ended (the administrator's call): every live grant is disconnected
    (revoked at the platform, its tokens wiped, its data's clock started), and the connection
    data (grants, their ledger) expires by the declared rule for ``configuration_data`` after
    ``contract_end``."""
    at = at or timezone.now()
    with transaction.atomic():
        client.contract_ended_at = at
        client.save(update_fields=["contract_ended_at"])
        Grant.objects.for_client(client).update(contract_ended_at=at)
        append_event(actor=actor, action="integrations.contract_ended", obj=client,
                     details={"client": client.slug, "ended": at.isoformat()})
    for grant in Grant.objects.for_client(client).filter(status=Grant.Status.ACTIVE):
        disconnect(grant=grant, actor=actor)  # the platform's call outside any transaction
    return client


@transaction.atomic
def configure_app(*, connector_id: str, app_id: str, secret: str, actor: Actor) -> ConnectorApp:
    """Store the studio's app id and secret for a platform (the secret in the vault)."""
    connector = connectors.get(connector_id)
    app_id, secret = (app_id or "").strip(), (secret or "").strip()
    if not app_id or not secret:
        raise IntegrationError("Give the app's id and its secret.")
    app, _ = ConnectorApp.objects.update_or_create(
        connector=connector.id, defaults={"app_id": app_id, "secret": secret,
                                          "configured_at": timezone.now(),
                                          "configured_by": actor_label(actor)})
    append_event(actor=actor, action="integrations.app_configured", obj=app,
                 details={"connector": connector.id})
    return app


# --- authorisation links ---------------------------------------------------------------------------

def flow_of(connector: Connector, flow_id: str) -> OAuthFlow:
    try:
        return connector.flows[flow_id]
    except KeyError:
        raise InvalidLink(f"{connector.id} has no authorisation {flow_id!r}; it has "
                          f"{', '.join(connector.flows)}.") from None


@transaction.atomic
def create_link(*, client: Client, connector_id: str, flow_id: str, scopes: Iterable[str] | None = None,
                language: str | None = None, actor: Actor) -> AuthorisationLink:
    """An authorisation link for the client's account owner (usable once, for
    ``PRIVET_INTEGRATIONS_LINK_DAYS``). ``scopes`` default to those the client's workflows
    need in this authorisation (every scope of the flow for a client without workflows);
    asking for one the connector may not request is refused."""
    connector = connectors.get(connector_id)
    flow = flow_of(connector, flow_id)
    if scopes is None:
        scopes = connector.scopes_for(flow.id, client.workflows or ()) if client.workflows \
            else flow.scopes
    scopes = list(scopes)
    unknown = sorted(set(scopes) - set(flow.scopes))
    if unknown:
        raise InvalidLink(f"{connector.id} may not request {', '.join(unknown)} in {flow.id}.")
    if not scopes and flow.scopes:
        raise InvalidLink("Choose at least one scope.")
    language = language or client.language
    if language not in dict(settings.LANGUAGES):
        raise InvalidLink(f"Unknown language {language!r}.")
    now = timezone.now()
    link = AuthorisationLink.objects.for_client(client).create(
        client=client, connector=connector.id, flow=flow.id, scopes=sorted(set(scopes)),
        language=language, created_by=actor if hasattr(actor, "pk") else None, created_at=now,
        expires_at=now + timedelta(days=settings.PRIVET_INTEGRATIONS_LINK_DAYS))
    append_event(actor=actor, action="integrations.link_created", obj=link,
                 details={"client": client.slug, "connector": connector.id, "flow": flow.id,
                          "scopes": link.scopes})
    return link


def link_url(link: AuthorisationLink) -> str:
    """The absolute address the operator sends to the owner, in the link's language (the
    owner's page speaks the language of its address)."""
    with translation.override(link.language):
        return settings.SITE_URL + reverse("integrations:authorise", args=[link.public_id])


def redirect_uri(connector: Connector) -> str:
    return settings.SITE_URL + reverse("platforms:callback", args=[connector.id])


@transaction.atomic
def cancel_link(*, link: AuthorisationLink, actor: Actor) -> AuthorisationLink:
    if link.used_at or link.cancelled_at:
        raise InvalidLink("This link is already used or cancelled.")
    link.cancelled_at = timezone.now()
    link.save(update_fields=["cancelled_at"])
    append_event(actor=actor, action="integrations.link_cancelled", obj=link,
                 details={"client": link.client.slug})
    return link


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Started:
    url: str  # the platform's authorisation page
    nonce: str  # also set as a cookie in the owner's browser: the callback must come back to it


@transaction.atomic
def begin_authorisation(*, link: AuthorisationLink) -> Started:
    """The owner read what will be accessed and continues: a fresh nonce (and PKCE verifier
    where the flow uses it) for this attempt, and the platform's URL with a signed ``state``
    bound to the client, the link and the nonce."""
    link = AuthorisationLink.objects.for_client(link.client).select_for_update().get(pk=link.pk)
    if not link.usable():
        raise InvalidLink(_("This authorisation link has expired, or was used or cancelled."))
    connector = connectors.get(link.connector)
    flow = flow_of(connector, link.flow)
    app = ConnectorApp.objects.filter(connector=connector.id).first()
    if app is None:
        raise InvalidLink(_("The studio has not configured its %(platform)s app yet.")
                          % {"platform": connector.label})
    link.nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64) if flow.pkce else ""
    link.code_verifier = verifier
    link.started_at = timezone.now()
    link.save(update_fields=["nonce", "code_verifier", "started_at"])
    state = signing.dumps({"l": link.public_id, "c": link.client_id, "n": link.nonce},
                          salt=STATE_SALT, compress=False)
    url = connector.authorize_url(flow, app_id=app.app_id, state=state,
                                  redirect_uri=redirect_uri(connector), scopes=link.scopes,
                                  code_challenge=_challenge(verifier) if verifier else "")
    return Started(url, link.nonce)


def read_state(state: str) -> dict[str, Any]:
    try:
        value = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.SignatureExpired:
        raise AuthorisationRefused("state_expired", _("The authorisation took too long; open "
                                   "the link again.")) from None
    except signing.BadSignature:
        raise AuthorisationRefused("state_forged", _("This answer was not started from one of "
                                   "our authorisation links.")) from None
    if not isinstance(value, dict) or not {"l", "c", "n"} <= set(value):
        raise AuthorisationRefused("state_forged", _("This answer was not started from one of "
                                   "our authorisation links."))
    return value


def complete_authorisation(*, connector_id: str, state: str, code: str, browser_nonce: str) -> Grant:
    """The platform sent the owner back with a code: check everything the ``state`` binds
    (signature, age, the link unused and unexpired, this browser), exchange the code, and
    record the grant with the scopes the platform reports. The link is used up whatever the
    exchange's outcome, so a code or a state cannot be tried twice."""
    connector = connectors.get(connector_id)
    value = read_state(state)
    client = Client.objects.filter(pk=value["c"]).first()
    if client is None:
        raise AuthorisationRefused("state_forged", _("This authorisation link does not exist."))
    with transaction.atomic():
        link = (AuthorisationLink.objects.for_client(client).select_for_update()
                .filter(public_id=value["l"]).first())
        if link is None or link.connector != connector.id:
            raise AuthorisationRefused("state_forged", _("This authorisation link does not exist."))
        if not link.usable():
            raise AuthorisationRefused("link_used", _("This authorisation link has expired, or "
                                       "was used or cancelled; ask for a new one."))
        if not link.nonce or not secrets.compare_digest(link.nonce, str(value["n"])) or \
                not secrets.compare_digest(link.nonce, browser_nonce or ""):
            raise AuthorisationRefused("other_browser", _("Finish the authorisation in the "
                                       "browser that opened the link."))
        if not code:
            raise AuthorisationRefused("no_code", _("The platform sent no authorisation code "
                                       "(the owner may have cancelled)."))
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    flow = flow_of(connector, link.flow)
    try:
        tokens = connector.exchange_code(
            flow, link, code=code, redirect_uri=redirect_uri(connector),
            code_verifier=link.code_verifier.reveal() if link.code_verifier else "")
    except (PlatformError, Refused) as exc:  # the link stays used: a code is tried once
        raise AuthorisationRefused("exchange_failed", _(
            "%(platform)s did not confirm the authorisation. Ask the studio for a new link.")
            % {"platform": connector.platform}) from exc
    if not tokens.access_token:
        raise AuthorisationRefused("exchange_failed", _(
            "%(platform)s did not confirm the authorisation. Ask the studio for a new link.")
            % {"platform": connector.platform})
    grant = record_grant(link=link, tokens=tokens)
    with contextlib.suppress(PrivetError):  # the profile is read again later; the grant stands
        connector.after_grant(grant)
    return grant


@transaction.atomic
def record_grant(*, link: AuthorisationLink, tokens: TokenSet) -> Grant:
    """Store a grant the owner gave through ``link`` (or renew the one they gave before for the
    same account: its scopes may change), its ledger entry and audit event."""
    client = link.client
    existing = (Grant.objects.for_client(client).select_for_update()
                .filter(connector=link.connector, flow=link.flow, account_id=tokens.account_id,
                        status=Grant.Status.ACTIVE).first())
    scopes = sorted(set(tokens.scopes))
    fields = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
              "access_expires_at": _expiry(tokens.expires_in),
              "refresh_expires_at": _expiry(tokens.refresh_expires_in),
              "accounts": [dict(a) for a in tokens.accounts], "scopes": scopes,
              "contract_ended_at": client.contract_ended_at}
    if existing:
        before = list(existing.scopes)
        for key, value in fields.items():
            setattr(existing, key, value)
        existing.granted_at = timezone.now()
        existing.save()
        grant = existing
        kind = GrantEvent.Kind.SCOPES_CHANGED if before != scopes else GrantEvent.Kind.GRANTED
    else:
        grant = Grant.objects.for_client(client).create(
            client=client, connector=link.connector, flow=link.flow, account_id=tokens.account_id,
            **fields)
        kind = GrantEvent.Kind.GRANTED
    link.grant = grant
    link.save(update_fields=["grant"])
    _ledger(grant, kind, actor=OWNER, details={"link": link.public_id[:8],
                                               "requested": link.scopes})
    append_event(actor=OWNER, action="integrations.granted", obj=grant,
                 details={"client": client.slug, "connector": grant.connector, "flow": grant.flow,
                          "scopes": scopes, "requested": link.scopes})
    return grant


# --- a grant's life ---------------------------------------------------------------------------------

def disconnect(*, grant: Grant, actor: Actor, purge_now: bool = False) -> Grant:
    """"Disconnect and purge": revoke the token at the platform (a failure there is recorded,
    and the grant ends anyway), end the grant, and purge its data now or by the declared rule."""
    connector = connectors.get(grant.connector)
    revoked_at_platform = False
    if grant.live:
        try:
            connector.revoke(grant)
            revoked_at_platform = True
        except (PlatformError, Refused, NotImplementedError):
            # Refused (no app configured, a host not allowed), the platform's error, the network,
            # or a connector that cannot revoke: the grant ends here all the same, and the
            # ledger says the platform was not told.
            revoked_at_platform = False
    grant = deauthorise(grant, by_owner=False, actor=actor,
                        reason="revoked_at_platform" if revoked_at_platform else "platform_unreachable")
    if purge_now:
        purge(client=grant.client, grant=grant, actor=actor)
    return grant


@transaction.atomic
def purge(*, client: Client, grant: Grant | None = None, actor: Actor,
          reason: str = "operator") -> dict[str, int]:
    """Delete the client's integration data (of one grant, or all of it) now; returns the
    count per model. Audited, and recorded in the ledger of each grant concerned."""
    counts: dict[str, int] = {}
    for model in integration_models():
        qs = model.objects.for_client(client)
        if grant is not None:
            qs = qs.filter(grant=grant)
        deleted = qs.delete()[1].get(model._meta.label, 0)
        if deleted:
            counts[model._meta.label] = deleted
    grants = [grant] if grant is not None else list(Grant.objects.for_client(client))
    for g in grants:
        _ledger(g, GrantEvent.Kind.PURGED, actor=actor, details={"records": counts,
                                                                 "reason": reason})
    append_event(actor=actor, action="integrations.purged", obj=client,
                 details={"client": client.slug, "records": sum(counts.values()),
                          "reason": reason})
    return counts


def store_account(grant: Grant, *, kind: str, contract_name: str, item: dict[str, Any],
                  external_id: str) -> tuple[Any, int]:
    """Keep the authorised account's profile as the connector's contract says: fields outside
    it are dropped (counted, not kept). Returns ``(account, dropped)``."""
    from .models import PlatformAccount

    connector = connectors.get(grant.connector)
    kept, dropped = connector.contract[contract_name].keep(item)
    username = str(kept.pop("username", "") or "")[:200]
    display = str(kept.pop("display_name", "") or kept.pop("advertiser_name", "") or "")[:200]
    kept.pop("advertiser_id", None)
    account, _ = PlatformAccount.objects.for_client(grant.client).update_or_create(
        client=grant.client, grant=grant, kind=kind, external_id=str(external_id)[:128],
        defaults={"username": username, "display_name": display, "details": kept,
                  "synced_at": timezone.now(), "revoked_at": None})
    return account, dropped




# --- the client's own export -------------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "json")
def export_integration_data(*, client: Client, fmt: str, actor: Actor) -> str:
    """The integration data the studio holds for ``client`` (every model of
    :func:`integration_models`, through its client-scoped manager), as CSV (one section per
    model: a header row naming the model, then its columns and rows) or JSON
    (``{"client": slug, "models": {label: [row, ...]}}``). Only for those who may see the
    client (its operators, the privacy officer, the administrator: the caller has passed
    :func:`selectors.client_for`); audited with the counts. Cells are safe in a spreadsheet."""
    if fmt not in EXPORT_FORMATS:
        raise IntegrationError(f"Unknown export format {fmt!r}.")
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {}
    for model in sorted(integration_models(), key=lambda m: m._meta.label):
        fields = record_fields(model)
        rows = [[record_value(r, f) for f in fields]
                for r in model.objects.for_client(client).order_by("pk")]
        if rows:  # a workflow the client does not have leaves no empty table behind
            tables[model._meta.label] = ([f.attname for f in fields], rows)
    if fmt == "json":
        content = json.dumps({"client": client.slug, "exported_at": timezone.now().isoformat(),
                              "models": {label: [dict(zip(columns, row, strict=True)) for row in rows]
                                         for label, (columns, rows) in tables.items()}},
                             ensure_ascii=False, indent=2, default=str)
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        for label, (columns, rows) in tables.items():
            writer.writerow([label])
            writer.writerow(columns)
            for row in rows:
                # A platform username or caption is someone else's text: never a formula.
                writer.writerow([safe_cell(json.dumps(v, ensure_ascii=False)
                                           if isinstance(v, dict | list) else v) for v in row])
            writer.writerow([])
        content = out.getvalue()
    with transaction.atomic():
        append_event(actor=actor, action="integrations.exported", obj=client,
                     details={"client": client.slug, "format": fmt,
                              "records": sum(len(rows) for _, rows in tables.values())})
    return content
