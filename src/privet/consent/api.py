"""The banner's API: its configuration, and the receipts of the choices made in it.

Transport rules (CORS, the 4 kB limit, malformed JSON, the rate limit) are applied before these
views by :mod:`privet.consent.middleware`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, StrictBool, StringConstraints

from privet.api import ErrorOut, InvalidOut
from privet.core.outage import unavailable_as
from privet.errors import PrivetError
from privet.policy.schema import LANGUAGES, CookiePurpose
from privet.policy.selectors import current_version_for_hot_path, declaration_for_hash

from . import BANNER_VERSION
from .middleware import is_same_origin
from .selectors import purposes_hash, refused_by_gpc, site_for
from .services import UnknownSite, record_consent

router = Router(tags=["consent"])

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
SiteId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class NoPolicy(PrivetError):
    code = "no_policy"
    status = 404


class OriginNotAllowed(PrivetError):
    code = "origin_not_allowed"
    status = 403


def gpc_header(request: HttpRequest) -> bool:
    """Global Privacy Control as the browser's ``Sec-GPC: 1`` request header."""
    return request.headers.get("Sec-GPC", "").strip() == "1"


class PurposeOut(Schema):
    id: str
    label: str
    description: str
    required: bool
    gpc: bool = Field(description="Refused whenever Global Privacy Control is on.")
    signals: list[str] = Field(description="Google Consent Mode v2 signals the purpose grants.")
    cookies: list[str] = Field(description="Cookie names (a trailing * is a prefix).")


class ConfigOut(Schema):
    site: str
    lang: str
    policy: str = Field(description="Content hash of the policy version in force.")
    v: str = Field(description="Hash of the cookie purposes; a new value asks visitors again.")
    banner: str
    gpc: bool = Field(description="The request carried Sec-GPC: 1.")
    css: str
    policy_url: str
    text: dict[str, str]
    purposes: list[PurposeOut]


def word_list(words: list[str]) -> str:
    """``a, b and c`` in the active language (Polish: ``a, b i c``)."""
    if len(words) < 2:
        return "".join(words)
    return _("%(list)s and %(last)s") % {"list": ", ".join(words[:-1]), "last": words[-1]}


