"""Section 6 of the policy ("TikTok Business API and social platforms"), clause by clause, each a
test that fails if Privet broke it, against the contract fake.

The seed says: "we process only the data required for the agreed workflow"; what that may
include "within the permissions accepted by the client"; and "We do not scrape public TikTok
data, resell platform data, share it with unauthorised parties or access accounts without the
explicit authorisation of the account owner" (the declaration's ``never`` list). README,
"Section 6 of the policy, as tests", maps each clause to its tests here.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django.test import Client as Browser

from privet.integrations import http, selectors, services
from privet.integrations.connectors import Endpoint
from privet.integrations.errors import Refused
from privet.integrations.models import (
    AccountDay,
    Campaign,
    CampaignDay,
    Comment,
    Conversation,
    Grant,
    Message,
    OutboundCall,
    PlatformAccount,
    SyncRun,
    SyncState,
    Video,
)
from privet.integrations.privacy import SOURCE
from privet.integrations.sync import WorkflowUnavailable, available_workflows, run_workflow
from privet.integrations.tasks import sync_due
from privet.integrations.tests.conftest import authorise
from privet.integrations.tiktok.connector import TIKTOK
from privet.integrations.tiktok.fake import ACCOUNT_AUTH_PATH, ADVERTISER_AUTH_PATH, CANARY, CANARY_FIELD
from privet.panel.roles import OPERATOR
from privet.panel.tests.conftest import sign_in
from privet.registry import SubjectQuery

ALL = ["moderation", "messages", "insights", "reporting"]
AUTH_PAGES = {ACCOUNT_AUTH_PATH, ADVERTISER_AUTH_PATH}
SRC = Path(__file__).resolve().parents[3]  # src/privet


@pytest.fixture(autouse=True)
def little_content(tiktok_fake):
    """Enough of every kind of object for each clause, and no more (the file stays fast)."""
    tiktok_fake.clear()
    tiktok_fake.seed(videos=2, comments=2, replies=1, conversations=1, messages=2, campaigns=1)


def connect(make_client, make_link, *, flow: str = "account", workflows=ALL, client=None,
            slug: str = "") -> Grant:
    """A client with ``workflows``, whose owner authorises through the fake (link, the fake's
    page, our callback)."""
    client = client or (make_client(slug=slug, name=slug.title()) if slug else make_client())
    services.set_workflows(client=client, workflows=workflows, actor="test")
    link = make_link(client, flow=flow)
    assert authorise(link).response.status_code == 200
    link.refresh_from_db()
    return Grant.objects.for_client(client).get(pk=link.grant_id)


def api_paths(fake, since: int = 0) -> list[str]:
    """The API paths the fake was asked for (relative to its API prefix), in order."""
    return [r.path for r in fake.requests[since:] if r.path not in AUTH_PAGES]


def paths_of(*endpoint_names: str) -> set[str]:
    return {TIKTOK.endpoints[n].path for n in endpoint_names}


MESSAGING = paths_of("account.conversations", "account.messages", "account.message_send")
MARKETING = paths_of("advertiser.campaigns", "advertiser.report")


# --- "we process only the data required for the agreed workflow" ---------------------------------

def test_only_the_agreed_workflow_is_requested_read_and_stored(tiktok_fake, make_client, make_link):
    grant = connect(make_client, make_link, workflows=["moderation"])
    moderation = TIKTOK.workflows["moderation"]
    # The link asked the owner for the moderation scopes, no more.
    asked = tiktok_fake.calls(ACCOUNT_AUTH_PATH)[0].params["scope"].split(",")
    assert sorted(asked) == sorted(moderation.scopes) == sorted(grant.scopes)
    # The schedule syncs what was agreed, and nothing else is available to run.
    assert [w.id for w in available_workflows(grant)] == ["moderation"]
    sync_due.call()
    for other in ("messages", "insights"):
        with pytest.raises(WorkflowUnavailable) as refused:
            run_workflow(grant, other)
        assert refused.value.reason == "not_chosen"
    assert {r.workflow for r in SyncRun.objects.for_client(grant.client)} == {"moderation"}

    client = grant.client
    assert Video.objects.for_client(client).exists() and Comment.objects.for_client(client).exists()
    for model in (Conversation, Message, Campaign, CampaignDay, AccountDay):
        assert not model.objects.for_client(client).exists(), model
    asked_paths = set(api_paths(tiktok_fake))
    assert not asked_paths & (MESSAGING | MARKETING)
    # Every read asked for the contract's fields of what moderation reads, and nothing more.
    kept = {f for name in moderation.reads for f in TIKTOK.contract[name].fields}
    for request in tiktok_fake.requests:
        if "fields" in request.params:
            assert set(json.loads(request.params["fields"])) <= kept, request.path


def every_value_in_the_database() -> list[str]:
    """Every value of every row of every table, as text."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes):
                        value = bytes(value).decode("latin-1")
                    values.append(str(value))
    return values


