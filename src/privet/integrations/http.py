"""The one way Privet calls a platform: the scope-enforced outbound client.

:func:`call` refuses, before anything leaves the machine,

- a connector the policy in force does not declare, and a host that is not both the
  connector's and the declaration's (``integrations.connectors[].hosts``; contract fakes on
  127.0.0.1 stand in for them only with ``PRIVET_INTEGRATIONS_LOOPBACK``);
- an endpoint the connector did not declare;
- a call for a client without a live grant of its own, and a scope the grant does not hold;

and records each refusal as an :class:`~.models.OutboundCall`, a security event in the
technical log and an audit event. A call that goes out is retried on the platform's rate-limit
and transient errors with exponential backoff and jitter (stamina), refreshes an expired
access token once (:func:`privet.integrations.grants.refresh_grant`) and goes on with the
same request, and is recorded (endpoint, status, platform code, record count, duration) without
its parameters or body. A token refused as invalid means the owner revoked it on the platform:
the grant is ended (:func:`~privet.integrations.grants.deauthorise`).

:func:`call` does it all in the calling thread. :func:`start` checks a call there and sends
its first attempt from another thread, which only speaks HTTP and parses (never the database);
:func:`finish` then goes on as :func:`call` does (retries, refresh, record) in the caller's
thread: a sync asks for its next page while it stores the last one.

The connector shapes requests and reads answers (:meth:`Connector.credentials`,
:meth:`Connector.parse`); this module owns every rule that does not depend on the platform.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import stamina
from django.conf import settings
from django.db import transaction

from .connectors import Answer, Connector, Endpoint
from .errors import PlatformError, RateLimited, Refused, TokenExpired, TokenRefused, Transient
from .models import Client, ConnectorApp, Grant, OutboundCall

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def _declared_hosts(connector: Connector) -> set[str]:
    from privet.policy.selectors import declaration_in_force

    declaration = declaration_in_force()
    if declaration is None:
        return set()
    declared = declaration.connector(connector.id)
    return {h.lower() for h in declared.hosts} if declared else set()


def host_allowed(connector: Connector, url: str) -> bool:
    """Whether ``url``'s host is one the connector may call: declared by the connector and by
    the policy in force (or loopback, for contract fakes, when the setting allows it)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if settings.PRIVET_INTEGRATIONS_LOOPBACK and host in LOOPBACK:
        return parts.scheme in ("http", "https")
    return (parts.scheme == "https" and host in {h.lower() for h in connector.hosts}
            and host in _declared_hosts(connector))


def _transport() -> httpx.BaseTransport | None:
    """The transport every call uses: the default, or a test's (set with :func:`use_transport`)."""
    return _TRANSPORT


_TRANSPORT: httpx.BaseTransport | None = None


_LOCAL = threading.local()


def _http() -> httpx.Client:
    """This thread's HTTP client: its connections are kept alive between the calls of a sync
    (a page after a page), which halves a call's time against a local platform."""
    http = getattr(_LOCAL, "http", None)
    if http is None or _LOCAL.transport is not _TRANSPORT:
        if http is not None:
            http.close()
        http = httpx.Client(timeout=TIMEOUT, transport=_TRANSPORT, follow_redirects=False)
        _LOCAL.http, _LOCAL.transport = http, _TRANSPORT
    return http


def use_transport(transport: httpx.BaseTransport | None) -> None:
    """For benches and tests that serve the platform in-process; ``None`` restores the network."""
    global _TRANSPORT
    _TRANSPORT = transport


def refuse(client: Client, connector: Connector, endpoint: str, reason: str, message: str, *,
           grant: Grant | None = None, actor: Any = "system:integrations") -> Refused:
    """Record a refused call (call row, security event, audit event) and return the error to
    raise. Call it outside any transaction of the caller's (the record must outlive a rollback);
    inside one it is a savepoint and goes with it."""
    from privet.audit.services import append_event
    from privet.telemetry.models import CALL_REFUSED
    from privet.telemetry.services import record_security_event

    with transaction.atomic():
        OutboundCall.objects.for_client(client).create(
            client=client, grant=grant, connector=connector.id, endpoint=endpoint[:100],
            refused=reason[:32], attempts=0)
        append_event(actor=actor, action="integrations.call_refused", obj=client,
                     details={"connector": connector.id, "endpoint": endpoint[:100],
                              "reason": reason})
    record_security_event(CALL_REFUSED, None, reason=reason, connector=connector.id)
    return Refused(reason, message)


LIVE_SEEN_SECONDS = 1.0


def seen_live(grant: Grant) -> None:
    """Note that the database showed ``grant`` live just now (its row locked and active)."""
    grant._live_seen = time.monotonic()  # type: ignore[attr-defined]


def live_seen_recently(grant: Grant) -> bool:
    return time.monotonic() - getattr(grant, "_live_seen", -LIVE_SEEN_SECONDS * 2) < LIVE_SEEN_SECONDS


