"""The archive an access or portability request answers with: a ZIP, encrypted at rest.

Inside: one JSON and one CSV file per source (the CSV through :mod:`privet.core.csv_export`'s
formula-safe cells, nested values flattened to dotted columns), and a ``README.txt`` in the
person's language with the Art. 15(1) information from the declaration in force: the purposes
and their legal bases, the categories, the recipients, the retention periods, where the data
came from, the person's rights and the supervisory authority.

Each source's export is written by its step (:func:`write_part`, encrypted, in the step's
transaction's lifetime: a killed worker's part is written again by the next run); the archive
step (:func:`build_archive`) puts the parts together. Everything is encrypted with Fernet
(cryptography's MultiFernet, so keys rotate): ``PRIVET_ARCHIVE_KEYS`` (comma-separated, newest
first), or keys derived by HKDF from ``SECRET_KEY`` and its fallbacks. The files live under
``PRIVET_DATA_DIR/rights/``; the link (:func:`download_url`) works for
:data:`~.deadlines.DOWNLOAD_DAYS` days, then housekeeping deletes the file
(:func:`delete_expired`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import uuid
import zipfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from privet.audit.services import Actor, append_event
from privet.core.csv_export import csv_lines
from privet.policy.rendering import cite_article, describe_rule
from privet.policy.selectors import declaration_in_force

from . import deadlines
from .errors import InvalidLink
from .labels import source_label
from .models import ExportArchive, RequestStep, RightsRequest

DOWNLOAD_SALT = "privet.rights.download"
HKDF_INFO = b"privet.rights.archive"


# --- keys and files ------------------------------------------------------------------------------

def _derived_key(secret: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        secret.encode())
    return base64.urlsafe_b64encode(raw)


def fernet() -> MultiFernet:
    """The archive keys, newest first: ``PRIVET_ARCHIVE_KEYS``, else derived from the secret key
    and its fallbacks (a rotated secret key still opens the archives of the last 7 days)."""
    keys = list(settings.PRIVET_ARCHIVE_KEYS) or [
        _derived_key(k) for k in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)]
    return MultiFernet([Fernet(k) for k in keys])


def root() -> Path:
    return Path(settings.DATA_DIR) / "rights"


def _parts_dir(request: RightsRequest) -> Path:
    return root() / "parts" / f"{request.public_id}-{request.attempt}"


def _write(path: Path, data: bytes) -> None:
    """Write encrypted ``data`` whole or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(fernet().encrypt(data))
    temporary.replace(path)


def write_part(request: RightsRequest, source: str, data: dict[str, Any]) -> None:
    """Keep one source's export for the archive step, encrypted (the export step calls it)."""
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()
    _write(_parts_dir(request) / f"{source}.json.enc", body)


def _read_part(request: RightsRequest, source: str) -> dict[str, Any]:
    return json.loads(fernet().decrypt((_parts_dir(request) / f"{source}.json.enc").read_bytes()))


# --- the archive's content ---------------------------------------------------------------------------

def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}{key}."))
        return flat
    if isinstance(value, list):
        return {prefix[:-1]: json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)}
    return {prefix[:-1]: value}


def to_csv(data: dict[str, Any]) -> str:
    """One source's export as one CSV: a row per record, ``kind`` naming the list it is from,
    nested values as dotted columns, lists as JSON; formula-safe cells."""
    rows = []
    for kind, records in data.items():
        for record in records if isinstance(records, list) else [records]:
            rows.append({"kind": kind, **_flatten(record if isinstance(record, dict)
                                                  else {"value": record})})
    header = ["kind", *sorted({k for row in rows for k in row} - {"kind"})]
    return "".join(csv_lines(header, ([row.get(k, "") for k in header] for row in rows)))


SOURCE_WORDS = {
    "data_subject": {"en": "you", "pl": "od Ciebie"},
    "client": {"en": "our client (your employer or the company you represent)",
               "pl": "nasz klient (Twój pracodawca lub firma, którą reprezentujesz)"},
    "integration_api": {"en": "an integration our client authorised",
                        "pl": "integracja autoryzowana przez naszego klienta"},
    "website_visit": {"en": "your visit to our website", "pl": "Twoja wizyta na naszej stronie"},
    "public_register": {"en": "a public register", "pl": "rejestr publiczny"},
    "operator": {"en": "our staff", "pl": "nasi pracownicy"},
}

