"""Clients are isolated from each other: an operator of one client cannot reach, or learn
anything of, another client's integration data (issue 12, "Clients and isolation").

The property suite does not list the pages it tries. At test time it walks Django's URL
resolver and probes every route of the namespaces ``integrations`` and ``platforms``, every
panel route whose path or name speaks of clients, grants or integrations, and every ``/api/``
operation whose path mentions integrations (:func:`probed_routes`), so a page added later is
tried as soon as it is merged. Each route's parameters are filled from :data:`PARAMETERS` with
the ids of the other client's objects (its slug, its grants' pks, its links' public ids...); a
parameter the table does not know fails the suite with a request to map it, so no new page
slips through unprobed.

Hypothesis generates the two clients (names, slugs, accounts, usernames and display names in
any script, tokens) and the operator's history of assignment; the operator signs in with their
password and TOTP code through the panel's own pages and then, for every probed route:

- with the other client's ids (alone, or mixed with their own: their own client's slug and the
  other's grant), GET and POST (with a CSRF token from their dashboard) answer 404 (405 for a
  method the route does not take), exactly as for ids that do not exist: never 403, never 200
  or a redirect;
- with their own ids, GET is not a 404 (the ids reach real objects: the probe is not vacuous);
- no answer, to any of these requests or to any parameterless panel page, holds a byte of the
  other client's data, in any encoding a page or an API could use (:func:`leaks`). What an
  answer echoes of its own request (the address in the language switcher) is not a leak.
"""

from __future__ import annotations

import ast
import html
import itertools
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotFound
from django.test import Client as Browser
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, translate_url
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from privet.integrations import services
from privet.integrations.connectors import TokenSet, connectors
from privet.integrations.models import (
    AuthorisationLink,
    Client,
    Comment,
    Conversation,
    Grant,
    GrantEvent,
    OutboundCall,
    PlatformAccount,
    Video,
)
from privet.integrations.scoping import ClientOwned, UnscopedQuery
from privet.panel.roles import OPERATOR
from privet.panel.services import assign_role
from privet.panel.tests.conftest import PASSWORD, sign_in

CONNECTOR = "tiktok_business"
ADMIN = "admin"  # the audit actor of the set-up (the administrator's calls)
PROBED_NAMESPACES = ("integrations", "platforms")
PANEL_WORDS = ("client", "grant", "integration")
# Panel pages a GET is not sent to: signing in and out, second factors (a GET may make new
# recovery codes); none shows a client.
NOT_PROBED_PANEL = ("login", "logout", "verify", "enrol", "recovery")


# --- the routes probed ------------------------------------------------------------------------------

_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """A URL pattern as the resolver holds it, with the namespaces it sits in."""

    namespaces: tuple[str, ...]
    name: str | None
    template: str  # e.g. "/panel/clients/<slug:slug>/grants/<int:pk>/"
    converters: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return f"{':'.join(self.namespaces)}:{self.name or '(unnamed)'} {self.template}"

    @property
    def params(self) -> list[str]:
        return [m.group("name") for m in _PARAM.finditer(self.template)]

    def fill(self, values: Mapping[str, Any]) -> str:
        def one(match: re.Match) -> str:
            name = match.group("name")
            converter = self.converters.get(name)
            value = values[name]
            return converter.to_url(value) if converter is not None else str(value)

        return _PARAM.sub(one, self.template)


def _piece(pattern) -> tuple[str, dict[str, Any]]:
    if isinstance(pattern, LocalePrefixPattern):
        return pattern.language_prefix, {}
    if isinstance(pattern, RoutePattern):
        return str(pattern), dict(pattern.converters)
    if isinstance(pattern, RegexPattern):
        regex = str(pattern).lstrip("^").rstrip("$").replace("\\Z", "")
        if pattern.regex.groups or re.search(r"[\\()\[\]{}*+?|^$]", regex):
            # Marked for the caller: a regex route cannot be filled generically.
            return f"<regex:{regex}>", {}
        return regex, {}
    return str(pattern), {}


