"""What a connector is: the platform it talks to, how an owner authorises it, and the only
things it may do and keep.

A connector is data first (this module's dataclasses) and behaviour second (its methods, which
a platform's module implements: :mod:`privet.integrations.tiktok.connector`). Everything the
framework enforces reads the data:

- ``hosts``: the only hosts the outbound client (:mod:`.http`) may call for it; each must be
  in the policy declaration's ``integrations.connectors[].hosts`` (``privet.E030``);
- ``endpoints``: the only calls it may make, each with the scope it needs and how it is
  authenticated (the outbound client refuses any other);
- ``flows``: the OAuth authorisations an account owner can give, with the scopes each may
  request and whether PKCE is used;
- ``contract``: per object type, the fields it keeps, each mapped to a declared category and
  purpose (``privet.E031``), and the declaration's ``may_read`` item it belongs to. Anything
  else the platform sends is dropped before it is stored (:func:`ObjectContract.keep`);
- ``workflows``: what the studio does for a client with it (moderation, messages, reporting):
  the authorisation and scopes each needs and the contract objects its syncs read. A client's
  chosen workflows decide the scopes its links request and what is synced; every contract
  object is read by a workflow and every declared ``may_read`` item by a contract object, or
  ``privet.E033`` fails (the policy page never promises what nothing reads, and nothing reads
  what it does not promise).

Connectors register in :data:`connectors` when their module is imported (the integrations
app's ``ready`` imports every ``privet.integrations.<platform>.connector``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from privet.errors import PrivetError

if TYPE_CHECKING:
    import httpx
    from django.http import HttpRequest

    from .models import AuthorisationLink, ConnectorApp, Grant

Auth = Literal["token", "app", "none"]


class UnknownConnector(PrivetError):
    code = "unknown_connector"


@dataclass(frozen=True)
class Endpoint:
    """One call a connector may make. ``scope`` is the grant scope it needs (``None``: any live
    grant); ``auth`` says how it is authenticated: ``token`` (a grant's access token), ``app``
    (the app's id and secret: token exchange, refresh, revocation) or ``none``."""

    name: str
    method: Literal["GET", "POST"]
    path: str
    scope: str | None = None
    auth: Auth = "token"
    lists: str = ""  # the key of the list in the answer's data, for counting records


@dataclass(frozen=True)
class OAuthFlow:
    """An authorisation an account owner can give (TikTok: an advertiser account, or a TikTok
    account). ``scopes`` are those the connector may ever request in it; a link requests a
    subset (the client's workflows decide which)."""

    id: str
    label: str
    scopes: tuple[str, ...]
    pkce: bool = False
    description: str = ""


@dataclass(frozen=True)
class Workflow:
    """A service the studio runs for a client through a connector: the authorisation it needs
    (``flow``), the scopes of that authorisation it needs (all of them: a workflow whose scope
    the owner did not grant is unavailable, never attempted) and the contract objects its
    syncs read."""

    id: str
    label: str
    flow: str
    scopes: tuple[str, ...]
    reads: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class FieldUse:
    """Why a contract keeps a field: the declared category it holds and the purpose it serves."""

    category: str
    purpose: str


@dataclass(frozen=True)
class ObjectContract:
    """The fields of one object type (a video, a comment) that the connector keeps."""

    name: str
    may_read: str  # the declaration's connectors[].may_read id this object belongs to
    fields: Mapping[str, FieldUse]

    def keep(self, item: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
        """``(kept, dropped)``: the item's contract fields, and how many other fields it had
        (counted, never kept: their values are not even looked at)."""
        kept = {k: v for k, v in item.items() if k in self.fields}
        return kept, len(item) - len(kept)


@dataclass(frozen=True)
class Answer:
    """A platform's successful answer: its data and what the call record keeps."""

    data: Any
    status: int
    platform_code: int = 0
    request_id: str = ""
    records: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)
    # The grant the call ended with: a refreshed one if the token expired on the way (the
    # caller goes on with it, so the next call does not find the old token expired again).
    grant: Any = None


@dataclass(frozen=True)
class TokenSet:
    """What a platform answered to a code exchange or a refresh, as the platform reported it
    (the scopes granted, which may be fewer than requested). Its tokens are left out of its
    ``repr``, so a traceback or a ``%r`` shows none."""

    access_token: str = field(repr=False)
    scopes: tuple[str, ...] = ()
    account_id: str = ""
    refresh_token: str = field(default="", repr=False)
    expires_in: int | None = None
    refresh_expires_in: int | None = None
    accounts: tuple[Mapping[str, str], ...] = ()  # e.g. advertiser accounts: ({"id":..., "name":...},)


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook, parsed: its id (for replay protection), kind, and the platform
    account it is about."""

    event_id: str
    kind: str
    account_id: str
    created: int
    content: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Connector:
    """Base of every connector. Subclasses fill the data and implement the methods."""

    id: str
    platform: str
    label: str
    hosts: tuple[str, ...]
    endpoints: Mapping[str, Endpoint]
    flows: Mapping[str, OAuthFlow]
    contract: Mapping[str, ObjectContract] = field(default_factory=dict)
    workflows: Mapping[str, Workflow] = field(default_factory=dict)

    # --- behaviour (implemented per platform) -------------------------------------------------
    def api_base(self) -> str:
        """The base URL of its API (a setting, so the tests can point it at a contract fake)."""
        raise NotImplementedError

    def authorize_url(self, flow: OAuthFlow, *, app_id: str, state: str, redirect_uri: str,
                      scopes: Iterable[str], code_challenge: str = "") -> str:
        """Where the owner's browser goes to authorise."""
        raise NotImplementedError

    def code_from(self, request: HttpRequest) -> str:
        """The authorisation code in the platform's redirect back ("" if none)."""
        raise NotImplementedError

    def exchange_code(self, flow: OAuthFlow, link: AuthorisationLink, *, code: str,
                      redirect_uri: str, code_verifier: str = "") -> TokenSet:
        raise NotImplementedError

    def refresh(self, grant: Grant) -> TokenSet:
        raise NotImplementedError

    def revoke(self, grant: Grant) -> None:
        raise NotImplementedError

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, *, secret: str,
                       now: float) -> WebhookEvent:
        raise NotImplementedError

    def credentials(self, endpoint: Endpoint, *, grant: Grant | None, app: ConnectorApp | None,
                    params: Mapping[str, Any] | None, json: Mapping[str, Any] | None,
                    ) -> tuple[dict[str, str], Mapping[str, Any] | None, Mapping[str, Any] | None]:
        """``(headers, params, json)`` of a call, with its credentials put where the platform
        wants them (TikTok: an ``Access-Token`` header; the app's id and secret in the body)."""
        raise NotImplementedError

    def parse(self, endpoint: Endpoint, response: httpx.Response) -> Answer:
        """The answer's data, or the :mod:`.http` error its envelope says (rate limited,
        transient, token expired or refused, scope refused, other)."""
        raise NotImplementedError

    def after_grant(self, grant: Grant) -> None:
        """Read what the new grant's contract keeps about the authorised account (its profile),
        through the outbound client. Optional."""

    def endpoint(self, name: str) -> Endpoint:
        return self.endpoints[name]

    def sync(self, grant: Grant, workflow: Workflow, *, full: bool, counts: dict[str, int]) -> None:
        """Bring in what ``workflow`` reads for ``grant`` (see :mod:`.sync`), adding to
        ``counts`` per object as it goes (so a sync cut short still says what it stored). The
        framework has checked that the grant holds the workflow's scopes."""
        raise NotImplementedError

    def scopes_for(self, flow_id: str, workflow_ids: Iterable[str]) -> tuple[str, ...]:
        """The scopes a link for ``flow_id`` requests for a client with these workflows."""
        wanted = {s for w in workflow_ids if w in self.workflows
                  and self.workflows[w].flow == flow_id for s in self.workflows[w].scopes}
        return tuple(s for s in self.flows[flow_id].scopes if s in wanted)


class ConnectorRegistry:
    def __init__(self) -> None:
        self._connectors: dict[str, Connector] = {}

    def register(self, connector: Connector) -> Connector:
        self._connectors[connector.id] = connector
        return connector

    def get(self, connector_id: str) -> Connector:
        try:
            return self._connectors[connector_id]
        except KeyError:
            raise UnknownConnector(f"No connector {connector_id!r}; installed: "
                                   f"{', '.join(sorted(self._connectors)) or 'none'}.") from None

    def __iter__(self):
        return iter(self._connectors.values())

    def __contains__(self, connector_id: object) -> bool:
        return connector_id in self._connectors


connectors = ConnectorRegistry()
