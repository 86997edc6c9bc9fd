"""A contract fake of TikTok API for Business, for the tests and the demo (never production).

A real HTTP server on 127.0.0.1 (an ephemeral port, a thread per request; the standard
library only, so ``privet demo`` can run it too) that answers as ``shared/tiktok-api.md`` says
the platform does:

- the two authorisation pages (an advertiser's, ``/portal/auth``, and a TikTok account's,
  ``/v2/auth/authorize/``): GET shows a small page with an "Authorise" and a "Cancel" button;
  the POST redirects to the ``redirect_uri`` with ``auth_code`` (advertiser) or ``code``
  (account) and the ``state``, or without a code when the owner cancelled;
- under ``/open_api/v1.3/``: the advertiser token exchange, revocation and account list, and
  the TikTok account token exchange, refresh, revocation, token info and ``business/get/``;
  every answer is the envelope ``{code, message, request_id, data}`` on HTTP 200, errors with
  a non-zero code (40101 bad app, 40110 bad code, 40102 token expired, 40103 refresh token
  expired, 40104 no token, 40105 invalid token, 40130 scope not granted, 40001 another account).

Its controls play the platform and the owner: :meth:`TikTokFake.expire_access`,
:meth:`~TikTokFake.expire_refresh`, :meth:`~TikTokFake.revoke_as_owner`,
:meth:`~TikTokFake.fail_next` (40100 rate limiting, 50000...), :meth:`~TikTokFake.grant_only`
(the owner unticks scopes); :attr:`~TikTokFake.requests` logs every request (method, path,
header names, parameters) for assertions. Tokens look like TikTok's: ``act.``/``rft.`` plus
random text for a TikTok account, 40 hex digits for an advertiser.

    with TikTokFake(app_id="7000", secret="s3cret") as fake:
        settings.PRIVET_TIKTOK_API_BASE = fake.api_base
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

API_PREFIX = "/open_api/v1.3/"
ADVERTISER_AUTH_PATH = "/portal/auth"
ACCOUNT_AUTH_PATH = "/v2/auth/authorize/"
ACCESS_SECONDS = 86400
REFRESH_SECONDS = 365 * 86400

# A business account's profile, as business/get/ answers it: more than any contract keeps.
PROFILE = {
    "username": "kawiarnia_pod_lipa", "display_name": "Kawiarnia pod Lipą",
    "profile_image": "https://p16.tiktokcdn.example/avatar.jpeg", "is_verified": False,
    "followers_count": 1234, "following_count": 56, "total_likes": 7890, "videos_count": 42,
    "bio_description": "Kawa i ciasto od 1998", "audience_countries": [{"country": "PL", "percentage": 0.9}],
}


@dataclass
class Request:
    """One request the fake received (for assertions): never shown in a log."""

    method: str
    path: str  # relative to the API prefix for API calls ("business/get/"), else the full path
    headers: tuple[str, ...]  # header names, lower case
    params: dict[str, str]  # the query string
    body: dict[str, Any]  # the JSON or form body


@dataclass
class Authorisation:
    """What an owner authorised: one TikTok account (``open_id``) or advertiser accounts."""

    flow: str
    subject: str  # open_id, or the advertiser ids joined
    scopes: tuple[str, ...]
    advertiser_ids: tuple[str, ...] = ()
    redirect_uri: str = ""
    code_challenge: str = ""


@dataclass
class Token:
    authorisation: Authorisation
    kind: str  # access | refresh
    expired: bool = False
    revoked: bool = False


@dataclass
class FakeState:
    app_id: str
    secret: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    codes: dict[str, Authorisation] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    only_scopes: tuple[str, ...] | None = None
    open_id: str = ""
    advertiser_ids: tuple[str, ...] = ("7001000000000000001", "7001000000000000002")
    profile: dict[str, Any] = field(default_factory=lambda: dict(PROFILE))


def _envelope(code: int = 0, data: dict[str, Any] | None = None, message: str = "OK") -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": secrets.token_hex(10),
            "data": data if data is not None else {}}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line carries tokens and secrets in query strings."""

    # --- plumbing -----------------------------------------------------------------------------
    def _read(self) -> tuple[str, dict[str, str], dict[str, Any]]:
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: dict[str, Any] = {}
        if raw:
            kind = self.headers.get("Content-Type", "")
            if "json" in kind:
                try:
                    loaded = json.loads(raw)
                except ValueError:
                    loaded = {}
                body = loaded if isinstance(loaded, dict) else {}
            else:
                body = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        return parts.path, params, body

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, envelope: dict[str, Any]) -> None:
        self._send(200, json.dumps(envelope).encode(), "application/json")

    def _handle(self) -> None:
        path, params, body = self._read()
        state = self.server.state
        relative = path[len(API_PREFIX):] if path.startswith(API_PREFIX) else path
        with state.lock:
            state.requests.append(Request(self.command, relative,
                                          tuple(sorted(h.lower() for h in self.headers)),
                                          params, body))
        if path in (ADVERTISER_AUTH_PATH, ACCOUNT_AUTH_PATH):
            return self._authorisation_page(path, params, body)
        if not path.startswith(API_PREFIX):
            return self._send(404, b"not found", "text/plain")
        with state.lock:
            failure = state.failures.pop(0) if state.failures else None
        if failure is not None:
            return self._json(_envelope(failure, message="Injected failure"))
        handler = API.get((self.command, relative))
        if handler is None:
            return self._json(_envelope(40002, message="No such endpoint"))
        with state.lock:
            return self._json(handler(state, {**params, **body}, self.headers.get("Access-Token", "")))

    do_GET = _handle
    do_POST = _handle

    # --- the owner's pages --------------------------------------------------------------------
    def _authorisation_page(self, path: str, params: dict[str, str], body: dict[str, str]) -> None:
        state = self.server.state
        flow = "advertiser" if path == ADVERTISER_AUTH_PATH else "account"
        app = params.get("app_id" if flow == "advertiser" else "client_key", "")
        redirect_uri = params.get("redirect_uri", "")
        if app != state.app_id or not redirect_uri:
            return self._send(400, b"unknown app or no redirect_uri", "text/plain")
        if flow == "account" and params.get("response_type") != "code":
            return self._send(400, b"response_type must be code", "text/plain")
        if self.command == "GET":
            scopes = params.get("scope", "")
            page = (
                "<!doctype html><html lang=en><head><title>Authorise (contract fake)</title>"
                "<link rel=icon href=\"data:,\"></head>"  # no /favicon.ico request (a 404)
                f"<body><h1>Authorise the app {html.escape(app)}</h1>"
                f"<p>Scopes: {html.escape(scopes) or '(the advertiser authorisation)'}</p>"
                f"<form method=post action=\"{html.escape(self.path)}\">"
                "<button name=decision value=authorise>Authorise</button> "
                "<button name=decision value=cancel>Cancel</button></form></body></html>")
            return self._send(200, page.encode(), "text/html; charset=utf-8")
        query: dict[str, str] = {}
        if body.get("decision") == "authorise":
            code = secrets.token_urlsafe(24)
            with state.lock:
                state.codes[code] = self._authorisation(flow, params)
                state.issued.append(code)
            query["auth_code" if flow == "advertiser" else "code"] = code
        elif flow == "account":
            query |= {"error": "access_denied", "error_description": "The user cancelled"}
        if "state" in params:
            query["state"] = params["state"]
        separator = "&" if urlsplit(redirect_uri).query else "?"
        return self._send(302, b"", "text/plain", {"Location": redirect_uri + separator + urlencode(query)})

    def _authorisation(self, flow: str, params: dict[str, str]) -> Authorisation:
        state = self.server.state
        if flow == "advertiser":
            ids = state.advertiser_ids
            return Authorisation("advertiser", ",".join(ids), ("1", "2", "4"), ids,
                                 params["redirect_uri"])
        requested = tuple(s for s in params.get("scope", "").split(",") if s)
        if state.only_scopes is not None:
            requested = tuple(s for s in requested if s in state.only_scopes)
        open_id = state.open_id or f"-000{secrets.token_hex(12)}"
        return Authorisation("account", open_id, requested, (), params["redirect_uri"],
                             params.get("code_challenge", ""))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: FakeState