def all_routes(patterns=None, prefix: str = "/", namespaces: tuple[str, ...] = (),
               converters: Mapping[str, Any] | None = None) -> Iterator[Route]:
    """Every URL pattern of the URLconf in force, in the active language."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        piece, found = _piece(entry.pattern)
        known = {**(converters or {}), **found}
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from all_routes(entry.url_patterns, prefix + piece, inner, known)
        elif isinstance(entry, URLPattern):
            yield Route(namespaces, entry.name, prefix + piece, known)


def is_probed(route: Route) -> bool:
    """The routes that may touch a client's integration data (the module's docstring)."""
    where = route.template.lower()
    name = (route.name or "").lower()
    if any(ns in route.namespaces for ns in PROBED_NAMESPACES):
        return True
    if "panel" in route.namespaces:
        return any(word in where or word in name for word in PANEL_WORDS)
    if "api" in route.namespaces:
        return "integrations" in where
    return False


def probed_routes() -> list[Route]:
    with translation.override("en"):
        return sorted({r for r in all_routes() if is_probed(r)}, key=lambda r: r.template)


def plain_panel_pages() -> list[Route]:
    """Every panel page without parameters (the dashboard, lists): read, and checked for leaks."""
    with translation.override("en"):
        return sorted({r for r in all_routes() if "panel" in r.namespaces and not r.params
                       and "<regex:" not in r.template
                       and not any(word in (r.name or "") for word in NOT_PROBED_PANEL)},
                      key=lambda r: r.template)


# --- the two clients --------------------------------------------------------------------------------

@dataclass
class Side:
    """One client and everything the suite made for it."""

    client: Client
    grants: list[Grant]
    links: list[AuthorisationLink]  # an unused one first: the link the operator would send
    accounts: list[PlatformAccount]
    tokens: list[str]
    calls: list[OutboundCall] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    def needles(self) -> set[str]:
        """Every value of this client that another client's operator must never see."""
        values = {self.client.name, self.client.slug, *self.tokens}
        for grant in self.grants:
            values.add(grant.account_id)
            for account in grant.accounts:
                values.update(str(v) for v in account.values())
        values.update(link.public_id for link in self.links)
        for account in self.accounts:
            values.update({account.external_id, account.username, account.display_name})
        for conversation in self.conversations:
            values.update({conversation.external_id, conversation.username})
        return {v for v in values if v}


@dataclass(frozen=True)
class Parameter:
    """How to fill a route parameter from a client's objects; ``ghost`` is a value naming
    nothing (a route must answer the other client's ids exactly as it answers these)."""

    value: Callable[[Side], Any]
    ghost: Any
    of_client: bool = True  # False: the same for every client (a connector's id)


_slug = Parameter(lambda s: s.client.slug, "no-such-client-k3x9")
_grant = Parameter(lambda s: s.grants[0].pk, 2_000_000_000)
_link = Parameter(lambda s: s.links[0].public_id, "N0-such-link-" + "q" * 30)
_account = Parameter(lambda s: s.grants[0].account_id, "999999999999999999")
_connector = Parameter(lambda s: s.grants[0].connector, None, of_client=False)
_flow = Parameter(lambda s: s.grants[0].flow, None, of_client=False)
_comment = Parameter(lambda s: s.comments[0].pk, 2_000_000_000)

# Route parameter names and what fills them. A new page with a parameter not listed here fails
# the suite: add its name, with the other client's object it names.
PARAMETERS: dict[str, Parameter] = {
    "slug": _slug, "client": _slug, "client_slug": _slug,
    "pk": _grant, "id": _grant, "grant": _grant, "grant_pk": _grant, "grant_id": _grant,
    "public_id": _link, "link": _link, "link_id": _link,
    "account_id": _account,
    "connector_id": _connector, "connector": _connector, "flow": _flow,
    "conversation": Parameter(lambda s: s.conversations[0].pk, 2_000_000_000),
    "comment": _comment,
}
# A bare ``pk`` or ``id`` names the object of the path segment before it
# (``/grants/<int:pk>/``, ``/links/<int:pk>/cancel/``); a grant when that says nothing.
PK_OF: dict[str, Parameter] = {
    "grants": _grant,
    "links": Parameter(lambda s: s.links[0].pk, 2_000_000_000),
    "accounts": Parameter(lambda s: s.accounts[0].pk, 2_000_000_000),
    "calls": Parameter(lambda s: s.calls[0].pk, 2_000_000_000),
    "ledger": Parameter(lambda s: GrantEvent.objects.for_client(s.client).first().pk, 2_000_000_000),
}
PK_OF["events"] = PK_OF["ledger"]


def parameter(route: Route, name: str) -> Parameter:
    """How to fill parameter ``name`` of ``route`` (it must be in :data:`PARAMETERS`)."""
    if name in ("pk", "id"):
        before = re.search(r"([^/<>]+)/<(?:[^>:]+:)?" + name + ">", route.template)
        if before and before.group(1) in PK_OF:
            return PK_OF[before.group(1)]
    return PARAMETERS[name]