def test_a_field_outside_the_contract_in_every_answer_is_nowhere_in_the_database(
        tiktok_fake, make_client, make_link):
    """The fake adds ``CANARY_FIELD: CANARY`` to every object it serves (videos, comments,
    replies, conversations, messages, campaigns, report rows, account days)."""
    account = connect(make_client, make_link)
    advertiser = connect(make_client, make_link, flow="advertiser", client=account.client)
    for workflow in ALL:
        grant = advertiser if workflow == "reporting" else account
        assert run_workflow(grant, workflow).status == SyncRun.Status.DONE
    client = account.client
    for model in (PlatformAccount, Video, Comment, Conversation, Message, Campaign, CampaignDay,
                  AccountDay):
        assert model.objects.for_client(client).exists(), model  # the scan is not vacuous
    found = [v for v in every_value_in_the_database() if CANARY in v or CANARY_FIELD in v]
    assert found == []
    assert sum(SyncState.objects.for_client(client).values_list("dropped_fields", flat=True)) > 0


# --- "within the permissions accepted by the client" ----------------------------------------------

def test_nothing_is_read_beyond_the_granted_scopes(tiktok_fake, make_client, make_link):
    tiktok_fake.grant_only(["user.info.basic", "video.list", "comment.list"])  # the owner unticks
    grant = connect(make_client, make_link, workflows=["moderation", "messages", "insights"])
    assert sorted(grant.scopes) == ["comment.list", "user.info.basic", "video.list"]
    before = len(tiktok_fake.requests)
    for workflow in ("moderation", "messages", "insights"):
        with pytest.raises(WorkflowUnavailable) as refused:
            run_workflow(grant, workflow)
        assert refused.value.reason == "scope_not_granted"
    for name, params in (("account.conversations", {"business_id": grant.account_id}),
                         ("account.insights", {"business_id": grant.account_id}),
                         ("account.comment_delete", None)):
        with pytest.raises(Refused) as refused:
            http.call(grant.client, TIKTOK, name, grant=grant, params=params)
        assert refused.value.reason == "scope_not_granted"
    assert len(tiktok_fake.requests) == before  # nothing reached the platform
    assert not MESSAGING & set(api_paths(tiktok_fake))
    assert OutboundCall.objects.for_client(grant.client).filter(
        refused="scope_not_granted").count() == 3


# --- "We do not scrape public TikTok data" ----------------------------------------------------------