README_TEXT = {
    "en": {
        "title": "Your data held by {controller} (request {ref}, {date})",
        "intro": "This archive answers your request under {article}. It holds one JSON "
                 "and one CSV file per place we keep data about you. Other people's names "
                 "(for example the staff member who wrote a note) are replaced by their role.",
        "files": "Files", "purposes": "Why we process your data, and on what legal basis",
        "categories": "Categories of data", "recipients": "Who receives the data",
        "retention": "How long we keep it", "sources": "Where the data comes from",
        "rights": "Your rights", "authority": "You may lodge a complaint with the supervisory "
                                              "authority", "contact": "Contact",
        "no_recipients": "No recipients are declared.",
    },
    "pl": {
        "title": "Twoje dane przetwarzane przez {controller} (żądanie {ref}, {date})",
        "intro": "To archiwum odpowiada na Twoje żądanie na podstawie {article}. "
                 "Zawiera jeden plik JSON i jeden CSV na każde miejsce, w którym przechowujemy "
                 "Twoje dane. Dane innych osób (np. pracownika, który dodał notatkę) zastąpiono "
                 "ich rolą.",
        "files": "Pliki", "purposes": "Dlaczego przetwarzamy Twoje dane i na jakiej podstawie",
        "categories": "Kategorie danych", "recipients": "Kto otrzymuje dane",
        "retention": "Jak długo je przechowujemy", "sources": "Skąd pochodzą dane",
        "rights": "Twoje prawa", "authority": "Możesz wnieść skargę do organu nadzorczego",
        "contact": "Kontakt", "no_recipients": "Nie wskazano odbiorców.",
    },
}


def readme(request: RightsRequest, sources: Iterable[str]) -> str:
    """The Art. 15(1) information, in the person's language, from the declaration in force;
    ``sources`` are the stores exported, each listed by its label with its two files."""
    from .models import ARTICLES

    lang = "pl" if request.language == "pl" else "en"
    words = README_TEXT[lang]
    d = declaration_in_force()
    with translation.override(lang):
        files = [f"- {source_label(s)}: {s}.json, {s}.csv" for s in sources]
    lines = [words["title"].format(controller=d.controller.name if d else "",
                                   ref=request.reference, date=timezone.localdate().isoformat()),
             "", words["intro"].format(article=cite_article(ARTICLES.get(request.right, "15"), lang)),
             "",
             f"== {words['files']} ==", *files, ""]
    if d is None:
        return "\n".join(lines)

    def t(text) -> str:
        return getattr(text, lang)

    lines.append(f"== {words['purposes']} ==")
    for p in d.purposes:
        bases = "; ".join(f"{t(d.legal_basis(b).label)} "
                          f"({cite_article(d.legal_basis(b).article, lang)})"
                          for b in p.legal_bases)
        lines += [f"- {t(p.label)}: {t(p.description)}", f"  {bases}"]
    lines += ["", f"== {words['categories']} =="]
    lines += [f"- {t(c.label)}: {t(c.description)}" for c in d.categories]
    lines += ["", f"== {words['recipients']} =="]
    lines += [f"- {t(r.label)}: {t(r.description)}" for r in d.recipients] or [
        words["no_recipients"]]
    lines += ["", f"== {words['retention']} =="]
    for rule in d.retention:
        lines.append(f"- {t(d.category(rule.category).label)} / {t(d.purpose(rule.purpose).label)}"
                     f": {describe_rule(rule, lang)} ({t(rule.legal_ground)})")
    lines += ["", f"== {words['sources']} =="]
    for c in d.categories:
        lines.append(f"- {t(c.label)}: "
                     + ", ".join(SOURCE_WORDS.get(s, {}).get(lang, s) for s in c.sources))
    lines += ["", f"== {words['rights']} =="]
    lines += [f"- {t(r.label)} ({cite_article(r.article, lang)}): {t(r.description)}"
              for r in d.rights]
    authority = d.supervisory_authority
    lines += ["", f"== {words['authority']} ==", f"{t(authority.name)}, {authority.address}, "
              f"{authority.url}", "", f"== {words['contact']} ==", str(d.privacy_contact.email),
              ""]
    return "\n".join(lines)