@dataclass
class World:
    mine: Side
    other: Side
    operator: Any


ACCOUNT_FLOW = connectors.get(CONNECTOR).flows["account"]


def make_side(spec: dict[str, Any]) -> Side:
    """A client with its grants (through authorisation links), their stored profiles and an open
    link, made through the services as the administrator and the owner would."""
    client = services.create_client(name=spec["name"], slug=spec["slug"],
                                    language=spec["language"], actor=ADMIN)
    grants, links, accounts, tokens = [], [], [], []
    for account in spec["accounts"]:
        flow = account["flow"]
        link = services.create_link(client=client, connector_id=CONNECTOR, flow_id=flow, actor=ADMIN)
        advertisers = tuple({"id": a, "name": n} for a, n in account["advertisers"]) \
            if flow == "advertiser" else ()
        grant = services.record_grant(link=link, tokens=TokenSet(
            access_token=account["access_token"], refresh_token=account["refresh_token"],
            scopes=ACCOUNT_FLOW.scopes if flow == "account" else (),
            account_id=account["account_id"], expires_in=86400, refresh_expires_in=86400 * 365,
            accounts=advertisers))
        if flow == "account":
            stored, _ = services.store_account(
                grant, kind="business_account", contract_name="business_account",
                external_id=account["account_id"],
                item={"username": account["username"], "display_name": account["display_name"],
                      "followers_count": 12, "bio": "dropped: not in the contract"})
            accounts.append(stored)
        for advertiser in advertisers:
            stored, _ = services.store_account(
                grant, kind="advertiser", contract_name="advertiser", external_id=advertiser["id"],
                item={"advertiser_id": advertiser["id"], "advertiser_name": advertiser["name"]})
            accounts.append(stored)
        grants.append(grant)
        links.append(link)
        tokens += [account["access_token"], account["refresh_token"]]
    open_link = services.create_link(client=client, connector_id=CONNECTOR, flow_id="account",
                                     actor=ADMIN)
    # A call the outbound client recorded (made here: the suite makes no HTTP call).
    call = OutboundCall.objects.for_client(client).create(
        client=client, grant=grants[0], connector=CONNECTOR, endpoint="account.profile", status=200)
    # A synced conversation of the first grant (the messages pages name it).
    conversation = Conversation.objects.for_client(client).create(
        client=client, grant=grants[0], external_id=f"conv-{secrets.token_hex(8)}",
        username=f"writer{secrets.token_hex(6)}", updated=timezone.now())
    # A synced video and a comment on it (the moderation pages' objects; the comment quotes
    # the client's name and is by its account, values the probe looks for).
    video = Video.objects.for_client(client).create(
        client=client, grant=grants[0], external_id=f"{grants[0].account_id}0", caption=client.name)
    comment = Comment.objects.for_client(client).create(
        client=client, grant=grants[0], external_id=f"{grants[0].account_id}1",
        video_id=video.external_id, text=client.name,
        username=accounts[0].username if accounts else "")
    return Side(client, grants, [open_link, *links], accounts, tokens, [call], [conversation],
                [comment])


def make_operator(username: str):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    assign_role(user=user, role=OPERATOR, actor=ADMIN)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return user


def make_world(mine: dict[str, Any], other: dict[str, Any], operator: str, *,
               was_on_other: bool = False) -> World:
    world = World(make_side(mine), make_side(other), make_operator(operator))
    services.assign_operators(client=world.mine.client, users=[world.operator], actor=ADMIN)
    if was_on_other:  # assigned to the other client once, and taken off it since
        services.assign_operators(client=world.other.client, users=[world.operator], actor=ADMIN)
        services.assign_operators(client=world.other.client, users=[], actor=ADMIN)
    return world


# --- what an answer must not hold -------------------------------------------------------------------

def forms(value: str) -> set[str]:
    """``value`` as a page, a JSON document, an address or a header could carry it."""
    return {value, html.escape(value), html.escape(value, quote=False),
            json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
            quote(value, safe=""), quote(value), quote_plus(value)}


def echoes(url: str) -> list[str]:
    """What an answer may repeat of its own request: its address, in every language (the
    language switcher), as it would be escaped or quoted. Longest first."""
    from django.conf import settings

    bare = url.split("?")[0]
    found = {url, bare}
    for code, _ in settings.LANGUAGES:
        found |= {translate_url(url, code), translate_url(bare, code)}
    return sorted({f for u in found for f in forms(u)}, key=len, reverse=True)