class Recording(httpx.BaseTransport):
    """The network, with the host of every request that left written down. Requests to the
    fake (on the loopback) go out for real; any other host is answered here with a 404, so a
    broken check never reaches the internet."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.hosts: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        if request.url.host not in http.LOOPBACK:
            return httpx.Response(404, request=request)
        return self.inner.handle_request(request)


@pytest.fixture
def network():
    """Every request Privet sends, recorded at the transport (:func:`http.use_transport`)."""
    recording = Recording()
    http.use_transport(recording)
    try:
        yield recording
    finally:
        http.use_transport(None)
        recording.inner.close()


@pytest.mark.parametrize("url", [
    "https://www.tiktok.com/@someone",
    "https://www.tiktok.com/@someone/video/7300000000000000001",
    "https://tiktok.com/@someone",
    "https://m.tiktok.com/@someone",
    "//www.tiktok.com/@someone",
    "http://business-api.tiktok.com/open_api/v1.3/business/get/",  # not https
    "https://business-api.tiktok.com.example.net/open_api/v1.3/business/get/",
])
def test_a_public_page_is_refused_before_anything_is_sent(tiktok_fake, make_client, network, url):
    """A scraping endpoint added to the real connector (an absolute URL as its path, needing no
    grant) is refused by the outbound client."""
    scraper = Endpoint("public.profile", "GET", url, auth="none")
    wider = dataclasses.replace(TIKTOK, endpoints={**TIKTOK.endpoints, scraper.name: scraper})
    client = make_client()
    with pytest.raises(Refused) as refused:
        http.call(client, wider, scraper.name)
    assert refused.value.reason == "host_not_allowed"
    assert network.hosts == []
    assert OutboundCall.objects.for_client(client).get().refused == "host_not_allowed"


def test_an_api_base_pointed_at_the_public_site_is_refused(tiktok_fake, make_client, make_link,
                                                           network, settings):
    grant = connect(make_client, make_link, workflows=["moderation"])
    settings.PRIVET_TIKTOK_API_BASE = "https://www.tiktok.com/"
    sent = len(network.hosts)
    with pytest.raises(Refused) as refused:
        http.call(grant.client, TIKTOK, "account.profile", grant=grant,
                  params={"business_id": grant.account_id})
    assert refused.value.reason == "host_not_allowed"
    # A sync is refused the same way, at its first call, and stops as failed.
    run = run_workflow(grant, "moderation")
    assert (run.status, run.error) == (SyncRun.Status.FAILED, "Refused:host_not_allowed")
    assert len(network.hosts) == sent


def test_a_full_sync_asks_only_the_declared_api(tiktok_fake, make_client, make_link, network):
    account = connect(make_client, make_link)
    advertiser = connect(make_client, make_link, flow="advertiser", client=account.client)
    for workflow in ALL:
        grant = advertiser if workflow == "reporting" else account
        assert run_workflow(grant, workflow, full=True).status == SyncRun.Status.DONE
    # Every request Privet sent went to the platform (the fake stands in for its host here)...
    assert network.hosts and set(network.hosts) == {"127.0.0.1"}
    # ...under its API prefix, to a declared endpoint (or the owner's authorisation pages, which
    # the owner's browser opens, not Privet).
    declared = {e.path for e in TIKTOK.endpoints.values()}
    for request in tiktok_fake.requests:
        assert request.path in AUTH_PAGES or request.path in declared, request.path


# --- "We do not share it with unauthorised parties": each client's data goes to it alone -----------

@pytest.fixture
def two_clients(tiktok_fake, make_client, make_link, published):
    """Acme and Globex, each with its own TikTok account synced from the fake (different
    profiles and comments), and the same fan commenting on both."""
    acme = connect(make_client, make_link, workflows=["moderation"], slug="acme")
    tiktok_fake.add_comment(tiktok_fake.videos[0]["item_id"], "Acme: the best cheesecake", "wspolny_fan")
    run_workflow(acme, "moderation")
    tiktok_fake.clear()
    tiktok_fake.seed(videos=1, comments=2, replies=1, conversations=0, messages=0, campaigns=0)
    tiktok_fake.set_profile(username="globex_official", display_name="Globex Official")
    tiktok_fake.add_comment(tiktok_fake.videos[0]["item_id"], "Globex: secret launch date", "wspolny_fan")
    globex = connect(make_client, make_link, workflows=["moderation"], slug="globex")
    run_workflow(globex, "moderation")
    return acme, globex


def needles(grant: Grant) -> set[str]:
    """Values of ``grant``'s synced rows that no other client holds."""
    values = {"Globex: secret launch date", "globex_official", "Globex Official", grant.account_id}
    for model in (Video, Comment, PlatformAccount):
        values |= set(model.objects.for_client(grant.client).values_list("external_id", flat=True))
    return values


