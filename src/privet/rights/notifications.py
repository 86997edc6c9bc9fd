"""The mail of a rights request, written when it is sent: plain text, in the request's language.

One template per :class:`~.models.MailKind` under ``rights/mail/``. Nothing the person typed is
echoed (not the details, not a phone): the portal must not be a way to send chosen text to
someone else's address. What a mail says comes from the request's own fields, the operator's
words (the reason for an extension or a refusal, what proof is asked) and ``request.result``
(counts and reasons, no personal data). The reminder goes to operators and names only the
reference, the right and the due date, with a link to the panel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from privet.core import mail as mail_transport
from privet.enquiries.notifications import absolute, operator_recipients
from privet.policy.rendering import cite_article
from privet.policy.selectors import declaration_in_force_or_file

from . import deadlines, labels, links
from .errors import NoOperatorAddress
from .models import (
    ARTICLES,
    ExportArchive,
    MailKind,
    RefusalGround,
    Right,
    RightsMail,
    RightsRequest,
)


def _subject(kind: str) -> str:
    """The subject's English text, translated when rendered (listed so makemessages finds them)."""
    return {
        MailKind.VERIFICATION: gettext("Confirm your request %(ref)s"),
        MailKind.VERIFIED: gettext("Your request %(ref)s is confirmed"),
        MailKind.PROOF_ASKED: gettext("Your request %(ref)s: we need more proof of identity"),
        MailKind.EXTENDED: gettext("Your request %(ref)s: the deadline is extended"),
        MailKind.COMPLETED: gettext("Your request %(ref)s is answered"),
        MailKind.REFUSED: gettext("Your request %(ref)s: our answer"),
        MailKind.ROUTED: gettext("Your request %(ref)s: passed to the controller"),
        MailKind.REMINDER: gettext("Rights request %(ref)s is due %(due)s"),
    }[kind]


def recipients(mail: RightsMail) -> list[str]:
    """Who the mail goes to: the person, or for a reminder the assigned operator (else every
    operator, as for enquiries). Raises :class:`NoOperatorAddress` when that is nobody."""
    request = mail.request
    if mail.kind != MailKind.REMINDER:
        return [request.email]
    operator = request.assigned_to
    if operator is not None and operator.is_active and operator.email:
        return [operator.email]
    found = operator_recipients()
    if not found:
        raise NoOperatorAddress("No operator has an email address and PRIVET_OPERATOR_EMAILS is "
                                "empty.")
    return found


def panel_url(request: RightsRequest) -> str:
    """The request's page in the panel (the panel's home until that page exists)."""
    for name, args in (("panel:rights-request", [request.pk]), ("panel:dashboard", [])):
        try:
            with translation.override(settings.LANGUAGE_CODE):
                return absolute(reverse(name, args=args))
        except NoReverseMatch:
            continue
    return absolute("/panel/")


def download_url(request: RightsRequest) -> str:
    """The export's signed download link (:func:`privet.rights.archive.download_url`)."""
    from .archive import download_url as archive_download_url

    return archive_download_url(request)


def _sources(result: dict[str, Any], declaration: Any) -> list[dict[str, Any]]:
    """The result's sources as rows for the templates, in words of the active language: the
    store's label, its counts, the categories it held (the declaration's labels) and what it
    kept, with the reason and the declared rules that keep it."""
    rows = []
    for name, report in sorted((result.get("sources") or {}).items()):
        report = report if isinstance(report, dict) else {}
        holdings = report.get("holdings") if isinstance(report.get("holdings"), dict) else {}
        rows.append({
            "name": name,
            "label": labels.source_label(name),
            "records": report.get("records", 0),
            "erased": report.get("erased", 0),
            "changed": report.get("changed", 0),
            "holdings": "; ".join(f"{labels.category_label(declaration, c)}: {n}"
                                  for c, n in holdings.items() if n),
            "kept": [{"records": k.get("records", 0),
                      "reason": labels.kept_reason(str(k.get("reason") or "")),
                      "rules": [labels.rule_label(declaration, r) for r in k.get("rules") or []]}
                     for k in report.get("kept") or [] if isinstance(k, dict)],
        })
    return rows