def leaks(response: HttpResponse, url: str, needles: set[str]) -> list[str]:
    """The other client's values found in ``response`` (body and headers), once the echoes of
    the request's own address are set aside."""
    text = response.content.decode("utf-8", "replace") if not response.streaming else ""
    text += "\n" + "\n".join(f"{k}: {v}" for k, v in response.items())
    for echo in echoes(url):
        text = text.replace(echo, " ")
    return sorted(needle for needle in needles if any(f in text for f in forms(needle)))


# --- the probe --------------------------------------------------------------------------------------

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(browser: Browser) -> str:
    """A CSRF token as a form of a page the operator may see carries it (their dashboard)."""
    response = browser.get("/panel/")
    assert response.status_code == 200, response.status_code
    match = CSRF_FIELD.search(response.content.decode())
    assert match, "The dashboard has no form with a CSRF token."
    return match.group(1)


def _unmapped(routes: list[Route]) -> list[str]:
    problems = []
    for route in routes:
        if "<regex:" in route.template:
            problems.append(f"{route.label}: a regular-expression route; write it with path() so "
                            "the isolation suite can fill its parameters.")
        for name in route.params:
            if name not in PARAMETERS:
                problems.append(
                    f"{route.label}: parameter {name!r} is not mapped. Add it to PARAMETERS in "
                    f"{__name__} with the other client's object it names, so this page is "
                    "probed with the other client's ids.")
    return problems


def probe(browser: Browser, world: World, routes: list[Route] | None = None,
          pages: list[Route] | None = None) -> None:
    """Try every probed route as ``browser`` (the signed-in operator of ``world.mine``) and
    raise an AssertionError listing every answer that confirms, shows or hands over anything of
    ``world.other``."""
    routes = probed_routes() if routes is None else routes
    pages = plain_panel_pages() if pages is None else pages
    problems = _unmapped(routes)
    assert not problems, "\n".join(problems)
    mine, other = world.mine, world.other
    needles = other.needles()
    token = csrf_token(browser)
    body = {"csrfmiddlewaretoken": token, "client": other.client.slug, "slug": other.client.slug,
            "grant": other.grants[0].pk, "link": other.links[0].public_id,
            "public_id": other.links[0].public_id, "account_id": other.grants[0].account_id}
    query = "?" + urlencode({"client": other.client.slug, "grant": other.grants[0].pk,
                             "link": other.links[0].public_id})
    failures: list[str] = []

    def request(method: str, url: str) -> HttpResponse:
        response = browser.get(url) if method == "GET" else browser.post(url, body)
        if found := leaks(response, url, needles):
            failures.append(f"{method} {url} -> {response.status_code} shows the other client's "
                            f"{found}")
        return response

    for page in pages:
        request("GET", page.fill({}))
    request("GET", "/panel/" + query)
    for route in routes:
        names = route.params
        fillers = {n: parameter(route, n) for n in names}
        ofclient = [n for n in names if fillers[n].of_client]
        neutral = {n: fillers[n].value(mine) for n in names if not fillers[n].of_client}
        if not ofclient:  # nothing of a client in the address: nothing to hide but the data
            url = route.fill(neutral)
            request("GET", url)
            request("GET", url + query)
            request("POST", url)
            continue
        own = route.fill({**neutral, **{n: fillers[n].value(mine) for n in ofclient}})
        answer = request("GET", own)
        if answer.status_code == 404:
            failures.append(f"GET {own} (the operator's own client's ids) -> 404: the probe would "
                            "prove nothing; map this route's parameters to the right objects.")
        request("GET", own + query)
        ghost = route.fill({**neutral, **{n: fillers[n].ghost for n in ofclient}})
        expected = {m: (browser.get(ghost) if m == "GET" else browser.post(ghost, body)).status_code
                    for m in ("GET", "POST")}
        # Every mix of the other client's ids with the operator's own, the other's in at least one.
        for sides in itertools.product((mine, other), repeat=len(ofclient)):
            if other not in sides:
                continue
            values = {**neutral, **{n: fillers[n].value(s) for n, s in zip(ofclient, sides, strict=True)}}
            url = route.fill(values)
            statuses = {}
            for method in ("GET", "POST"):
                response = request(method, url)
                statuses[method] = response.status_code
                if response.status_code not in (404, 405) or response.status_code != expected[method]:
                    failures.append(
                        f"{method} {url} ({route.label}) -> {response.status_code} for the other "
                        f"client's ids, but {expected[method]} for ids that do not exist: it must "
                        "be 404, as if they did not exist (never 403, 200 or a redirect)."
                        + (f" Location: {response['Location']}" if response.has_header("Location") else ""))
            if set(statuses.values()) == {405}:
                failures.append(f"{url}: neither GET nor POST reached the route.")
    assert not failures, "\n".join(failures)