def test_a_clients_export_and_rights_answers_hold_only_its_own_platform_data(two_clients):
    acme, globex = two_clients
    theirs = needles(globex)
    assert len(theirs) > 5
    for fmt in ("csv", "json"):
        content = services.export_integration_data(client=acme.client, fmt=fmt, actor="test")
        assert "Acme: the best cheesecake" in content  # its own data is there
        assert [v for v in theirs if v in content] == []
    # The rights source, asked about the fan who commented on both accounts, naming Acme.
    found = SOURCE.export(SubjectQuery(client=acme.client.slug, handle="@wspolny_fan"),
                          actor="test", request_ref="R-1")
    assert {row["text"] for row in found["integrations.comment"]} == {"Acme: the best cheesecake"}
    assert [v for v in theirs if v in json.dumps(found, default=str)] == []
    assert SOURCE.plan(SubjectQuery(client=acme.client.slug, handle="wspolny_fan")).records == 1


def test_every_panel_export_of_another_client_is_404(two_clients, make_operator):
    from privet.integrations.tests.test_isolation import Side, parameter, probed_routes

    acme, globex = two_clients
    olga = make_operator("olga", OPERATOR)
    services.assign_operators(client=acme.client, users=[olga], actor="test")
    browser = sign_in(Browser(), olga)

    def side(grant: Grant) -> Side:
        client = grant.client
        return Side(client, [grant], list(selectors.links_of(client)),
                    list(PlatformAccount.objects.for_client(client)), [],
                    list(OutboundCall.objects.for_client(client)))

    exports = [r for r in probed_routes()
               if "export" in (r.name or "") or "export" in r.template]
    assert exports
    theirs = needles(globex)
    for route in exports:
        own = route.fill({p: parameter(route, p).value(side(acme)) for p in route.params})
        other = route.fill({p: parameter(route, p).value(side(globex)) for p in route.params})
        assert browser.get(own).status_code == 200, own
        answer = browser.get(other)
        assert answer.status_code == 404, other
        assert [v for v in theirs if v in answer.content.decode()] == []


def test_a_rights_request_about_a_commenter_is_routed_to_the_client(tiktok_fake, make_client,
                                                                   make_link, published):
    from privet.rights import engine
    from privet.rights.models import Status
    from privet.rights.services import log_request

    acme = connect(make_client, make_link, workflows=["moderation"], slug="acme")
    tiktok_fake.add_comment(tiktok_fake.videos[0]["item_id"], "Do you deliver?", "wspolny_fan")
    run_workflow(acme, "moderation")
    request = log_request(right="access", email="fan@example.com", actor="test:operator",
                          channel="email", verified=True, verification_note="wrote from it",
                          details="what do you hold about me?", client="acme",
                          handle="@Wspolny_Fan")
    engine.start(request=request, actor="test:operator")
    engine.process(request.pk, request.attempt)
    request.refresh_from_db()
    # The client decides as the controller: told how much is held, nothing sent to the person yet.
    assert request.status == Status.AWAITING_CONTROLLER
    assert request.result["controller"]["records"] == 1
    assert request.result["controller"]["holdings"] == {"integration_data": 1}
    # What the client is asked to decide about is the synced comment.
    [comment] = SOURCE.export(SubjectQuery(client="acme", handle=request.handle), actor="test",
                              request_ref=request.reference)["integrations.comment"]
    assert comment["text"] == "Do you deliver?" and comment["username"] == "wspolny_fan"


# --- "We do not access accounts without the explicit authorisation of the account owner" ----------

def assert_not_read(grant: Grant, fake, reason: str) -> None:
    """No workflow runs on ``grant`` and the outbound client refuses its calls, nothing sent."""
    before = len(fake.requests)
    for workflow in ("moderation", "messages"):
        with pytest.raises(WorkflowUnavailable) as unavailable:
            run_workflow(grant, workflow)
        assert unavailable.value.reason == "not_live"
    with pytest.raises(Refused) as refused:
        http.call(grant.client, TIKTOK, "account.profile", grant=grant,
                  params={"business_id": grant.account_id})
    assert refused.value.reason == reason
    assert len(fake.requests) == before


