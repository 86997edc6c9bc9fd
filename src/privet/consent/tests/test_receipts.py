"""The receipts API as the banner and a hostile client use it: every choice is stored, nothing
else is, and bad input gets a clear 4xx."""

import json

import pytest
from django.test import override_settings
from freezegun import freeze_time

from privet.consent.models import ConsentReceipt
from privet.consent.selectors import receipts_for_visitor
from privet.policy.services import publish_version

from .conftest import DEFAULT_FILE

pytestmark = pytest.mark.django_db

CHROME_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/140.0.0.0 Safari/537.36")


def test_a_choice_is_stored_as_a_receipt_without_the_ip_address(post, receipt, policy):
    body = receipt()
    response = post(body, HTTP_USER_AGENT=CHROME_UA, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 201, response.content
    stored = ConsentReceipt.objects.get()
    assert response.json()["id"] == stored.pk
    assert stored.visitor_id == body["visitor"]
    assert stored.choices == {"essential": True, "analytics": True, "marketing": False}
    assert stored.policy_hash == policy.content_hash
    assert (stored.site, stored.method, stored.gpc, stored.banner_version) == ("softcode", "custom",
                                                                               False, "1")
    assert stored.user_agent_family == "Chrome"
    row = json.dumps(list(ConsentReceipt.objects.values()), default=str)
    assert "203.0.113" not in row and "Linux" not in row and "140.0" not in row


def test_a_purpose_left_out_is_not_granted_and_essential_is_always_on(post, receipt):
    response = post(receipt(choices={"marketing": True}, method="custom"))
    assert response.json()["choices"] == {"essential": True, "analytics": False, "marketing": True}
    response = post(receipt(choices={"essential": False}))
    assert response.json()["choices"]["essential"] is True


@pytest.mark.parametrize("gpc_in", ["body", "header"])
def test_global_privacy_control_refuses_marketing_even_on_accept_all(post, receipt, gpc_in):
    body = receipt(choices={"analytics": True, "marketing": True}, method="accept_all")
    response = post({**body, "gpc": True}) if gpc_in == "body" else post(body, HTTP_SEC_GPC="1")
    assert response.status_code == 201
    assert response.json()["choices"] == {"essential": True, "analytics": True, "marketing": False}
    assert ConsentReceipt.objects.get().gpc is True


def test_a_withdrawal_is_a_new_receipt_and_the_history_is_the_proof(post, receipt):
    first = receipt(method="accept_all", choices={"analytics": True, "marketing": True})
    post(first)
    post({**first, "method": "reject_all", "choices": {"analytics": False, "marketing": False}})
    post(receipt())  # someone else
    history = list(receipts_for_visitor(first["visitor"]))
    assert [r.method for r in history] == ["accept_all", "reject_all"]
    assert history[0].granted() == ["essential", "analytics", "marketing"]
    assert history[1].granted() == ["essential"]


def test_the_installation_itself_is_a_site(post, receipt):
    assert post(receipt(site="privet")).status_code == 201


def test_an_older_published_version_is_still_known(post, receipt, policy):
    source = DEFAULT_FILE.read_text().replace('id: "1.0"', 'id: "1.1"', 1)
    publish_version(source=source.replace("Measure the effect of our advertising.",
                                          "Measure how our ads perform.", 1), actor="test")
    assert post(receipt(policy=policy.content_hash)).status_code == 201


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"site": "elsewhere"}, 400, "unknown_site"),
    ({"choices": {"analytics": True, "ads": True}}, 400, "unknown_purpose"),
    ({"policy": "0" * 64}, 400, "unknown_policy_version"),
    ({"policy": "not-a-hash"}, 422, "invalid_request"),
    ({"visitor": "ANA@EXAMPLE.COM"}, 422, "invalid_request"),
    ({"method": "shrug"}, 422, "invalid_request"),
    ({"choices": {"analytics": "yes please"}}, 422, "invalid_request"),
    ({"lang": "de"}, 422, "invalid_request"),
    ({"extra": 1}, 422, "invalid_request"),
])
def test_bad_input_gets_a_clear_4xx_and_stores_nothing(post, receipt, change, status, code):
    response = post(receipt(**change))
    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    assert response.json()["message"]
    assert not ConsentReceipt.objects.exists()


@pytest.mark.parametrize(("raw", "status", "code"), [
    (b'{"site": "softcode",', 400, "malformed_json"),
    (b"\xff\xfe not utf-8", 400, "malformed_json"),
    (b"[1, 2]", 400, "malformed_json"),
    (b"", 400, "malformed_json"),
    (b'{"site": "softcode", "pad": "' + b"x" * 5000 + b'"}', 413, "too_large"),
])
def test_malformed_or_oversized_bodies_are_refused_before_parsing(post, policy, raw, status, code):
    response = post(raw=raw)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert not ConsentReceipt.objects.exists()


def test_nothing_is_stored_when_no_policy_is_published(post, db):
    response = post({"site": "softcode", "visitor": "a" * 32, "choices": {}, "policy": "a" * 64,
                     "method": "reject_all", "banner": "1"})
    assert response.status_code == 400
    assert response.json()["error"] == "unknown_policy_version"