def build_archive(request: RightsRequest) -> dict[str, Any]:
    """The archive step: the ZIP of every exported part, encrypted, with its row; audited. Runs
    in the step's transaction: a worker killed after writing the file leaves no row, and the
    next run writes the same file again."""
    sources = list(RequestStep.objects.filter(
        request=request, attempt=request.attempt, action="export",
        state=RequestStep.State.DONE).order_by("source").values_list("source", flat=True))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in sources:
            data = _read_part(request, source)
            archive.writestr(f"{source}.json", json.dumps(data, ensure_ascii=False, indent=2,
                                                          cls=DjangoJSONEncoder))
            archive.writestr(f"{source}.csv", to_csv(data))
        archive.writestr("README.txt", readme(request, sources))
    plain = buffer.getvalue()
    relative = Path("rights") / "archives" / f"{request.public_id}-{request.attempt}.zip.enc"
    _write(Path(settings.DATA_DIR) / relative, plain)
    now = timezone.now()
    ExportArchive.objects.update_or_create(request=request, defaults={
        "path": str(relative), "size": len(plain), "sha256": hashlib.sha256(plain).hexdigest(),
        "created_at": now, "expires_at": now + timedelta(days=deadlines.DOWNLOAD_DAYS),
        "downloads": 0, "last_downloaded_at": None, "deleted_at": None})
    append_event(actor="system:rights", action="rights.archive_created", obj=request,
                 subject=request.email, details={"sources": sources, "bytes": len(plain),
                                                 "request_ref": request.reference})
    parts = _parts_dir(request)
    transaction.on_commit(lambda: shutil.rmtree(parts, ignore_errors=True))
    return {"archive": True, "sources": sources}


# --- the link --------------------------------------------------------------------------------------

def download_url(request: RightsRequest) -> str:
    """The person's signed download link (absolute), valid for
    :data:`~.deadlines.DOWNLOAD_DAYS` days: it names the request by its unguessable public id
    and the attempt whose archive it opens."""
    from privet.enquiries.notifications import absolute

    token = signing.dumps({"r": str(request.public_id), "a": request.attempt},
                          salt=DOWNLOAD_SALT, compress=True)
    return absolute(reverse("rights:download") + f"?t={token}")


class ArchiveGone(Exception):
    """The archive was deleted (its link expired) or never made."""


def open_archive(token: str, now: datetime | None = None) -> tuple[RightsRequest, ExportArchive]:
    """The request and archive a link names. Raises :class:`InvalidLink` (forged or expired,
    one message) or :class:`ArchiveGone` with ``deleted`` True (deleted) / False (none)."""
    try:
        data = signing.loads(token, salt=DOWNLOAD_SALT,
                             max_age=timedelta(days=deadlines.DOWNLOAD_DAYS))
        public_id, attempt = uuid.UUID(data["r"]), int(data["a"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError):
        raise InvalidLink(ngettext(
            "This download link is not valid: it may have expired (a link works for %(days)s "
            "day) or been mistyped.",
            "This download link is not valid: it may have expired (a link works for %(days)s "
            "days) or been mistyped.", deadlines.DOWNLOAD_DAYS)
            % {"days": deadlines.DOWNLOAD_DAYS}) from None
    request = RightsRequest.objects.filter(public_id=public_id).first()
    if request is None:
        raise ArchiveGone(False)
    archive = ExportArchive.objects.filter(request=request).first()
    if archive is None or request.attempt != attempt:
        raise ArchiveGone(False)
    if archive.deleted_at or archive.expires_at <= (now or timezone.now()):
        raise ArchiveGone(True)
    return request, archive


@transaction.atomic(durable=True)
def record_download(*, request: RightsRequest, archive: ExportArchive, actor: Actor) -> bytes:
    """Decrypt the archive for one download, counted and audited (each use)."""
    plain = fernet().decrypt((Path(settings.DATA_DIR) / archive.path).read_bytes())
    now = timezone.now()
    ExportArchive.objects.filter(pk=archive.pk).update(
        downloads=archive.downloads + 1, last_downloaded_at=now)
    append_event(actor=actor, action="rights.archive_downloaded", obj=request,
                 subject=request.email, details={"downloads": archive.downloads + 1})
    return plain


def delete_expired(now: datetime | None = None) -> int:
    """Delete archives whose link expired: file removed, row stamped ``deleted_at``, audited
    (housekeeping). Returns how many."""
    now = now or timezone.now()
    deleted = 0
    for pk in ExportArchive.objects.filter(deleted_at__isnull=True, expires_at__lte=now
                                           ).values_list("pk", flat=True):
        with transaction.atomic():
            archive = ExportArchive.objects.select_for_update().select_related("request").get(
                pk=pk)
            if archive.deleted_at:
                continue
            (Path(settings.DATA_DIR) / archive.path).unlink(missing_ok=True)
            ExportArchive.objects.filter(pk=pk).update(deleted_at=now)
            append_event(actor="system:rights", action="rights.archive_deleted",
                         obj=archive.request, subject=archive.request.email,
                         details={"downloads": archive.downloads})
            deleted += 1
    return deleted