# --- the API ----------------------------------------------------------------------------------------

def _new_token(state: FakeState, authorisation: Authorisation, kind: str) -> str:
    if authorisation.flow == "advertiser":
        value = secrets.token_hex(20)
    else:
        value = ("act." if kind == "access" else "rft.") + secrets.token_urlsafe(36)
    state.tokens[value] = Token(authorisation, kind)
    state.issued.append(value)
    return value


def _app_ok(state: FakeState, data: dict[str, Any], id_name: str, secret_name: str) -> bool:
    return (str(data.get(id_name, "")) == state.app_id
            and (not secret_name or str(data.get(secret_name, "")) == state.secret))


def _token(state: FakeState, value: str, scope: str = "") -> tuple[int, Token | None]:
    """The envelope code for a data call with ``value`` (0 if it may go on)."""
    if not value:
        return 40104, None
    token = state.tokens.get(value)
    if token is None or token.kind != "access" or token.revoked:
        return 40105, None
    if token.expired:
        return 40102, None
    if scope and scope not in token.authorisation.scopes:
        return 40130, None
    return 0, token


def _advertiser_token(state: FakeState, data: dict[str, Any], _: str) -> dict[str, Any]:
    if not _app_ok(state, data, "app_id", "secret"):
        return _envelope(40101, message="Invalid app_id or secret")
    authorisation = state.codes.pop(str(data.get("auth_code", "")), None)
    if authorisation is None or authorisation.flow != "advertiser":
        return _envelope(40110, message="Invalid auth_code")
    return _envelope(data={"access_token": _new_token(state, authorisation, "access"),
                           "advertiser_ids": list(authorisation.advertiser_ids),
                           "scope": [int(s) for s in authorisation.scopes]})