def _local(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def context(mail: RightsMail) -> dict[str, Any]:
    """What the templates show (in the request's language, which the caller activates).

    Only the request's own fields, the operator's words and ``request.result`` (counts, ids
    and reasons); never ``details``, the phone or the corrected values the person typed."""
    request = mail.request
    lang = request.language
    declaration, _hash = declaration_in_force_or_file()
    authority = declaration.supervisory_authority
    result = request.result or {}
    sources = _sources(result, declaration)
    ctx: dict[str, Any] = {
        "request": request,
        "ref": request.reference,
        "right": Right(request.right).label,
        "article": ARTICLES.get(Right(request.right), ""),
        # The right's article as the person's language cites it ("art. 7 ust. 3 RODO").
        "article_cited": cite_article(ARTICLES.get(Right(request.right), ""), lang),
        "received": formats.date_format(deadlines.local_date(request.received_at), "DATE_FORMAT"),
        "due": formats.date_format(request.due_on, "DATE_FORMAT"),
        "status": request.get_status_display(),
        "controller": declaration.controller.name,
        "contact_email": declaration.controller.email,
        "status_url": links.status_url(request),
        "policy_url": absolute(reverse("policy:page")),
        "authority": {"name": authority.name.get(lang), "address": authority.address,
                      "url": str(authority.url)},
        "link_hours": deadlines.VERIFICATION_HOURS,
        "close_days": deadlines.UNVERIFIED_CLOSE_DAYS,
        "download_days": deadlines.DOWNLOAD_DAYS,
        "sources": sources,
        "kept": [{"source": s["label"], **k} for s in sources for k in s["kept"]],
        "records": sum(s["records"] for s in sources),
        "changed": sum(s["changed"] for s in sources),
        "recipients_notified": [labels.recipient_label(declaration, r)
                                for r in result.get("recipients_notified") or []],
        "corrected": ", ".join(labels.attribute_label(a) for a in sorted(request.changes or {})),
        "consent_withdrawn": bool(result.get("consent_withdrawn")),
    }
    controller = result.get("controller") if isinstance(result.get("controller"), dict) else None
    if controller:
        ctx["routed"] = {"client": str(controller.get("client") or request.client),
                         "records": controller.get("records", 0),
                         "holdings": "; ".join(
                             f"{labels.category_label(declaration, c)}: {n}"
                             for c, n in (controller.get("holdings") or {}).items() if n),
                         "decision": str(controller.get("decision") or ""),
                         "note": str(controller.get("note") or "")}
    if mail.kind == MailKind.VERIFICATION:
        from .tokens import issue_verification_token

        ctx["verify_url"] = links.verify_url(issue_verification_token(request), lang)
        ctx["new_link_url"] = links.new_link_url(lang)
    if mail.kind == MailKind.REFUSED and request.refusal_ground:
        ctx["ground"] = RefusalGround(request.refusal_ground).label
    if mail.kind == MailKind.COMPLETED and request.right in (Right.ACCESS, Right.PORTABILITY):
        archive = ExportArchive.objects.filter(request=request, deleted_at__isnull=True).first()
        if archive is not None:
            ctx["download_url"] = download_url(request)
            # The archive's own expiry: the signed link, made now, would outlive it by the time
            # the mail took to go out.
            ctx["download_until"] = _local(archive.expires_at)
    if mail.kind == MailKind.REMINDER:
        ctx["panel_url"] = panel_url(request)
        ctx["days_left"] = deadlines.days_left(request.due_on)
        ctx["overdue_days"] = max(0, -ctx["days_left"])
    return ctx


def compose(mail: RightsMail) -> tuple[str, str]:
    """The mail's subject and body as they are sent: in the person's language, or for a
    reminder (to operators) in the site's."""
    request = mail.request
    lang = settings.LANGUAGE_CODE if mail.kind == MailKind.REMINDER else request.language
    with translation.override(lang):
        ctx = context(mail)
        subject = _subject(mail.kind) % {"ref": request.reference, "due": ctx["due"]}
        body = render_to_string(f"rights/mail/{mail.kind}.txt", ctx)
    return subject, body


def send(mail: RightsMail, connection: BaseEmailBackend | None = None) -> int:
    """Write and send ``mail`` through :mod:`privet.core.mail` (the hand-over recorded just
    before the end of the message); returns how many recipients it went to."""
    to = recipients(mail)
    subject, body = compose(mail)
    message = EmailMessage(subject=subject, body=body, to=to, connection=connection,
                           headers={"Message-ID": mail.message_id})
    mail_transport.send(message)
    return len(to)