def test_an_account_the_owner_revoked_is_never_read_again(tiktok_fake, make_client, make_link):
    grant = connect(make_client, make_link, workflows=["moderation", "messages"])
    tiktok_fake.revoke_as_owner(grant.account_id)
    assert run_workflow(grant, "moderation").status == SyncRun.Status.FAILED  # the platform said so
    grant.refresh_from_db()
    assert not grant.live
    assert_not_read(grant, tiktok_fake, "grant_not_live")


def test_an_account_the_operator_disconnected_is_never_read_again(tiktok_fake, make_client, make_link):
    grant = connect(make_client, make_link, workflows=["moderation", "messages"])
    grant = services.disconnect(grant=grant, actor="test")
    assert not grant.live
    assert_not_read(grant, tiktok_fake, "grant_not_live")


def test_one_clients_grant_never_reads_for_another(tiktok_fake, make_client, make_link):
    acme = connect(make_client, make_link, workflows=["moderation"], slug="acme")
    globex = make_client(slug="globex", name="Globex")
    before = len(tiktok_fake.requests)
    for grant in (acme, None):
        with pytest.raises(Refused) as refused:
            http.call(globex, TIKTOK, "account.profile", grant=grant,
                      params={"business_id": acme.account_id})
        assert refused.value.reason == "no_grant"
    assert len(tiktok_fake.requests) == before


# --- "We do not resell platform data": the platform is the only place it is sent --------------------

# Modules that talk to the network. Privet reaches a platform only through
# privet.integrations.http.call (scope, host and grant enforced); any other use is listed here
# with why it cannot carry platform data.
NETWORK = ("httpx", "requests", "urllib.request", "urllib3", "aiohttp", "http.client", "socket",
           "smtplib", "ftplib", "xmlrpc.client", "websockets", "paramiko", "boto3",
           "django.core.mail")
IMPORTS = re.compile(r"^\s*(?:from|import)\s+(?:" + "|".join(re.escape(m) for m in NETWORK)
                     + r")\b", re.MULTILINE)
ALLOWED = {
    "integrations/http.py": "the outbound client itself: declared hosts, endpoints and scopes, "
                            "a live grant of the client's own",
    "integrations/tiktok/fake.py": "the contract fake, a server for the tests and the demo "
                                   "(never installed as a platform)",
    "core/mail.py": "mail to people and staff; no mail carries integration records",
    "core/outbox.py": "the mail outbox's error handling (smtplib's exceptions)",
    "core/demo_outbox.py": "the demo's mail backend: writes files on the machine, sends nothing",
    "enquiries/notifications.py": "mail about enquiries (the person's acknowledgement, a notice "
                                  "to operators); no integration data",
    "rights/notifications.py": "rights mail says counts and reasons, no personal data; an export "
                               "is a signed download link for the person, after the client's "
                               "decision (privet.rights.notifications)",
}


def network_imports(path: Path) -> set[str]:
    """The network modules ``path`` imports at run time (an import under ``TYPE_CHECKING``,
    for annotations, sends nothing)."""
    text = path.read_text(encoding="utf-8")
    if not IMPORTS.search(text):
        return set()
    tree = ast.parse(text)
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test)
                   for child in node.body for n in ast.walk(child)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found |= {m for m in NETWORK for n in names if n == m or n.startswith(m + ".")}
    return found


def test_only_the_outbound_client_sends_anything_off_the_machine():
    offenders = {}
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if "/tests/" in f"/{relative}" or relative.endswith("conftest.py"):
            continue
        modules = network_imports(path)
        if modules and relative not in ALLOWED:
            offenders[relative] = sorted(modules)
    assert offenders == {}, "a new way out of the machine: send through integrations.http.call, " \
                            "or list it in ALLOWED with why it carries no platform data"
    assert network_imports(SRC / "integrations/http.py") == {"httpx"}  # the scan sees imports
    assert all((SRC / p).exists() for p in ALLOWED)