def _advertiser_revoke(state: FakeState, data: dict[str, Any], _: str) -> dict[str, Any]:
    if not _app_ok(state, data, "app_id", "secret"):
        return _envelope(40101, message="Invalid app_id or secret")
    token = state.tokens.get(str(data.get("access_token", "")))
    if token is None or token.revoked:
        return _envelope(40105, message="Invalid access token")
    token.revoked = True
    return _envelope(data={"app_id": state.app_id,
                           "advertiser_ids": list(token.authorisation.advertiser_ids)})


def _advertiser_accounts(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    if not _app_ok(state, data, "app_id", "secret"):
        return _envelope(40101, message="Invalid app_id or secret")
    code, token = _token(state, access)
    if token is None:
        return _envelope(code, message="Token refused")
    return _envelope(data={"list": [
        {"advertiser_id": i, "advertiser_name": f"Advertiser {i[-1]}", "currency": "PLN",
         "owner_email_hint": "not kept"} for i in token.authorisation.advertiser_ids]})


def _account_tokens(state: FakeState, authorisation: Authorisation) -> dict[str, Any]:
    return {"open_id": authorisation.subject, "scope": ",".join(authorisation.scopes),
            "access_token": _new_token(state, authorisation, "access"), "expires_in": ACCESS_SECONDS,
            "refresh_token": _new_token(state, authorisation, "refresh"),
            "refresh_token_expires_in": REFRESH_SECONDS, "token_type": "Bearer"}


def _account_token(state: FakeState, data: dict[str, Any], _: str) -> dict[str, Any]:
    if not _app_ok(state, data, "client_id", "client_secret"):
        return _envelope(40101, message="Invalid client_id or client_secret")
    if data.get("grant_type") != "authorization_code":
        return _envelope(40002, message="grant_type must be authorization_code")
    authorisation = state.codes.pop(str(data.get("auth_code", "")), None)
    if authorisation is None or authorisation.flow != "account" or \
            authorisation.redirect_uri != data.get("redirect_uri"):
        return _envelope(40110, message="Invalid auth_code")
    return _envelope(data=_account_tokens(state, authorisation))


def _account_refresh(state: FakeState, data: dict[str, Any], _: str) -> dict[str, Any]:
    if not _app_ok(state, data, "client_id", "client_secret"):
        return _envelope(40101, message="Invalid client_id or client_secret")
    token = state.tokens.get(str(data.get("refresh_token", "")))
    if token is None or token.kind != "refresh" or token.revoked:
        return _envelope(40105, message="Invalid refresh token")
    if token.expired:
        return _envelope(40103, message="Refresh token expired")
    token.revoked = True  # a refresh token is used once: the answer carries the next one
    return _envelope(data=_account_tokens(state, token.authorisation))


def _account_revoke(state: FakeState, data: dict[str, Any], _: str) -> dict[str, Any]:
    if not _app_ok(state, data, "client_id", "client_secret"):
        return _envelope(40101, message="Invalid client_id or client_secret")
    token = state.tokens.get(str(data.get("access_token", "")))
    if token is None or token.revoked:
        return _envelope(40105, message="Invalid access token")
    _revoke(state, token.authorisation.subject)
    return _envelope(data={})


def _token_info(state: FakeState, data: dict[str, Any], _: str) -> dict[str, Any]:
    if not _app_ok(state, data, "app_id", ""):
        return _envelope(40101, message="Invalid app_id")
    code, token = _token(state, str(data.get("access_token", "")))
    if token is None:
        return _envelope(code, message="Token refused")
    return _envelope(data={"app_id": state.app_id, "scope": ",".join(token.authorisation.scopes),
                           "creator_id": token.authorisation.subject})


def _business_get(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    code, token = _token(state, access, "user.info.basic")
    if token is None:
        return _envelope(code, message="Token refused")
    if data.get("business_id") != token.authorisation.subject:
        return _envelope(40001, message="No permission for this business_id")
    return _envelope(data=dict(state.profile))


def _revoke(state: FakeState, subject: str) -> int:
    revoked = 0
    for token in state.tokens.values():
        if token.authorisation.subject == subject and not token.revoked:
            token.revoked = True
            revoked += 1
    return revoked


API = {
    ("POST", "oauth2/access_token/"): _advertiser_token,
    ("POST", "oauth2/revoke_token/"): _advertiser_revoke,
    ("GET", "oauth2/advertiser/get/"): _advertiser_accounts,
    ("POST", "tt_user/oauth2/token/"): _account_token,
    ("POST", "tt_user/oauth2/refresh_token/"): _account_refresh,
    ("POST", "tt_user/oauth2/revoke/"): _account_revoke,
    ("POST", "tt_user/token_info/get/"): _token_info,
    ("GET", "business/get/"): _business_get,
}


class TikTokFake:
    """The fake server and its controls. Use as a context manager, or :meth:`start` and
    :meth:`stop`."""

    def __init__(self, *, app_id: str = "7000000000000000001", secret: str = "",
                 port: int = 0) -> None:
        self.state = FakeState(app_id=app_id, secret=secret or secrets.token_hex(20))
        self.port = port  # 0: any free port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- life -------------------------------------------------------------------------------------
    def start(self) -> TikTokFake:
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.state = self.state
        server = self._server
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05),
                                        name="tiktok-fake", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TikTokFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- where it is --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_base(self) -> str:
        return self.url + API_PREFIX

    @property
    def advertiser_auth_url(self) -> str:
        return self.url + ADVERTISER_AUTH_PATH

    @property
    def account_auth_url(self) -> str:
        return self.url + ACCOUNT_AUTH_PATH

    @property
    def app_id(self) -> str:
        return self.state.app_id

    @property
    def secret(self) -> str:
        return self.state.secret

    # --- what happened --------------------------------------------------------------------------
    @property
    def requests(self) -> list[Request]:
        with self.state.lock:
            return list(self.state.requests)

    def calls(self, path: str) -> list[Request]:
        """The requests to one API path (``"business/get/"``) or page path."""
        return [r for r in self.requests if r.path == path]

    def issued_tokens(self) -> list[str]:
        """Every authorisation code, access and refresh token the fake gave out (to look for
        them where they must never be)."""
        with self.state.lock:
            return list(self.state.issued)

    def live_tokens(self, subject: str) -> list[str]:
        with self.state.lock:
            return [v for v, t in self.state.tokens.items()
                    if t.authorisation.subject == subject and not t.revoked]

    # --- the platform's and the owner's doings ----------------------------------------------------
    def _subject_tokens(self, subject: str, kind: str) -> list[Token]:
        return [t for t in self.state.tokens.values()
                if t.authorisation.subject == subject and t.kind == kind and not t.revoked]

    def expire_access(self, subject: str) -> int:
        """The account's (``open_id``, or advertiser ids joined) access tokens expire (40102)."""
        with self.state.lock:
            tokens = self._subject_tokens(subject, "access")
            for token in tokens:
                token.expired = True
            return len(tokens)

    def expire_refresh(self, subject: str) -> int:
        """Its refresh tokens expire too (40103 on refresh): the owner must authorise again."""
        with self.state.lock:
            tokens = self._subject_tokens(subject, "refresh")
            for token in tokens:
                token.expired = True
            return len(tokens)

    def revoke_as_owner(self, subject: str) -> int:
        """The owner removes the app in their TikTok settings: every token of it is invalid
        (40105)."""
        with self.state.lock:
            return _revoke(self.state, subject)

    def fail_next(self, count: int, code: int = 40100) -> None:
        """The next ``count`` API calls answer ``code`` (40100 rate limited, 50000 system
        error, ...) whatever they ask."""
        with self.state.lock:
            self.state.failures.extend([code] * count)

    def grant_only(self, scopes: tuple[str, ...] | list[str] | None) -> None:
        """The owner grants only these of the scopes requested (``None``: all of them)."""
        with self.state.lock:
            self.state.only_scopes = tuple(scopes) if scopes is not None else None

    def set_profile(self, **fields: Any) -> None:
        with self.state.lock:
            self.state.profile.update(fields)