def _check(client: Client, connector: Connector, name: str, grant: Grant | None,
           actor: Any) -> tuple[Endpoint, str, ConnectorApp | None]:
    endpoint = connector.endpoints.get(name)
    if endpoint is None:
        raise refuse(client, connector, name, "undeclared_endpoint",
                     f"{connector.id} declares no endpoint {name!r}.", grant=grant, actor=actor)
    url = urljoin(connector.api_base(), endpoint.path)
    if not host_allowed(connector, url):
        raise refuse(client, connector, name, "host_not_allowed",
                     f"{urlsplit(url).hostname} is not a declared host of {connector.id}.",
                     grant=grant, actor=actor)
    # The studio's app is read only for a call made as the app; a token call's credential is
    # the grant's (one query less on each page of a sync).
    app = ConnectorApp.objects.filter(connector=connector.id).first() if endpoint.auth == "app" \
        else None
    if endpoint.auth == "app" and app is None:
        raise refuse(client, connector, name, "no_app",
                     f"{connector.id} has no app configured (privet integrations configure).",
                     grant=grant, actor=actor)
    # A grant's token may travel in a header (``auth="token"``) or in the body of an app call
    # (revocation, the advertiser list): either way it must be this client's own, live grant.
    if endpoint.auth == "token" or grant is not None:
        if grant is None or grant.client_id != client.pk or grant.connector != connector.id:
            raise refuse(client, connector, name, "no_grant",
                         f"{client.slug} has no grant for this call.", actor=actor)
        # The grant as the database has it now: a sync holds its grant for minutes, and an
        # owner's revocation or an operator's disconnect meanwhile must stop its next call.
        # A sync's page store locks the grant and finds it live (sync.upsert): within
        # LIVE_SEEN_SECONDS of that, the next page's call does not ask again.
        if grant.live and not live_seen_recently(grant) and not Grant.objects.for_client(
                client).filter(pk=grant.pk, status=Grant.Status.ACTIVE).exists():
            grant.status = Grant.Status.REVOKED
        if not grant.live:
            raise refuse(client, connector, name, "grant_not_live",
                         f"{grant} is {grant.status}.", grant=grant, actor=actor)
    if endpoint.auth == "token" and endpoint.scope and endpoint.scope not in (grant.scopes or []):
        raise refuse(client, connector, name, "scope_not_granted",
                     f"{grant} does not hold the scope {endpoint.scope}.", grant=grant, actor=actor)
    return endpoint, url, app


@dataclass
class Pending:
    """A call checked and on its way (:func:`start`); :func:`finish` (or :func:`abandon`)
    takes its answer and records it."""

    client: Client
    connector: Connector
    name: str
    endpoint: Endpoint
    url: str
    app: ConnectorApp | None
    grant: Grant | None
    params: Mapping[str, Any] | None
    json: Mapping[str, Any] | None
    started: float
    # The first attempt, sent by a thread of :func:`_pool` (``None``: sent by :func:`finish`).
    first: Future[Answer] | None = None