_BOILERPLATE: list[str] = []


def boilerplate() -> str:
    """What an operator sees of the probed pages when only their own client exists (computed
    once, in a transaction rolled back). A generated value found in it could not be told apart
    from a page's own words ("scopes", "client"), so an example holding one is skipped."""
    if _BOILERPLATE:
        return _BOILERPLATE[0]
    block = transaction.atomic()
    block._from_testcase = True  # the services' durable blocks nest in it as in a test case's
    with block:
        side = make_side({**SPEC_A, "slug": "boilerplate-0"})
        operator = make_operator("boilerplate-operator")
        services.assign_operators(client=side.client, users=[operator], actor=ADMIN)
        browser = signed_in(World(side, side, operator))
        urls = [page.fill({}) for page in plain_panel_pages()]
        for route in probed_routes():
            fillers = {n: parameter(route, n) for n in route.params if n in PARAMETERS}
            if len(fillers) == len(route.params):
                urls += [route.fill({n: f.value(side) for n, f in fillers.items()}),
                         route.fill({n: f.value(side) if f.ghost is None else f.ghost
                                     for n, f in fillers.items()})]
        text = []
        for url in urls:
            response = browser.get(url)
            text += [response.content.decode("utf-8", "replace"), *map(str, response.items())]
        transaction.set_rollback(True)
    _BOILERPLATE.append("\n".join(text))
    return _BOILERPLATE[0]


def detectable(spec: dict[str, Any]) -> bool:
    words_of_pages = boilerplate()
    return not any(f in words_of_pages for value in _values(spec) for f in forms(value))


def signed_in(world: World) -> Browser:
    browser = sign_in(Browser(), world.operator)
    browser.handler.enforce_csrf_checks = True  # POSTs carry the token, as a browser's would
    return browser


# --- hypothesis: the two clients and the operator ---------------------------------------------------

def distinctive(value: str) -> bool:
    """A value the suite can look for in a page: long and varied enough not to occur there by
    chance (not "00000", nor a word a page is made of)."""
    return len(value) >= 5 and len(set(value)) >= 3 and sum(c.isalnum() for c in value) >= 4


def words(min_size: int = 5, max_size: int = 40, extra: str = "") -> st.SearchStrategy[str]:
    """Text in any script (letters and digits of every alphabet, ``extra`` signs)."""
    alphabet = st.characters(categories=["L", "N"])
    if extra:
        alphabet = alphabet | st.sampled_from(extra)
    return st.text(alphabet, min_size=min_size, max_size=max_size).map(str.strip).filter(distinctive)


slugs = st.from_regex(r"[a-z][a-z0-9]{3,12}(-[a-z0-9]{2,10})?", fullmatch=True).filter(distinctive)
account_ids = st.from_regex(r"[1-9][0-9]{11,18}", fullmatch=True).filter(distinctive)
access_tokens = st.from_regex(r"act\.[A-Za-z0-9]{24,40}", fullmatch=True)
refresh_tokens = st.from_regex(r"rft\.[A-Za-z0-9]{24,40}", fullmatch=True)


@st.composite
def platform_accounts(draw) -> dict[str, Any]:
    return {
        "flow": draw(st.sampled_from(["account", "advertiser"])),
        "account_id": draw(account_ids),
        "username": draw(words(5, 24, "._")),
        "display_name": draw(words(5, 40, " &'\"<>-")),
        "access_token": draw(access_tokens),
        "refresh_token": draw(refresh_tokens),
        "advertisers": draw(st.lists(st.tuples(account_ids, words(5, 40, " &-")), min_size=1,
                                     max_size=2, unique_by=lambda a: a[0])),
    }


@st.composite
def client_specs(draw) -> dict[str, Any]:
    return {
        "name": draw(words(5, 60, " &'\"<>.,-")),
        "slug": draw(slugs),
        "language": draw(st.sampled_from(["pl", "en"])),
        "accounts": draw(st.lists(platform_accounts(), min_size=1, max_size=2,
                                  unique_by=lambda a: a["account_id"])),
    }