# The limit counts in fixed one-minute windows: start at a window's beginning, so the burst
# cannot straddle two windows however slow the machine is.
@freeze_time("2026-11-25 12:00:00", tick=True)
@override_settings(PRIVET_CONSENT_RATE_LIMIT=3)
def test_one_client_is_rate_limited_and_others_are_not(post, receipt):
    codes = [post(receipt(), REMOTE_ADDR="198.51.100.7").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    assert post(receipt(), REMOTE_ADDR="198.51.100.8").status_code == 201
    assert ConsentReceipt.objects.count() == 4


class TestCors:
    def test_a_declared_website_may_send_receipts(self, client, post, receipt):
        preflight = client.options("/api/consent/receipts", HTTP_ORIGIN="https://www.softcode-ai.pl",
                                   HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
        assert preflight.status_code == 204
        assert preflight["Access-Control-Allow-Origin"] == "https://www.softcode-ai.pl"
        assert "POST" in preflight["Access-Control-Allow-Methods"]
        assert "Content-Type" in preflight["Access-Control-Allow-Headers"]
        response = post(receipt(), HTTP_ORIGIN="https://www.softcode-ai.pl")
        assert response.status_code == 201
        assert response["Access-Control-Allow-Origin"] == "https://www.softcode-ai.pl"
        assert "Origin" in response["Vary"]

    def test_an_undeclared_origin_gets_no_cors_and_cannot_post(self, client, post, receipt):
        preflight = client.options("/api/consent/receipts", HTTP_ORIGIN="https://evil.example",
                                   HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
        assert preflight.status_code == 403
        assert "Access-Control-Allow-Origin" not in preflight
        config = client.get("/api/consent/config", {"site": "softcode"},
                            HTTP_ORIGIN="https://evil.example")
        assert "Access-Control-Allow-Origin" not in config
        response = post(receipt(), HTTP_ORIGIN="https://evil.example")
        assert response.status_code == 403
        assert response.json()["error"] == "origin_not_allowed"
        assert not ConsentReceipt.objects.exists()

    def test_a_site_cannot_post_for_another_declared_site(self, post, receipt):
        response = post(receipt(site="privet"), HTTP_ORIGIN="https://softcode-ai.pl")
        assert response.status_code == 403

    def test_same_origin_needs_no_cors(self, post, receipt):
        response = post(receipt(site="privet"), HTTP_ORIGIN="http://testserver")
        assert response.status_code == 201
        assert "Access-Control-Allow-Origin" not in response


class TestConfig:
    def test_purposes_labels_and_texts_come_in_the_page_language(self, client, policy):
        en = client.get("/api/consent/config", {"site": "softcode", "lang": "en"}).json()
        pl = client.get("/api/consent/config", {"site": "softcode", "lang": "pl-PL"}).json()
        assert [p["id"] for p in en["purposes"]] == ["essential", "analytics", "marketing"]
        assert [p["label"] for p in en["purposes"]] == ["Essential", "Analytics", "Marketing"]
        assert [p["label"] for p in pl["purposes"]] == ["Niezbędne", "Analityczne", "Marketingowe"]
        assert (en["text"]["accept"], en["text"]["reject"]) == ("Accept all", "Reject all")
        assert (pl["text"]["accept"], pl["text"]["reject"]) == ("Zaakceptuj wszystkie",
                                                                "Odrzuć wszystkie")
        assert pl["policy_url"].endswith("/pl/polityka-prywatnosci/")
        assert en["policy"] == policy.content_hash
        assert [p["required"] for p in en["purposes"]] == [True, False, False]
        assert [p["gpc"] for p in en["purposes"]] == [False, False, True]
        assert en["purposes"][1]["signals"] == ["analytics_storage"]
        assert en["purposes"][1]["cookies"] == ["_ga", "_ga_*"]
        assert all(not text.startswith(" ") for text in pl["text"].values())
        assert set(en["text"]) == set(pl["text"]) and en["text"] != pl["text"]

    def test_an_unknown_language_falls_back_to_english(self, client, policy):
        assert client.get("/api/consent/config", {"site": "softcode", "lang": "de"}).json()["lang"] == "en"

    def test_sec_gpc_header_is_reported(self, client, policy):
        config = client.get("/api/consent/config", {"site": "softcode"}, HTTP_SEC_GPC="1")
        assert config.json()["gpc"] is True
        assert "Sec-GPC" in config["Vary"]

    def test_unknown_site_and_missing_policy_are_4xx(self, client, db):
        assert client.get("/api/consent/config", {"site": "softcode"}).json()["error"] == "no_policy"
        publish_version(source=DEFAULT_FILE.read_text(), actor="test")
        response = client.get("/api/consent/config", {"site": "nope"})
        assert response.status_code == 400
        assert response.json()["error"] == "unknown_site"

    def test_a_change_of_cookie_purposes_changes_v(self, client, policy):
        before = client.get("/api/consent/config", {"site": "softcode"}).json()["v"]
        source = DEFAULT_FILE.read_text().replace('id: "1.0"', 'id: "1.1"', 1)
        new = source.replace("duration: {en: 3 months, pl: 3 miesiące}",
                             "duration: {en: 6 months, pl: 6 miesięcy}", 1)
        publish_version(source=new, actor="test")
        after = client.get("/api/consent/config", {"site": "softcode"}).json()
        assert after["v"] != before and after["policy"] != policy.content_hash


def test_the_api_is_documented_in_openapi(client):
    schema = client.get("/api/openapi.json").json()
    assert "post" in schema["paths"]["/api/consent/receipts"]
    assert "get" in schema["paths"]["/api/consent/config"]
    body = schema["paths"]["/api/consent/receipts"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]