_POOL: tuple[int, ThreadPoolExecutor] | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """The threads that send a call started ahead (:func:`start`). They run :func:`_send`
    only (HTTP and the connector's parsing, each with its own HTTP client) and never touch the
    database: Django's connections, and a test's transaction, belong to the calling thread.
    One pool a process: a forked child makes its own (its parent's threads did not follow)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():
            _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=4,
                                                     thread_name_prefix="privet-outbound"))
        return _POOL[1]


def start(client: Client, connector: Connector, name: str, *, grant: Grant | None = None,
          params: Mapping[str, Any] | None = None, json: Mapping[str, Any] | None = None,
          actor: Any = "system:integrations", ahead: bool = True) -> Pending:
    """Check the call ``name`` (every refusal of the module's docstring, recorded, raised
    here, in the calling thread, before anything leaves the machine) and, with ``ahead``, send
    its first attempt from another thread while the caller goes on (a sync stores a page while
    the next one is on its way). The caller must :func:`finish` or :func:`abandon` it: a
    request that left is recorded."""
    endpoint, url, app = _check(client, connector, name, grant, actor)
    pending = Pending(client=client, connector=connector, name=name, endpoint=endpoint, url=url,
                      app=app, grant=grant, params=params, json=json, started=time.monotonic())
    if ahead:
        pending.first = _pool().submit(_send, connector, endpoint, url, grant, app, params, json)
    return pending


def finish(pending: Pending, *, calls: list[OutboundCall] | None = None) -> Answer:
    """The answer of a :func:`start`-ed call, as :func:`call` gives it: the first attempt's
    outcome, then (in this thread) the retries, the token's refresh and the same request again,
    the grant ended on a refused token, and the record (duration since the start, attempts).

    ``calls`` (a sync's page): the record of a call that succeeded is appended to it unsaved,
    for the caller to store in the transaction that stores what the call brought in (one
    commit for both, and the caller must store it even when that transaction fails); a call
    that failed is recorded at once, as without it."""
    connector, endpoint, url, app = pending.connector, pending.endpoint, pending.url, pending.app
    grant = pending.grant
    first, pending.first = pending.first, None
    attempts = 0
    refreshed = False
    answer: Answer | None = None
    error: PlatformError | None = None
    try:
        while True:
            try:
                for attempt in stamina.retry_context(
                        on=(RateLimited, Transient),
                        attempts=settings.PRIVET_INTEGRATIONS_RETRY_ATTEMPTS,
                        wait_initial=settings.PRIVET_INTEGRATIONS_RETRY_WAIT,
                        wait_max=30.0, wait_jitter=settings.PRIVET_INTEGRATIONS_RETRY_WAIT):
                    with attempt:
                        attempts += 1
                        if first is not None:
                            sent, first = first, None
                            answer = sent.result()  # the attempt's answer, or what it raised
                        else:
                            answer = _send(connector, endpoint, url, grant, app, pending.params,
                                           pending.json)
                break
            except TokenExpired:
                # Only a token sent as the call's credential is refreshed and the call made
                # again; an app call carrying a token in its body (revocation) would resend
                # the stale one.
                if refreshed or grant is None or not grant.refresh_token or endpoint.auth != "token":
                    raise
                from .grants import refresh_grant

                grant = refresh_grant(grant)  # raises RefreshExpired when the owner must re-authorise
                refreshed = True
        return replace(answer, grant=grant)  # type: ignore[arg-type]
    except TokenRefused as exc:
        error = exc
        _token_refused(grant, endpoint)
        raise
    except PlatformError as exc:
        error = exc
        raise
    finally:
        record = _record(pending, grant, answer, error, attempts)
        if calls is not None and answer is not None and error is None:
            calls.append(record)
        else:
            OutboundCall.objects.for_client(pending.client).bulk_create([record])


def abandon(pending: Pending) -> None:
    """Give up a :func:`start`-ed call whose answer is no longer wanted (the sync could not
    store the page before it). Its request left: it is recorded as it ended, after its first
    attempt, neither retried nor its token refreshed (nothing would use the answer); a token
    refused still ends the grant. Raises nothing of the call's own."""
    first, pending.first = pending.first, None
    if first is None:
        return  # nothing was sent
    answer: Answer | None = None
    error: Exception | None = None
    try:
        answer = first.result()
    except Exception as exc:  # the caller is raising its own error: recorded, not raised
        error = exc
        if isinstance(exc, TokenRefused):
            _token_refused(pending.grant, pending.endpoint)
    finally:
        OutboundCall.objects.for_client(pending.client).bulk_create(
            [_record(pending, pending.grant, answer, error, 1)])


def call(client: Client, connector: Connector, name: str, *, grant: Grant | None = None,
         params: Mapping[str, Any] | None = None, json: Mapping[str, Any] | None = None,
         actor: Any = "system:integrations", calls: list[OutboundCall] | None = None) -> Answer:
    """Make the connector's call ``name`` for ``client`` (see the module's docstring), in
    this thread: :func:`finish` of :func:`start` without sending ahead (``calls``: see
    :func:`finish`)."""
    return finish(start(client, connector, name, grant=grant, params=params, json=json,
                        actor=actor, ahead=False), calls=calls)


def _token_refused(grant: Grant | None, endpoint: Endpoint) -> None:
    """A token refused as invalid: the owner revoked it on the platform, the grant ends."""
    if grant is not None and endpoint.auth == "token":
        from .grants import deauthorise

        deauthorise(grant, by_owner=True, actor="system:integrations", reason="token_refused")


def _record(pending: Pending, grant: Grant | None, answer: Answer | None,
            error: BaseException | None, attempts: int) -> OutboundCall:
    """A call's record (unsaved): endpoint, outcome, duration since :func:`start`; never its
    parameters or body."""
    return OutboundCall(
        client=pending.client, grant=grant, connector=pending.connector.id,
        endpoint=pending.name,
        status=(answer.status if answer else getattr(error, "status", None)),
        platform_code=(answer.platform_code if answer else getattr(error, "platform_code", None)),
        records=answer.records if answer else 0,
        duration_ms=int((time.monotonic() - pending.started) * 1000), attempts=attempts,
        error=type(error).__name__ if error else "")


def _send(connector: Connector, endpoint: Endpoint, url: str, grant: Grant | None,
          app: ConnectorApp | None, params: Mapping[str, Any] | None,
          json: Mapping[str, Any] | None) -> Answer:
    headers, params, json = connector.credentials(endpoint, grant=grant, app=app, params=params,
                                                  json=json)
    try:
        response = _http().request(endpoint.method, url, headers=headers, params=params, json=json)
    except httpx.TransportError as exc:  # unreachable, reset, timed out: retried, then
        raise Transient(None, None) from exc  # a PlatformError like any other failure
    if response.status_code == 429:
        raise RateLimited(None, 429)
    if response.status_code >= 500:
        raise Transient(None, response.status_code)
    return connector.parse(endpoint, response)
