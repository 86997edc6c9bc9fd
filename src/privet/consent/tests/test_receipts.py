"""The receipts API as the banner and a hostile client use it: every choice is stored, nothing
else is, and bad input gets a clear 4xx."""

import json

import pytest
from django.test import override_settings
from freezegun import freeze_time
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from privet.consent.models import ConsentReceipt
from privet.consent.selectors import granted_purposes, receipts_for_visitor
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
    assert granted_purposes(history[0]) == ["essential", "analytics", "marketing"]
    assert granted_purposes(history[1]) == ["essential"]


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
    ({"gpc": "no"}, 422, "invalid_request"),
    ({"lang": "de"}, 422, "invalid_request"),
    ({"extra": 1}, 422, "invalid_request"),
])
def test_bad_input_gets_a_clear_4xx_and_stores_nothing(post, receipt, change, status, code):
    response = post(receipt(**change))
    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    assert response.json()["message"]
    assert not ConsentReceipt.objects.exists()


@pytest.mark.parametrize(("method", "choices", "named"), [
    ("reject_all", {"analytics": True, "marketing": False}, "grant analytics"),
    ("reject_all", {"analytics": True, "marketing": True}, "grant analytics, marketing"),
    ("accept_all", {"analytics": True, "marketing": False}, "do not grant marketing"),
    ("accept_all", {"analytics": True}, "do not grant marketing"),  # left out: not granted
    ("accept_all", {}, "do not grant analytics, marketing"),
])
def test_a_method_that_contradicts_the_choices_is_refused_and_nothing_stored(post, receipt, method,
                                                                           choices, named):
    response = post(receipt(method=method, choices=choices))
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "method_contradicts_choices"
    assert f"{method}, but choices {named}" in response.json()["message"]
    assert not ConsentReceipt.objects.exists()


@pytest.mark.parametrize(("method", "choices", "gpc"), [
    ("reject_all", {"analytics": False, "marketing": False}, False),
    ("reject_all", {}, False),
    ("reject_all", {"essential": True}, False),  # required purposes are not the visitor's to refuse
    ("accept_all", {"analytics": True, "marketing": True}, False),
    ("accept_all", {"analytics": True, "marketing": True, "essential": False}, False),
    ("accept_all", {"analytics": True, "marketing": False}, True),  # what the banner sends under GPC
    ("custom", {"analytics": True, "marketing": False}, False),
])
def test_a_method_that_agrees_with_the_choices_is_stored(post, receipt, method, choices, gpc):
    response = post(receipt(method=method, choices=choices, gpc=gpc))
    assert response.status_code == 201, response.content
    assert ConsentReceipt.objects.get().method == method


@pytest.mark.parametrize(("raw", "status", "code"), [
    (b'{"site": "softcode",', 400, "malformed_json"),
    (b"\xff\xfe not utf-8", 400, "invalid_utf8"),
    (b'{"site": "soft\xc5code"}', 400, "invalid_utf8"),
    ('{"site": "softcode"}'.encode("utf-16"), 400, "invalid_utf8"),  # JSON is UTF-8 (RFC 8259)
    (b"[1, 2]", 400, "malformed_json"),
    (b"null", 400, "malformed_json"),
    (b"[" * 3000, 400, "malformed_json"),  # deeper than json.loads recurses: no 500
    (b'{"choices": ' + b"[" * 3000, 400, "malformed_json"),
    (b'{"site": "softcode", "pad": "' + b"x" * 5000 + b'"}', 413, "too_large"),
])
def test_malformed_or_oversized_bodies_are_refused_before_parsing(post, policy, raw, status, code):
    response = post(raw=raw)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert not ConsentReceipt.objects.exists()