def _values(spec: dict[str, Any]) -> set[str]:
    found = {spec["name"], spec["slug"]}
    for account in spec["accounts"]:
        found |= {account["account_id"], account["username"], account["display_name"],
                  account["access_token"], account["refresh_token"]}
        found |= {v for pair in account["advertisers"] for v in pair}
    return found


def apart(mine: dict[str, Any], other: dict[str, Any], operator: str) -> bool:
    """No value of the other client is part of one the operator may rightly see (their own
    client's, their own name): it would show on their pages without any leak."""
    own = _values(mine) | {operator}
    theirs = _values(other)
    return not any(f in o for t in theirs for f in forms(t) for o in own | {html.escape(v) for v in own})


# Few examples, no shrinking: each example is a few dozen requests, and a failure's message
# already names the address, the status and the value shown (shrinking would take minutes).
FEW = hypothesis_settings(max_examples=10, deadline=None, database=None,
                          phases=[Phase.explicit, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


class IsolationProperties(TestCase):
    """Each example in its own transaction (hypothesis' Django TestCase)."""

    @FEW
    @given(mine=client_specs(), other=client_specs(),
           operator=st.text(st.characters(categories=["L", "N"]), min_size=3, max_size=20),
           was_on_other=st.booleans())
    def test_an_operator_reaches_nothing_of_a_client_not_theirs(self, mine, other, operator,
                                                                was_on_other):
        operator = unicodedata.normalize("NFKC", operator)  # as Django keeps a username
        assume(mine["slug"] != other["slug"] and apart(mine, other, operator) and detectable(other))
        world = make_world(mine, other, operator, was_on_other=was_on_other)
        probe(signed_in(world), world)

    @FEW
    @given(a=client_specs(), b=client_specs())
    def test_for_client_returns_only_that_clients_rows(self, a, b):
        assume(a["slug"] != b["slug"])
        sides = [make_side(a), make_side(b)]
        for model in client_owned_models():
            for side in sides:
                rows = list(model.objects.for_client(side.client))
                assert {r.client_id for r in rows} <= {side.client.pk}, model
                # The plain manager is the tests' to use: the scoped one misses nothing.
                assert len(rows) == model.all_clients.filter(client=side.client).count(), model
        for model in (AuthorisationLink, Grant, GrantEvent, PlatformAccount, OutboundCall):
            assert model.objects.for_client(sides[0].client).exists(), model


# --- the scoped manager -----------------------------------------------------------------------------

def client_owned_models() -> list[type[ClientOwned]]:
    return [m for m in apps.get_models() if issubclass(m, ClientOwned)]


def test_the_known_models_of_client_data_are_client_owned():
    assert {AuthorisationLink, Grant, OutboundCall, PlatformAccount} <= set(client_owned_models())


@pytest.mark.parametrize("model", client_owned_models(), ids=lambda m: m._meta.label)
@pytest.mark.parametrize("query", [
    lambda m: list(m.objects.all()),
    lambda m: m.objects.filter(pk=1).first(),
    lambda m: m.objects.count(),
    lambda m: m.objects.exists(),
    lambda m: m.objects.get(pk=1),
    lambda m: m.objects.values_list("pk"),
    lambda m: m.objects.none(),
    lambda m: m.objects.for_client(None),
    lambda m: m.objects.for_client(Client(slug="unsaved", name="Unsaved")),
    lambda m: m.objects.for_client(get_user_model()(pk=1)),
], ids=["all", "filter", "count", "exists", "get", "values_list", "none", "no client",
        "unsaved client", "not a client"])
def test_a_query_that_does_not_name_its_client_is_refused(db, model, query):
    with pytest.raises(UnscopedQuery):
        query(model)


# --- nobody bypasses the scoped manager -------------------------------------------------------------

SRC = Path(__file__).resolve().parents[2]  # src/privet
# The modules that may see every client's rows at once, and why.
ALL_CLIENTS_ALLOWED = {
    "integrations/privacy.py": "retention targets: expiry runs over every client",
    "integrations/webhooks.py": "a platform's webhook names an account, not a client",
    "integrations/tasks.py": "a task names a grant by its number; the job finds every due grant",
    "integrations/vault.py": "key rotation re-encrypts every stored secret",
}
# In views.py, only the owner's link lookup: the link's public id is all the owner brings.
ALL_CLIENTS_ALLOWED_FUNCTIONS = {"integrations/views.py": {"_link"}}
BYPASSES = {"all_clients"}
# Inside the integrations app, a model's default managers reach every client's rows too.
APP_BYPASSES = {"_default_manager", "_base_manager"}


def _uses(tree: ast.AST, names: set[str]) -> Iterator[tuple[int, str, str]]:
    """``(line, name, enclosing function)`` of each attribute or string naming ``names``."""

    def walk(node: ast.AST, function: str) -> Iterator[tuple[int, str, str]]:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.Attribute) and child.attr in names:
                yield child.lineno, child.attr, function
            elif isinstance(child, ast.Constant) and child.value in names:
                yield child.lineno, child.value, function
            yield from walk(child, inner)

    yield from walk(tree, "")


def bypasses() -> list[str]:
    """Every use of a manager that sees all clients outside the allowed places."""
    found = []
    for file in sorted(SRC.rglob("*.py")):
        relative = file.relative_to(SRC).as_posix()
        parts = relative.split("/")
        if "tests" in parts or "migrations" in parts or relative == "integrations/scoping.py":
            continue
        names = BYPASSES | (APP_BYPASSES if parts[0] == "integrations" else set())
        for line, name, function in _uses(ast.parse(file.read_text(), relative), names):
            if relative in ALL_CLIENTS_ALLOWED:
                continue
            if function in ALL_CLIENTS_ALLOWED_FUNCTIONS.get(relative, set()):
                continue
            found.append(f"{relative}:{line}: {name}" + (f" in {function}()" if function else ""))
    return found


def test_no_code_reads_every_clients_data_outside_the_allowed_places():
    found = bypasses()
    assert not found, ("These read integration data across clients; use "
                       "Model.objects.for_client(client), or add the module to "
                       "ALL_CLIENTS_ALLOWED with the reason:\n" + "\n".join(found))


def test_the_bypass_finder_finds_a_bypass():
    tree = ast.parse("def job():\n    return Grant.all_clients.filter(status='active')\n"
                     "x = getattr(Grant, 'all_clients')\n")
    assert [(line, function) for line, _, function in _uses(tree, BYPASSES)] == [(2, "job"), (3, "")]


# --- the probe finds what it is for -----------------------------------------------------------------

def _leaky_client(request, slug):
    """A page that forgets to ask whether the operator may see the client (the classic slip)."""
    client = Client.objects.filter(slug=slug).first()
    if client is None:
        return HttpResponseNotFound("No such client.")
    return HttpResponse(f"<h1>{html.escape(client.name)}</h1>")


def _leaky_not_found(request, slug, pk):
    """A page that answers 404 for another client's grant, but names the client in it."""
    grant = Grant.all_clients.filter(pk=pk).first()
    if grant is None:
        return HttpResponseNotFound("No such grant.")
    return HttpResponseNotFound(f"No grant of yours; it is {html.escape(grant.client.name)}'s.")


def _leaky_json(request, public_id):
    """An API operation that answers 404 but echoes the link's client in JSON."""
    link = AuthorisationLink.all_clients.filter(public_id=public_id).first()
    if link is None:
        return HttpResponseNotFound(json.dumps({"error": "not_found"}), content_type="application/json")
    return HttpResponseNotFound(json.dumps({"error": "not_found", "client": link.client.slug}),
                                content_type="application/json")


def _leaky_mixed(request, slug, pk):
    """A page that checks the client in the address, then takes the grant by its pk alone."""
    from privet.integrations.selectors import client_for

    client_for(request.user, slug)
    grant = Grant.all_clients.filter(pk=pk).first()
    if grant is None:
        return HttpResponseNotFound("No such grant.")
    return HttpResponse(f"<p>Grant {grant.pk} of account {html.escape(grant.account_id)}</p>")


def _unmapped_view(request, ticket):
    return HttpResponse("")


def _urlconf(*extra) -> list:
    from privet import urls

    return [*urls.urlpatterns, path("leaky/", include(([*extra], "leaky"), namespace="leaky"))]


def _panel(*patterns):
    return path("panel/", include(([*patterns], "panel"), namespace="panel"))


class LeakyIdor:
    urlpatterns = _urlconf(_panel(path("clients/<slug:slug>/", _leaky_client, name="client")))


class LeakyNotFound:
    urlpatterns = _urlconf(_panel(path("clients/<slug:slug>/grants/<int:pk>/", _leaky_not_found,
                                       name="client_grant")))


class LeakyMixed:
    urlpatterns = _urlconf(_panel(path("clients/<slug:slug>/grants/<int:pk>/", _leaky_mixed,
                                       name="client_grant")))


class LeakyApi:
    urlpatterns = _urlconf(path("api/", include(([path("integrations/links/<str:public_id>",
                                                       _leaky_json, name="link")], "api"),
                                                namespace="api")))


class Unmapped:
    urlpatterns = _urlconf(_panel(path("clients/tickets/<int:ticket>/", _unmapped_view,
                                       name="client_ticket")))


SPEC_A = {"name": "Kwiaciarnia Żółty Tulipan", "slug": "tulipan", "language": "pl", "accounts": [
    {"flow": "account", "account_id": "700000000000001", "username": "tulipan.pl",
     "display_name": "Żółty Tulipan ✿", "access_token": "act.AAAAAAAAAAAAAAAAAAAAAAAAAAAA1",
     "refresh_token": "rft.AAAAAAAAAAAAAAAAAAAAAAAAAAAA1", "advertisers": []}]}
SPEC_B = {"name": "Ресторан «Берёзка» & Co", "slug": "berezka-co", "language": "en", "accounts": [
    {"flow": "account", "account_id": "700000000000002", "username": "берёзка_bistro",
     "display_name": "Берёзка <Bistro>", "access_token": "act.BBBBBBBBBBBBBBBBBBBBBBBBBBBB2",
     "refresh_token": "rft.BBBBBBBBBBBBBBBBBBBBBBBBBBBB2", "advertisers": []},
    {"flow": "advertiser", "account_id": "700000000000003", "username": "", "display_name": "",
     "access_token": "act.CCCCCCCCCCCCCCCCCCCCCCCCCCCC3",
     "refresh_token": "rft.CCCCCCCCCCCCCCCCCCCCCCCCCCCC3",
     "advertisers": [("7000000000000049", "Berёzka Ads PLN")]}]}


@pytest.fixture
def world(db):
    return make_world(SPEC_A, SPEC_B, "olga")


def test_the_probe_covers_the_owners_pages_and_the_platforms_callback(world):
    labels = {f"{':'.join(r.namespaces)}:{r.name}" for r in probed_routes()}
    assert {"integrations:authorise", "platforms:callback"} <= labels


def test_the_operator_of_one_client_passes_the_probe(world):
    probe(signed_in(world), world)


@pytest.mark.parametrize("urlconf, shown", [
    (LeakyIdor, "-> 200"),
    (LeakyNotFound, "Ресторан «Берёзка» & Co"),
    (LeakyMixed, "/leaky/panel/clients/tulipan/grants/"),
    (LeakyApi, "berezka-co"),
], ids=["page of another client", "404 naming the client", "own client, other's grant",
        "API 404 naming the client"])
def test_the_probe_catches_a_page_that_leaks_another_client(world, urlconf, shown):
    with override_settings(ROOT_URLCONF=urlconf):
        browser = signed_in(world)
        with pytest.raises(AssertionError) as failure:
            probe(browser, world)
    assert "/leaky/" in str(failure.value) and shown in str(failure.value)


def test_a_page_with_a_parameter_the_suite_cannot_fill_fails_it(world):
    with override_settings(ROOT_URLCONF=Unmapped):
        browser = signed_in(world)
        with pytest.raises(AssertionError, match=r"parameter 'ticket' is not mapped\. Add it to PARAMETERS"):
            probe(browser, world)


def test_the_authorisation_page_of_another_clients_link_is_a_404_to_an_operator(world):
    browser = signed_in(world)
    theirs = browser.get(f"/integrations/authorise/{world.other.links[0].public_id}/")
    none = browser.get("/integrations/authorise/no-such-link/")
    own = browser.get(f"/integrations/authorise/{world.mine.links[0].public_id}/")
    assert (theirs.status_code, none.status_code) == (404, 404)
    assert own.status_code == 403  # theirs to send to the owner: an operator cannot authorise
    assert leaks(theirs, "", world.other.needles()) == []


def test_a_bare_pk_names_the_object_of_the_segment_before_it():
    def route(template: str) -> Route:
        return Route(("panel",), "client_x", template)

    assert parameter(route("/panel/clients/<slug:slug>/links/<int:pk>/cancel/"), "pk") is PK_OF["links"]
    assert parameter(route("/panel/clients/<slug:slug>/calls/<int:id>/"), "id") is PK_OF["calls"]
    assert parameter(route("/panel/clients/<slug:slug>/<int:pk>/"), "pk") is PARAMETERS["pk"]
    assert parameter(route("/panel/clients/<slug:slug>/"), "slug") is PARAMETERS["slug"]
