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

import contextlib
import hashlib
import hmac
import html
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
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
    # The account's content (one account: every TikTok account grant sees it) and the
    # advertisers' campaigns; see TikTokFake.seed.
    videos: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # video -> newest first
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # comment -> newest first
    conversations: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    short_pages: bool = False
    counts: dict[str, int] = field(default_factory=dict)  # calls per API path
    triggers: list[list[Any]] = field(default_factory=list)  # [path, after, action, code, count]
    serial: int = 0


# A field no contract names, in every object the fake serves: it must never be stored.
CANARY_FIELD = "x_unlisted_field"
CANARY = "CANARY-NOT-IN-ANY-CONTRACT"


def _envelope(code: int = 0, data: dict[str, Any] | None = None, message: str = "OK") -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": secrets.token_hex(10),
            "data": data if data is not None else {}}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: without TCP_NODELAY the body waits for the client's
    # delayed ACK (40 ms a request on Linux), which made every call to the fake that slow.
    disable_nagle_algorithm = True

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
            if failure is None:
                failure = _trigger(state, relative)
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

    def server_activate(self) -> None:
        super().server_activate()
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Drop the kept-alive connections too: a stopped platform answers nothing."""
        with self.sockets_lock:
            for sock in list(self.open_sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self.open_sockets.clear()


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


def _trigger(state: FakeState, path: str) -> int | None:
    """Count a call to ``path`` and fire a trigger set by ``fail_after``/``expire_after``:
    the envelope code to answer instead, or ``None`` to answer normally."""
    seen = state.counts[path] = state.counts.get(path, 0) + 1
    for trigger in state.triggers:
        where, after, action, code, left = trigger
        if where != path or seen <= after or left <= 0:
            continue
        trigger[4] -= 1
        if action == "expire":
            for token in state.tokens.values():
                if token.kind == "access" and token.authorisation.flow == "account":
                    token.expired = True
            return None  # the token check of this very call answers 40102
        return code
    return None


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


def _account_call(state: FakeState, data: dict[str, Any], access: str,
                  scope: str) -> tuple[dict[str, Any] | None, Token | None]:
    """``(error envelope, None)`` or ``(None, token)`` for a call on the business account."""
    code, token = _token(state, access, scope)
    if token is None:
        return _envelope(code, message="Token refused"), None
    if data.get("business_id") != token.authorisation.subject:
        return _envelope(40001, message="No permission for this business_id"), None
    return None, token


def _size(data: dict[str, Any], name: str, default: int, most: int) -> int | None:
    try:
        size = int(data.get(name) or default)
    except ValueError:
        return None
    return size if 1 <= size <= most else None


def _offset(data: dict[str, Any]) -> int:
    try:
        return max(int(data.get("cursor") or 0), 0)
    except ValueError:
        return 0


def _page(state: FakeState, items: list[dict[str, Any]], start: int, size: int) -> tuple[list, int]:
    """A page from ``start``; with ``short_pages`` it holds fewer items than asked (the
    platform's short pages), the cursor moving only past what it holds."""
    if state.short_pages and size > 2:
        size = size // 2 - 1
    page = items[start:start + size]
    return [{**i, CANARY_FIELD: CANARY} for i in page], start + len(page)


def _business_get_full(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    """``business/get/``: the profile, and with ``metrics`` among the fields (scope
    ``user.insights``) the daily figures between ``start_date`` and ``end_date``."""
    try:
        fields = json.loads(data.get("fields") or "[]")
    except ValueError:
        return _envelope(40002, message="fields must be a JSON list")
    if "metrics" not in fields:
        return _business_get(state, data, access)
    error, _ = _account_call(state, data, access, "user.insights")
    if error:
        return error
    try:
        start = date.fromisoformat(data.get("start_date", ""))
        end = date.fromisoformat(data.get("end_date", ""))
    except ValueError:
        return _envelope(40002, message="start_date and end_date are YYYY-MM-DD")
    if end < start or (end - start).days >= 60:
        return _envelope(40002, message="The range is at most 60 days")
    days = []
    for n in range((end - start).days + 1):
        day = start + timedelta(days=n)
        seed = day.toordinal()
        days.append({"date": day.isoformat(), "video_views": seed % 900 + 100,
                     "profile_views": seed % 90 + 10, "likes": seed % 300, "comments": seed % 40,
                     "shares": seed % 25, "followers_count": 1200 + seed % 50,
                     "audience_activity": [{"hour": 1, "count": 3}], CANARY_FIELD: CANARY})
    return _envelope(data={**dict(state.profile), "metrics": days})


def _videos(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    error, _ = _account_call(state, data, access, "video.list")
    if error:
        return error
    size = _size(data, "max_count", 10, 20)
    if size is None:
        return _envelope(40002, message="max_count is 1-20")
    try:
        cursor = int(data.get("cursor") or 0)
    except ValueError:
        return _envelope(40002, message="cursor is a time in milliseconds")
    older = [v for v in state.videos if not cursor or v["create_time"] * 1000 < cursor]
    page, _ = _page(state, older, 0, size)
    following = page[-1]["create_time"] * 1000 if page else cursor
    return _envelope(data={"videos": page, "cursor": following,
                           "has_more": len(older) > len(page)})


def _find_video(state: FakeState, video_id: str) -> bool:
    return any(v["item_id"] == video_id for v in state.videos)


def _comments(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    error, _ = _account_call(state, data, access, "comment.list")
    if error:
        return error
    video_id = str(data.get("video_id") or "")
    if not _find_video(state, video_id):
        return _envelope(40002, message="Invalid video_id")
    size = _size(data, "max_count", 20, 30)
    if size is None:
        return _envelope(40002, message="max_count is 1-30")
    items = state.comments.get(video_id, [])
    if data.get("status", "ALL") == "PUBLIC":
        items = [c for c in items if c["status"] == "PUBLIC"]
    if data.get("comment_ids"):
        try:
            wanted = set(json.loads(data["comment_ids"]))
        except ValueError:
            return _envelope(40002, message="comment_ids must be a JSON list")
        items = [c for c in items if c["comment_id"] in wanted] + [
            r for c in state.comments.get(video_id, [])
            for r in state.replies.get(c["comment_id"], []) if r["comment_id"] in wanted]
    start = _offset(data)
    page, following = _page(state, items, start, size)
    return _envelope(data={"comments": page, "cursor": following,
                           "has_more": following < len(items)})


def _replies(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    error, _ = _account_call(state, data, access, "comment.list")
    if error:
        return error
    size = _size(data, "max_count", 20, 30)
    if size is None:
        return _envelope(40002, message="max_count is 1-30")
    items = state.replies.get(str(data.get("comment_id") or ""), [])
    start = _offset(data)
    page, following = _page(state, items, start, size)
    return _envelope(data={"comments": page, "cursor": following,
                           "has_more": following < len(items)})


def _comment_by_id(state: FakeState, comment_id: str) -> tuple[list | None, dict | None]:
    for items in (*state.comments.values(), *state.replies.values()):
        for comment in items:
            if comment["comment_id"] == comment_id:
                return items, comment
    return None, None


def _reply_create(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    error, _ = _account_call(state, data, access, "comment.list.manage")
    if error:
        return error
    text = str(data.get("text") or "")
    if not text or len(text) > 150:
        return _envelope(40002, message="text is 1-150 characters")
    _, parent = _comment_by_id(state, str(data.get("comment_id") or ""))
    if parent is None or parent["parent_comment_id"] not in ("", "0"):
        return _envelope(40002, message="Invalid comment_id")
    reply = _new_comment(state, parent["video_id"], text, state.profile["username"],
                         parent=parent["comment_id"], owner=True)
    return _envelope(data={"comment_id": reply["comment_id"]})


def _comment_hide(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    error, _ = _account_call(state, data, access, "comment.list.manage")
    if error:
        return error
    action = data.get("action")
    _, comment = _comment_by_id(state, str(data.get("comment_id") or ""))
    if action not in ("HIDE", "UNHIDE") or comment is None:
        return _envelope(40002, message="Invalid comment_id or action")
    comment["status"] = "HIDDEN" if action == "HIDE" else "PUBLIC"
    return _envelope(data={})


def _comment_delete(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    error, _ = _account_call(state, data, access, "comment.list.manage")
    if error:
        return error
    items, comment = _comment_by_id(state, str(data.get("comment_id") or ""))
    if comment is None:
        return _envelope(40002, message="Invalid comment_id")
    _remove_comment(state, items, comment)
    return _envelope(data={})


def _remove_comment(state: FakeState, items: list, comment: dict[str, Any]) -> None:
    items.remove(comment)
    state.replies.pop(comment["comment_id"], None)
    for parent in state.comments.get(comment["video_id"], []):
        if parent["comment_id"] == comment["parent_comment_id"]:
            parent["replies"] = max(parent["replies"] - 1, 0)
    for video in state.videos:
        if video["item_id"] == comment["video_id"]:
            video["comments"] = max(video["comments"] - 1, 0)


def _conversations(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    error, _ = _account_call(state, data, access, "message.list.read")
    if error:
        return error
    kind = data.get("conversation_type")
    if kind not in ("SINGLE", "STRANGER"):
        return _envelope(40002, message="conversation_type is SINGLE or STRANGER")
    size = _size(data, "limit", 10, 100)
    if size is None:
        return _envelope(40002, message="limit is 1-100")
    items = [{k: c[k] for k in ("conversation_id", "up_time")}
             for c in state.conversations if c["type"] == kind]
    start = _offset(data)
    page, following = _page(state, items, start, size)
    return _envelope(data={"conversations": page, "cursor": following,
                           "has_more": following < len(items)})


def _messages(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    error, _ = _account_call(state, data, access, "message.list.read")
    if error:
        return error
    conversation = next((c for c in state.conversations
                         if c["conversation_id"] == data.get("conversation_id")), None)
    if conversation is None:
        return _envelope(40002, message="Param conversation_id is invalid.")
    participants = [
        {"username": state.profile["username"], "display_name": state.profile["display_name"],
         "role": "BUSINESS_ACCOUNT", "avatar": "https://p16.tiktokcdn.example/a.jpeg"},
        {"username": conversation["username"], "display_name": conversation["display_name"],
         "role": "PERSONAL_ACCOUNT", "avatar": "https://p16.tiktokcdn.example/b.jpeg",
         CANARY_FIELD: CANARY}]
    messages = [{**m, CANARY_FIELD: CANARY}
                for m in state.messages.get(conversation["conversation_id"], [])]
    return _envelope(data={"messages": messages, "participants": participants})


def _message_send(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    error, _ = _account_call(state, data, access, "message.list.send")
    if error:
        return error
    conversation = next((c for c in state.conversations
                         if c["conversation_id"] == data.get("recipient")), None)
    text = data.get("text") if isinstance(data.get("text"), dict) else {}
    body = str(text.get("body") or "")
    if conversation is None or data.get("recipient_type") != "CONVERSATION" or \
            data.get("message_type") != "TEXT" or not body or len(body) > 6000:
        return _envelope(40002, message="Invalid recipient, message_type or text")
    message = _new_message(state, conversation, body, state.profile["username"])
    return _envelope(data={"message_id": message["message_id"]})


def _advertiser_of(state: FakeState, data: dict[str, Any], access: str) -> tuple[dict | None, str]:
    code, token = _token(state, access)
    if token is None:
        return _envelope(code, message="Token refused"), ""
    advertiser = str(data.get("advertiser_id") or "")
    if token.authorisation.flow != "advertiser" or advertiser not in token.authorisation.advertiser_ids:
        return _envelope(40001, message="No permission for this advertiser_id"), ""
    return None, advertiser


def _pages(data: dict[str, Any], items: list[dict[str, Any]], most: int = 1000) -> dict[str, Any]:
    try:
        page, size = int(data.get("page") or 1), int(data.get("page_size") or 10)
    except ValueError:
        return _envelope(40002, message="page and page_size are numbers")
    if page < 1 or not 1 <= size <= most:
        return _envelope(40002, message=f"page from 1, page_size 1-{most}")
    total_page = max((len(items) + size - 1) // size, 1)
    return _envelope(data={"list": items[(page - 1) * size:page * size],
                           "page_info": {"page": page, "page_size": size,
                                         "total_number": len(items), "total_page": total_page}})


def _campaigns(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    error, advertiser = _advertiser_of(state, data, access)
    if error:
        return error
    items = [{**c, CANARY_FIELD: CANARY} for c in state.campaigns if c["advertiser_id"] == advertiser]
    return _pages(data, items)


def report_metrics(campaign_id: str, day: date) -> dict[str, str]:
    """The fake's figures for a campaign on a day (deterministic, strings as the platform
    sends them; a day before the campaign's first has none: "-")."""
    seed = (int(campaign_id[-3:]) * 7919 + day.toordinal()) % 1000
    impressions, clicks = 1000 + seed * 13, 10 + seed % 97
    spend = round(5 + seed / 10, 2)
    return {"spend": f"{spend:.2f}", "impressions": str(impressions), "clicks": str(clicks),
            "ctr": f"{clicks / impressions * 100:.4f}", "cpc": f"{spend / clicks:.4f}",
            "cpm": f"{spend / impressions * 1000:.4f}", "conversion": str(seed % 11)}


def _report(state: FakeState, data: dict[str, Any], access: str) -> dict[str, Any]:
    error, advertiser = _advertiser_of(state, data, access)
    if error:
        return error
    try:
        start = date.fromisoformat(data.get("start_date", ""))
        end = date.fromisoformat(data.get("end_date", ""))
        dimensions = json.loads(data.get("dimensions") or "[]")
        json.loads(data.get("metrics") or "[]")
    except ValueError:
        return _envelope(40002, message="Invalid dates, dimensions or metrics")
    if end < start or (end - start).days >= 30 or \
            dimensions != ["campaign_id", "stat_time_day"] or data.get("service_type") != "AUCTION":
        return _envelope(40002, message="A daily report covers at most 30 days")
    rows = []
    for campaign in state.campaigns:
        if campaign["advertiser_id"] != advertiser:
            continue
        for n in range((end - start).days + 1):
            day = start + timedelta(days=n)
            rows.append({"dimensions": {"campaign_id": campaign["campaign_id"],
                                        "stat_time_day": f"{day.isoformat()} 00:00:00"},
                         "metrics": {**report_metrics(campaign["campaign_id"], day),
                                     "reach": "12", CANARY_FIELD: CANARY}})
    return _pages(data, rows)


# --- the content the fake serves --------------------------------------------------------------------

COMMENTERS = (("ania.k", "Ania K."), ("tomek_b", "Tomek B."), ("ola.pl", "Ola"),
              ("marek77", "Marek"), ("zosia_z", "Zosia Z."))
WORDS = ("Pyszne ciasto!", "Kiedy otwarte w niedzielę?", "Polecam sernik",
         "Byłam wczoraj, super obsługa", "Czy macie opcję wegańską?", "Cena?")


def _next_id(state: FakeState, prefix: str) -> str:
    state.serial += 1
    return f"{prefix}{7_300_000_000_000_000_000 + state.serial}"


def _new_comment(state: FakeState, video_id: str, text: str, username: str, *,
                 parent: str = "", owner: bool = False, display_name: str = "",
                 create_time: int | None = None) -> dict[str, Any]:
    comment = {"comment_id": _next_id(state, ""), "video_id": video_id,
               "parent_comment_id": parent or "0", "text": text, "username": username,
               "display_name": display_name or username, "create_time": create_time or int(time.time()),
               "likes": 0, "replies": 0, "owner": owner, "liked": False, "pinned": False,
               "status": "PUBLIC", "unique_identifier": f"u{abs(hash(username)) % 10**8}"}
    if parent:
        state.replies.setdefault(parent, []).insert(0, comment)
        for items in state.comments.values():
            for item in items:
                if item["comment_id"] == parent:
                    item["replies"] += 1
    else:
        state.comments.setdefault(video_id, []).insert(0, comment)
    for video in state.videos:
        if video["item_id"] == video_id:
            video["comments"] += 1
    return comment


def _new_message(state: FakeState, conversation: dict[str, Any], body: str,
                 sender: str) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    message = {"message_id": _next_id(state, "m"), "conversation_id": conversation["conversation_id"],
               "sender": sender, "timestamp": now_ms, "message_type": "TEXT",
               "text": {"body": body}, "message_tag": {"source": "API"}}
    state.messages.setdefault(conversation["conversation_id"], []).append(message)
    conversation["up_time"] = now_ms
    return message


def _seed(state: FakeState, *, videos: int, comments: int, replies: int, conversations: int,
          messages: int, campaigns: int) -> None:
    now = int(time.time())
    for v in range(videos):
        video_id = _next_id(state, "")
        state.videos.append({
            "item_id": video_id, "caption": f"Film {v + 1}: nasze wypieki #kawiarnia",
            "create_time": now - (v + 1) * 86400,
            "share_url": f"https://www.tiktok.com/@kawiarnia_pod_lipa/video/{video_id}",
            "embed_url": "https://www.tiktok.com/embed/x",
            "thumbnail_url": "https://p16.tiktokcdn.example/thumb.jpeg", "video_duration": 21.5,
            "likes": 40 + v, "comments": 0, "shares": 3, "favorites": 2, "reach": 900,
            "video_views": 1500 + 10 * v})
        for c in range(comments):
            who, name = COMMENTERS[(v + c) % len(COMMENTERS)]
            comment = _new_comment(state, video_id, WORDS[(v + c) % len(WORDS)], who,
                                   display_name=name, create_time=now - (v + 1) * 86400 + (c + 1) * 600)
            for r in range(replies if c == 0 else 0):
                who, name = COMMENTERS[(v + c + r + 1) % len(COMMENTERS)]
                _new_comment(state, video_id, "Zgadzam się!", who, display_name=name,
                             parent=comment["comment_id"],
                             create_time=comment["create_time"] + (r + 1) * 60)
    for n in range(conversations):
        who, name = COMMENTERS[n % len(COMMENTERS)]
        conversation = {"conversation_id": f"conv-{secrets.token_hex(6)}",
                        "type": "SINGLE" if n % 2 == 0 else "STRANGER", "up_time": 0,
                        "username": who, "display_name": name}
        state.conversations.append(conversation)
        for m in range(messages):
            _new_message(state, conversation, f"Dzień dobry, pytanie {m + 1}: czy można zamówić tort?",
                         who if m % 2 == 0 else state.profile["username"])
    for advertiser in state.advertiser_ids:
        for n in range(campaigns):
            state.campaigns.append({
                "campaign_id": _next_id(state, ""), "advertiser_id": advertiser,
                "campaign_name": f"Kampania {n + 1}: jesień", "objective_type": "TRAFFIC",
                "secondary_status": "CAMPAIGN_STATUS_ENABLE", "budget": 500.0,
                "budget_mode": "BUDGET_MODE_DAY", "create_time": "2026-09-01 10:00:00",
                "modify_time": "2026-10-01 10:00:00", "is_smart_performance_campaign": False})


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
    ("GET", "business/get/"): _business_get_full,
    ("GET", "business/video/list/"): _videos,
    ("GET", "business/comment/list/"): _comments,
    ("GET", "business/comment/reply/list/"): _replies,
    ("POST", "business/comment/reply/create/"): _reply_create,
    ("POST", "business/comment/hide/"): _comment_hide,
    ("POST", "business/comment/delete/"): _comment_delete,
    ("GET", "business/message/conversation/list/"): _conversations,
    ("GET", "business/message/content/list/"): _messages,
    ("POST", "business/message/send/"): _message_send,
    ("GET", "campaign/get/"): _campaigns,
    ("GET", "report/integrated/get/"): _report,
}


class TikTokFake:
    """The fake server and its controls. Use as a context manager, or :meth:`start` and
    :meth:`stop`."""

    def __init__(self, *, app_id: str = "7000000000000000001", secret: str = "",
                 port: int = 0, content: bool = True) -> None:
        self.state = FakeState(app_id=app_id, secret=secret or secrets.token_hex(20))
        if content:
            self.seed()
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
            self._server.close_connections()
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

    # --- the account's content ----------------------------------------------------------------------
    def seed(self, *, videos: int = 3, comments: int = 4, replies: int = 2, conversations: int = 2,
             messages: int = 3, campaigns: int = 2) -> None:
        """Add content: videos (newest first, a day apart) with comments (the first of each
        with replies), conversations with messages, and campaigns for each advertiser."""
        with self.state.lock:
            _seed(self.state, videos=videos, comments=comments, replies=replies,
                  conversations=conversations, messages=messages, campaigns=campaigns)

    def clear(self) -> None:
        """No content at all (then :meth:`seed` or :meth:`add_comments` what a test needs)."""
        with self.state.lock:
            for part in (self.state.videos, self.state.comments, self.state.replies,
                         self.state.conversations, self.state.messages, self.state.campaigns):
                part.clear()

    @property
    def videos(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(v) for v in self.state.videos]

    def comments_of(self, video_id: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(c) for c in self.state.comments.get(video_id, [])]

    def comment(self, comment_id: str) -> dict[str, Any] | None:
        with self.state.lock:
            found = _comment_by_id(self.state, comment_id)[1]
            return dict(found) if found else None

    def add_comment(self, video_id: str, text: str, username: str = "nowy_klient", *,
                    parent: str = "", display_name: str = "") -> dict[str, Any]:
        """Someone comments on a video (or replies to ``parent``): the new comment."""
        with self.state.lock:
            return dict(_new_comment(self.state, video_id, text, username, parent=parent,
                                     display_name=display_name))

    def add_comments(self, video_id: str, count: int, *, start: int | None = None) -> None:
        """``count`` comments on a video, a second apart, the newest ``start`` (epoch s):
        the benchmark's load."""
        start = start or int(time.time())
        with self.state.lock:
            items = self.state.comments.setdefault(video_id, [])
            new = []
            for n in range(count):
                who, name = COMMENTERS[n % len(COMMENTERS)]
                self.state.serial += 1
                new.append({"comment_id": str(7_400_000_000_000_000_000 + self.state.serial),
                            "video_id": video_id, "parent_comment_id": "0",
                            "text": WORDS[n % len(WORDS)], "username": who, "display_name": name,
                            "create_time": start - n, "likes": n % 7, "replies": 0, "owner": False,
                            "liked": False, "pinned": False, "status": "PUBLIC",
                            "unique_identifier": f"u{n}"})
            items[:0] = new
            for video in self.state.videos:
                if video["item_id"] == video_id:
                    video["comments"] += count

    def delete_comment(self, comment_id: str) -> None:
        """The comment is deleted on the platform (by its author, or in TikTok's own app)."""
        with self.state.lock:
            items, comment = _comment_by_id(self.state, comment_id)
            assert comment is not None, comment_id
            _remove_comment(self.state, items, comment)

    def webhook(self, event: str, user_openid: str, content: dict[str, Any], *,
                at: int | None = None) -> tuple[dict[str, str], bytes]:
        """A webhook delivery as the platform sends it: ``(headers, body)``, the body
        ``{client_key, event, create_time, user_openid, content}`` (``content`` a JSON string)
        signed ``TikTok-Signature: t=<unix>,s=hex(HMAC-SHA256(app secret, "<t>.<body>"))``."""
        t = int(time.time()) if at is None else at
        body = json.dumps({"client_key": self.state.app_id, "event": event, "create_time": t,
                           "user_openid": user_openid, "content": json.dumps(content)}).encode()
        signature = hmac.new(self.state.secret.encode(), f"{t}.".encode() + body,
                             hashlib.sha256).hexdigest()
        return {"TikTok-Signature": f"t={t},s={signature}"}, body

    def set_comment(self, comment_id: str, **fields: Any) -> None:
        with self.state.lock:
            comment = _comment_by_id(self.state, comment_id)[1]
            assert comment is not None, comment_id
            comment.update(fields)

    @property
    def conversations(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(c) for c in self.state.conversations]

    def messages_of(self, conversation_id: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(m) for m in self.state.messages.get(conversation_id, [])]

    def add_message(self, conversation_id: str, text: str) -> dict[str, Any]:
        """The person in the conversation writes."""
        with self.state.lock:
            conversation = next(c for c in self.state.conversations
                                if c["conversation_id"] == conversation_id)
            return dict(_new_message(self.state, conversation, text, conversation["username"]))

    @property
    def campaigns(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(c) for c in self.state.campaigns]

    # --- the platform's moods mid-sync ----------------------------------------------------------------
    def short_pages(self, on: bool = True) -> None:
        """Pages hold fewer items than asked while more follow (the platform may do so)."""
        with self.state.lock:
            self.state.short_pages = on

    def fail_after(self, path: str, after: int, code: int = 40100, count: int = 1) -> None:
        """After ``after`` calls to ``path`` (``"business/comment/list/"``), the next ``count``
        answer ``code`` (40100: rate limited)."""
        with self.state.lock:
            after += self.state.counts.get(path, 0)  # counted from now
            self.state.triggers.append([path, after, "fail", code, count])

    def expire_after(self, path: str, after: int) -> None:
        """After ``after`` calls to ``path``, every TikTok account access token expires (the
        next call with one answers 40102)."""
        with self.state.lock:
            after += self.state.counts.get(path, 0)
            self.state.triggers.append([path, after, "expire", 0, 1])

    def call_count(self, path: str) -> int:
        with self.state.lock:
            return self.state.counts.get(path, 0)