# Lax parsing would store "true", 1 or "yes" as a grant: only JSON true and false are choices.
@pytest.mark.parametrize("value", ["true", "false", 1, 0, "yes", None, [], {}, 1.0])
@pytest.mark.parametrize("field", ["choices.analytics", "gpc"])
def test_a_choice_is_only_ever_json_true_or_false(post, receipt, field, value):
    body = receipt()
    if field == "gpc":
        body["gpc"] = value
    else:
        body["choices"]["analytics"] = value
    response = post(body)
    assert response.status_code == 422, response.content
    assert response.json()["error"] == "invalid_request"
    assert [p["field"] for p in response.json()["problems"]] == [field]
    assert not ConsentReceipt.objects.exists()


def test_json_with_a_charset_is_fine(client, receipt):
    for content_type in ("application/json; charset=utf-8", "Application/JSON"):
        response = client.post("/api/consent/receipts", data=json.dumps(receipt()),
                               content_type=content_type)
        assert response.status_code == 201, (content_type, response.content)


@pytest.mark.parametrize("content_type", [
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
    "text/plain;charset=UTF-8",  # what navigator.sendBeacon sends; the banner uses fetch
    "application/jsonx",
    "",
])
def test_anything_but_json_is_refused_before_the_body_is_read(client, receipt, content_type):
    body = json.dumps(receipt()).encode()
    if content_type.startswith("multipart"):
        body = b'--xyz\r\nContent-Disposition: form-data; name="site"\r\n\r\nsoftcode\r\n--xyz--\r\n'
    elif content_type.startswith("application/x-www"):
        body = b"site=softcode&visitor=" + b"a" * 32
    response = client.generic("POST", "/api/consent/receipts", body, content_type=content_type)
    assert response.status_code == 415, response.content
    assert response.json()["error"] == "unsupported_media_type"
    assert not ConsentReceipt.objects.exists()


def _header(raw: bytes) -> str:
    return raw.decode("latin-1")  # what a WSGI server makes of header bytes


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.binary(max_size=20).map(_header),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.binary(max_size=8).map(_header), inner, max_size=4),
    max_leaves=20,
)
# A value that no field of a receipt accepts: not a string, not true/false, not an object of them.
not_a_field_value = (st.none() | st.integers() | st.floats(allow_nan=False)
                     | st.lists(st.integers(), min_size=1, max_size=3)
                     | st.dictionaries(st.sampled_from(["analytics", "ads", ""]), st.integers(),
                                       min_size=1, max_size=2))


def _broken_receipt(policy_hash: str):
    fields = st.sampled_from(["site", "visitor", "choices", "policy", "method", "gpc", "banner",
                              "lang"])
    return st.builds(
        lambda field, value: json.dumps({
            "site": "softcode", "visitor": "a" * 32, "choices": {"analytics": True},
            "policy": policy_hash, "method": "custom", "gpc": False, "banner": "1", "lang": "en",
            field: value,
        }).encode(),
        fields, not_a_field_value,
    )


def _junk_bodies(policy_hash: str):
    return st.one_of(
        st.binary(max_size=4096),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.integers(min_value=1, max_value=4000).map(lambda n: b"[" * n),
        st.integers(min_value=1, max_value=1300).map(lambda n: b'{"site": ' + b"[" * n + b"]" * n + b"}"),
        _broken_receipt(policy_hash),
    )