def _in_sentence(label: str) -> str:
    """A purpose label inside a sentence: "Analytics" -> "analytics", but "SEO" stays."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def banner_texts(purposes: list[CookiePurpose], lang: str) -> dict[str, str]:
    """The banner's own words, in the active language (app catalogue privet/consent/locale).

    The intro and the GPC notice name the declared purposes, so a declaration with other
    purposes than analytics and marketing is described as it is.
    """
    optional = [_in_sentence(p.label.get(lang)) for p in purposes if not p.required]
    refused = [_in_sentence(p.label.get(lang)) for p in purposes if refused_by_gpc(p)]
    intro = [_("We use essential cookies to make this website work.")]
    if optional:
        intro.append(ngettext(
            "With your consent we would also like to use cookies of this kind: %(purposes)s.",
            "With your consent we would also like to use cookies of these kinds: %(purposes)s.",
            len(optional),
        ) % {"purposes": word_list(optional)})
    intro.append(_("Nothing optional is set until you choose, and you can change your mind at "
                   "any time."))
    gpc = _("Your browser sends a Global Privacy Control signal, so these cookies stay off: "
            "%(purposes)s.") % {"purposes": word_list(refused)} if refused else ""
    return {
        "title": _("Cookies on this website"),
        "intro": " ".join(intro),
        "policy": _("Privacy policy"),
        "accept": _("Accept all"),
        "reject": _("Reject all"),
        "settings": _("Settings"),
        "save": _("Save choices"),
        "close": _("Close"),
        "always": _("Always on"),
        "purposes": _("Cookie purposes"),
        "gpc": gpc,
        "gpc_off": _("Off (Global Privacy Control)"),
        "error": _("Your choice could not be saved. Please try again."),
    }


@router.get(
    "/config",
    response={200: ConfigOut, 400: ErrorOut, 404: ErrorOut, 422: InvalidOut,
              503: ErrorOut},
    summary="What the banner shows on a site",
    description=(
        "The banner's texts and purposes for `site` in the policy in force. A site the policy "
        "does not declare is 400 `unknown_site` (so is a query string that is not UTF-8 or holds "
        "a NUL character); no published policy is 404 `no_policy`; a missing or over-long "
        "`site` is 422 `invalid_request`; while the database is unavailable (a restart) the "
        "answer is 503 `unavailable` with `Retry-After`. Answers HEAD too. Cached for a minute by browsers "
        "(`Cache-Control: public, max-age=60`)."
    ),
    auth=None,
)
def config(
    request: HttpRequest,
    response: HttpResponse,
    site: Annotated[SiteId, Query(description="Website id, as in data-privet-site.")],
    lang: Annotated[str, Query(description="Page language; English when not spoken.")] = "en",
) -> dict:
    version = current_version_for_hot_path()
    if version is None:
        raise NoPolicy("No privacy policy is published yet, so the banner has nothing to show.")
    declaration = version.declaration()
    if site_for(declaration, site) is None:
        raise UnknownSite(f"Site {site!r} is not declared in the policy's websites.")
    lang = lang[:2].lower() if lang[:2].lower() in LANGUAGES else "en"
    with translation.override(lang):
        policy_url = request.build_absolute_uri(reverse("policy:page"))
        texts = banner_texts(declaration.cookies.purposes, lang)
    response["Cache-Control"] = "public, max-age=60"
    response["Vary"] = "Sec-GPC"
    return {
        "site": site,
        "lang": lang,
        "policy": version.content_hash,
        "v": purposes_hash(declaration),
        "banner": BANNER_VERSION,
        "gpc": gpc_header(request),
        "css": request.build_absolute_uri(static("consent/consent.css")),
        "policy_url": policy_url,
        "text": texts,
        "purposes": [
            {
                "id": p.id,
                "label": p.label.get(lang),
                "description": p.description.get(lang),
                "required": p.required,
                "gpc": refused_by_gpc(p),
                "signals": list(p.consent_mode),
                "cookies": [n.strip() for c in p.cookies for n in c.name.split(",") if n.strip()],
            }
            for p in declaration.cookies.purposes
        ],
    }


class ReceiptIn(Schema):
    model_config = ConfigDict(extra="forbid")

    site: SiteId
    visitor: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] = Field(
        description="Random id from the visitor's essential consent cookie (32 hex characters)."
    )
    # Strict: only JSON true or false. Lax mode would read "true", 1 or "yes" as a grant, and a
    # receipt must not hold a consent the visitor did not unambiguously give.
    choices: dict[Annotated[str, StringConstraints(max_length=64)], StrictBool] = Field(
        max_length=32, description="Per optional purpose: granted or not (JSON true or false only). "
                                   "Left out: not granted."
    )
    policy: Hex64 = Field(description="Content hash of the policy version the banner showed.")
    method: Literal["accept_all", "reject_all", "custom"]
    gpc: StrictBool = False
    banner: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.\-]{1,16}$")]
    lang: Literal["en", "pl"] = "en"


class ReceiptOut(Schema):
    id: int
    visitor: str
    created_at: datetime
    choices: dict[str, bool]
    gpc: bool


@router.post(
    "/receipts",
    response={201: ReceiptOut, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut, 415: ErrorOut,
              422: InvalidOut, 429: ErrorOut, 503: ErrorOut},
    summary="Record a cookie choice",
    description=(
        "Stores a consent receipt: the choice per purpose, Global Privacy Control (the body's "
        "`gpc` or the `Sec-GPC: 1` header), the policy version hash and the banner version. "
        "No IP address is stored. The body is JSON (`Content-Type: application/json`, else 415) "
        "of at most 4 kB (else 413); `choices` values and `gpc` are JSON `true` or `false` only "
        "(anything else is 422 `invalid_request`, the field named under `problems`). A `method` "
        "that contradicts `choices` (`reject_all` granting an optional purpose, `accept_all` "
        "refusing one that Global Privacy Control does not refuse) is 400 "
        "`method_contradicts_choices`. More than "
        "PRIVET_CONSENT_RATE_LIMIT receipts a minute from one client get 429. While the "
        "database is unavailable (a restart) nothing is stored and the answer is 503 "
        "`unavailable` with a `Retry-After` header (seconds): send the same receipt again then."
    ),
    auth=None,
)
def create_receipt(request: HttpRequest, payload: ReceiptIn):
    # A database restart is a 503 saying, in the banner's words and language, that the choice
    # was not saved (the banner keeps nothing optional on); never a 500.
    with translation.override(payload.lang):
        not_saved = _("Your choice could not be saved. Please try again.")
    with unavailable_as(not_saved):
        origin = request.headers.get("Origin", "").lower()
        if origin and not is_same_origin(request, origin):
            version_site = _site_origins(payload.policy, payload.site)
            if version_site is not None and origin not in version_site:
                raise OriginNotAllowed(f"{origin} is not an origin of site {payload.site!r}.")
        receipt = record_consent(
            site=payload.site,
            visitor_id=payload.visitor,
            choices=payload.choices,
            policy_hash=payload.policy,
            method=payload.method,
            gpc=payload.gpc or gpc_header(request),
            banner_version=payload.banner,
            language=payload.lang,
            user_agent=request.headers.get("User-Agent", ""),
        )
    return Status(201, {
        "id": receipt.pk,
        "visitor": receipt.visitor_id,
        "created_at": receipt.created_at,
        "choices": receipt.choices,
        "gpc": receipt.gpc,
    })


def _site_origins(policy_hash: str, site: str) -> frozenset[str] | None:
    """The origins of ``site`` under that policy version; ``None`` lets the service say why not."""
    declaration = declaration_for_hash(policy_hash)
    found = site_for(declaration, site) if declaration else None
    return found.origins if found else None
