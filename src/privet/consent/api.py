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
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from privet.errors import PrivetError
from privet.policy.schema import LANGUAGES
from privet.policy.selectors import current_version

from . import BANNER_VERSION
from .middleware import is_same_origin
from .selectors import declaration_for_hash, purposes_hash, refused_by_gpc, site_for
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


def banner_texts() -> dict[str, str]:
    """The banner's own words, in the active language (app catalogue privet/consent/locale)."""
    return {
        "title": _("Cookies on this website"),
        "intro": _("We use essential cookies to make this website work. With your consent we "
                   "would also like to use analytics and marketing cookies. Nothing optional is "
                   "set until you choose, and you can change your mind at any time."),
        "policy": _("Privacy policy"),
        "accept": _("Accept all"),
        "reject": _("Reject all"),
        "settings": _("Settings"),
        "save": _("Save choices"),
        "close": _("Close"),
        "always": _("Always on"),
        "purposes": _("Cookie purposes"),
        "gpc": _("Your browser sends a Global Privacy Control signal, so marketing cookies stay "
                 "off."),
        "gpc_off": _("Off (Global Privacy Control)"),
    }


@router.get("/config", response=ConfigOut, summary="What the banner shows on a site", auth=None)
def config(
    request: HttpRequest,
    response: HttpResponse,
    site: Annotated[SiteId, Query(description="Website id, as in data-privet-site.")],
    lang: Annotated[str, Query(description="Page language; English when not spoken.")] = "en",
) -> dict:
    version = current_version()
    if version is None:
        raise NoPolicy("No privacy policy is published yet, so the banner has nothing to show.")
    declaration = version.declaration()
    if site_for(declaration, site) is None:
        raise UnknownSite(f"Site {site!r} is not declared in the policy's websites.")
    lang = lang[:2].lower() if lang[:2].lower() in LANGUAGES else "en"
    with translation.override(lang):
        policy_url = request.build_absolute_uri(reverse("policy:page"))
        texts = banner_texts()
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
    choices: dict[Annotated[str, StringConstraints(max_length=64)], bool] = Field(
        max_length=32, description="Per optional purpose: granted or not. Left out: not granted."
    )
    policy: Hex64 = Field(description="Content hash of the policy version the banner showed.")
    method: Literal["accept_all", "reject_all", "custom"]
    gpc: bool = False
    banner: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.\-]{1,16}$")]
    lang: Literal["en", "pl"] = "en"


class ReceiptOut(Schema):
    id: int
    visitor: str
    created_at: datetime
    choices: dict[str, bool]
    gpc: bool


class ErrorOut(Schema):
    error: str
    message: str


@router.post(
    "/receipts",
    response={201: ReceiptOut, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut, 429: ErrorOut},
    summary="Record a cookie choice",
    description=(
        "Stores a consent receipt: the choice per purpose, Global Privacy Control (the body's "
        "`gpc` or the `Sec-GPC: 1` header), the policy version hash and the banner version. "
        "No IP address is stored. Bodies over 4 kB get 413; more than PRIVET_CONSENT_RATE_LIMIT "
        "receipts a minute from one client get 429."
    ),
    auth=None,
)
def create_receipt(request: HttpRequest, payload: ReceiptIn):
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