junk_settings = hypothesis_settings(
    max_examples=150, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@junk_settings
@given(data=st.data())
def test_junk_bodies_get_a_4xx_with_an_error_code_and_store_nothing(client, policy, settings, data):
    settings.PRIVET_CONSENT_RATE_LIMIT = 0  # the limit would answer 429 and hide the rest
    body = data.draw(_junk_bodies(policy.content_hash))
    response = client.generic("POST", "/api/consent/receipts", body, content_type="application/json")
    assert 400 <= response.status_code < 500, (body[:80], response.content[:200])
    assert response.json()["error"]
    assert not ConsentReceipt.objects.exists()


@junk_settings
@given(content_type=st.sampled_from(["text/plain", "multipart/form-data; boundary=--", "*/*",
                                     "application/xml", "application/json-seq", "json"])
       | st.binary(max_size=40).map(_header))
def test_junk_content_types_get_415_and_store_nothing(client, receipt, settings, content_type):
    from django.http.multipartparser import parse_header_parameters

    if parse_header_parameters(content_type)[0] == "application/json":
        return  # that one is right
    settings.PRIVET_CONSENT_RATE_LIMIT = 0
    response = client.generic("POST", "/api/consent/receipts", json.dumps(receipt()).encode(),
                              content_type=content_type)
    assert response.status_code == 415, (content_type, response.content[:200])
    assert response.json()["error"] == "unsupported_media_type"
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


# A proxy that writes the client's port or pads with zeros must not make each request a new
# client: the limit counts the address.
@freeze_time("2026-11-25 12:00:00", tick=True)
@override_settings(PRIVET_CONSENT_RATE_LIMIT=3, PRIVET_BEHIND_PROXY=1)
@pytest.mark.parametrize("forwarded", [
    ["203.0.113.5:51234", "203.0.113.5:51235", "203.0.113.005", "203.0.113.5"],
    ["[2001:db8::1]:443", "[2001:DB8:0:0::1]:8443", "2001:0db8::1", "2001:db8::42"],
    ["010.000.000.001", "10.0.0.1:80", "::ffff:10.0.0.1", "10.0.0.1"],
])
def test_a_proxy_that_adds_ports_or_zeros_does_not_dodge_the_rate_limit(post, receipt, forwarded):
    codes = [post(receipt(), REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=f"198.51.100.1, {value}")
             .status_code for value in forwarded]
    assert codes == [201, 201, 201, 429]
    other = post(receipt(), REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.6:51234")
    assert other.status_code == 201


@freeze_time("2026-11-25 12:00:00", tick=True)
@override_settings(PRIVET_CONSENT_RATE_LIMIT=3, PRIVET_BEHIND_PROXY=1)
def test_a_forwarded_value_that_is_no_address_counts_as_the_proxy_and_never_crashes(post, receipt):
    junk = ["not-an-ip", "999.1.1.1", "[2001:db8::1", "203.0.113.5:http", "", "1.2.3.4:5:6",
            "\u00e9t\u00e9", "[]:443"]
    codes = [post(receipt(), REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=value).status_code
             for value in junk]
    assert codes == [201, 201, 201] + [429] * (len(junk) - 3)  # one count: the proxy's


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

    def test_the_banner_names_the_declared_purposes_in_both_languages(self, client, policy):
        en = client.get("/api/consent/config", {"site": "softcode", "lang": "en"}).json()["text"]
        pl = client.get("/api/consent/config", {"site": "softcode", "lang": "pl"}).json()["text"]
        assert "cookies of these kinds: analytics and marketing." in en["intro"]
        assert "plików cookie z kategorii: analityczne i marketingowe." in pl["intro"]
        assert en["gpc"].endswith("so these cookies stay off: marketing.")
        assert pl["gpc"].endswith("pozostają wyłączone pliki cookie z kategorii: marketingowe.")
        assert en["error"] == "Your choice could not be saved. Please try again."
        assert pl["error"] == "Nie udało się zapisać Twojego wyboru. Spróbuj ponownie."

    def test_other_declared_purposes_are_listed_as_declared(self, policy):
        from django.utils import translation

        from privet.consent.api import banner_texts
        from privet.policy.schema import CookiePurpose

        extra = CookiePurpose.model_validate({
            "id": "functional", "label": {"en": "Functional", "pl": "Funkcjonalne"},
            "description": {"en": "Remember settings.", "pl": "Zapamiętują ustawienia."},
            "legal_basis": "consent",
        })
        purposes = [*policy.declaration().cookies.purposes, extra]
        with translation.override("en"):
            intro = banner_texts(purposes, "en")["intro"]
        assert "kinds: analytics, marketing and functional." in intro
        with translation.override("pl"):
            intro = banner_texts(purposes, "pl")["intro"]
        assert "kategorii: analityczne, marketingowe i funkcjonalne." in intro
        only_essential = purposes[:1]
        with translation.override("en"):
            texts = banner_texts(only_essential, "en")
        assert "would also like" not in texts["intro"] and texts["gpc"] == ""

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
