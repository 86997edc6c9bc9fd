"""Which policy is in force, and its history: the one place that answers it.

Every other module asks here: the banner and its API, consent receipts, the contact form's
notice, enquiries and the audit log (through the provider :class:`~privet.policy.apps.PolicyConfig`
registers). Two kinds of answer, with different costs:

* Exact: :func:`current_version`, :func:`current_hash`, :func:`declaration_in_force` read the
  version in force from the database on every call (one query). Whatever *records* which policy
  applied (a consent receipt, an enquiry, an audit event) must use these, so the record names the
  version in force at that moment, even one published a second ago in another process.
* Hot path: :func:`current_version_for_hot_path` keeps the version a process last read for up to
  :data:`HOT_PATH_MAX_AGE` seconds, for answers that record nothing (CORS origins of the consent
  API, the banner's configuration) and must not cost a query per request.

A version's declaration is parsed from its canonical JSON, the very text its content hash covers,
once per process: published versions never change, so the one cache (:mod:`privet.policy.cache`)
keeps them by hash for good.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from . import cache
from .cache import HOT_PATH_MAX_AGE
from .loader import load_declaration
from .models import PolicyVersion
from .schema import Declaration


def _in_force() -> QuerySet[PolicyVersion]:
    """Versions whose effective date has come, the one in force first."""
    return PolicyVersion.objects.filter(effective__lte=timezone.localdate()).order_by(
        "-effective", "-published_at"
    )


def current_version() -> PolicyVersion | None:
    """The newest version whose effective date has come (one query).

    The row comes without its two large texts: its ``declaration()`` is cached per process by
    hash, and only the first call in a process for that version reads ``canonical`` (one query).
    """
    return _in_force().defer("canonical", "source").first()


def current_hash() -> str:
    """The content hash of the version in force, ``""`` when none is published (one query).

    Exact, never the hot-path copy: receipts, enquiries and audit events store it as proof of
    which text applied when they were made.
    """
    return _in_force().values_list("content_hash", flat=True).first() or ""


def declaration_of(version: PolicyVersion) -> Declaration:
    """``version``'s declaration, from the process cache (reads ``canonical`` once per process
    if the row was loaded without it). What :meth:`PolicyVersion.declaration` delegates to."""
    return cache._cache.declaration_of(version)


def declaration_in_force() -> Declaration | None:
    """The declaration of the version in force, ``None`` before the first publication.

    One query (:func:`current_version`); one more the first time a process meets that version.
    """
    version = current_version()
    return declaration_of(version) if version is not None else None


def declaration_in_force_or_file() -> tuple[Declaration, str]:
    """The declaration in force and its hash; before the first publication, the configured file
    (``PRIVET_DEFAULT_POLICY_FILE``) with hash ``""``.

    For the contact form's notice (Art. 13): data is collected from the first request, so the page
    must say who collects what even before anything is published, and the file is what
    ``privet demo``/``serve`` publish first. The empty hash keeps anything from recording that
    unpublished text as a version. The file is read and validated on each call (only until the
    first publication), so an operator's edits show at once; nothing else should fall back to it.
    """
    version = current_version()
    if version is not None:
        return declaration_of(version), version.content_hash
    return load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE), ""


def declaration_for_hash(content_hash: str) -> Declaration | None:
    """The declaration published under ``content_hash``, or ``None`` if no version has it.

    A query only when the process has not met that version yet (checking the hash a consent
    receipt was given under costs one query the first time and none after); an unknown hash is
    not cached and costs one query each time.
    """
    if (found := cache._cache.declarations.get(content_hash)) is not None:
        return found
    version = PolicyVersion.objects.filter(content_hash=content_hash).only(
        "content_hash", "canonical"
    ).first()
    return declaration_of(version) if version is not None else None


def current_version_for_hot_path() -> PolicyVersion | None:
    """:func:`current_version`, re-read at most every :data:`HOT_PATH_MAX_AGE` seconds per process.

    Only for answers that do not record which version was in force: a receipt, an enquiry or an
    audit event stores :func:`current_hash` (or the hash the visitor was shown).
    """
    now, today = time.monotonic(), timezone.localdate()
    hot = cache._cache.hot
    if hot is None or now - hot[0] >= HOT_PATH_MAX_AGE or hot[1] != today:
        hot = cache._cache.hot = (now, today, current_version())
    return hot[2]


def forget_hot_path_version() -> None:
    """After a publish in this process, read the version afresh at once (tests, the CLI).

    Only the hot-path row is dropped: declarations are kept by hash, and a hash never changes
    meaning, so nothing else can be stale.
    """
    cache._cache.hot = None


def version_history() -> QuerySet[PolicyVersion]:
    """Every published version, the newest effective date first (scheduled ones included)."""
    return PolicyVersion.objects.order_by("-effective", "-published_at")


def version_by_id(version: str) -> PolicyVersion | None:
    """The version published under the id ``version`` (``"1.0"``), or ``None``."""
    return PolicyVersion.objects.filter(version=version).first()

