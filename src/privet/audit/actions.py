"""What happened: the audit log's actions, details and objects as people read them.

The log stores stable codes (``enquiry.mail_not_sent``, ``{"attempts": 2}``,
``enquiries.enquiry``) because it is evidence, hashed as written. Every page that shows an event
(the panel's audit log, the admin) words it through this module, in the page's language, as
:mod:`.actors` words who did it. Every action Privet writes has a label here (a test reads the
source for ``action="..."`` and checks); a code this module does not know is shown as it is,
so nothing recorded is ever hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.apps import apps
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy

ACTION_LABELS = {
    "admin.added": pgettext_lazy("audit action", "Added in the admin"),
    "admin.changed": pgettext_lazy("audit action", "Changed in the admin"),
    "admin.deleted": pgettext_lazy("audit action", "Deleted in the admin"),
    "audit.verified": pgettext_lazy("audit action", "Audit log verified: intact"),
    "audit.broken": pgettext_lazy("audit action", "Audit log verified: broken"),
    "audit.exported": pgettext_lazy("audit action", "Audit log exported (CSV)"),
    "consent.default_partition_moved": pgettext_lazy(
        "audit action", "Consent receipts moved into monthly partitions"),
    "consent.partitions_dropped": pgettext_lazy("audit action", "Expired consent receipts deleted"),
    "consent.receipts_expired": pgettext_lazy(
        "audit action", "Consent receipts deleted when their retention period ended"),
    "consent.receipts_period_exported": pgettext_lazy(
        "audit action", "A period's consent receipts exported (CSV)"),
    "consent.receipts_exported": pgettext_lazy("audit action", "A visitor's consent receipts exported"),
    "enquiry.received": pgettext_lazy("audit action", "Enquiry received through the contact form"),
    "enquiry.logged": pgettext_lazy("audit action", "Enquiry logged in the panel"),
    "enquiry.status_changed": pgettext_lazy("audit action", "Enquiry status changed"),
    "enquiry.note_added": pgettext_lazy("audit action", "Note added to an enquiry"),
    "enquiry.mail_sent": pgettext_lazy("audit action", "Mail sent"),
    "enquiry.mail_not_sent": pgettext_lazy("audit action", "Mail not sent"),
    "enquiry.mail_uncertain": pgettext_lazy(
        "audit action", "Mail may have been sent: handed to the mail server, no answer heard"),
    "enquiry.mail_requeued": pgettext_lazy("audit action", "Mail queued again"),
    "enquiry.rectified": pgettext_lazy("audit action", "Contact details corrected at the person's request"),
    "enquiry.restricted": pgettext_lazy("audit action", "Processing restricted at the person's request"),
    "enquiry.restriction_lifted": pgettext_lazy("audit action", "Restriction of processing lifted"),
    "enquiry.objected": pgettext_lazy("audit action", "The person objected to processing"),
    "enquiry.erased": pgettext_lazy("audit action", "Enquiry erased at the person's request"),
    "enquiry.expired": pgettext_lazy(
        "audit action", "Enquiries deleted when their retention period ended"),
    "enquiry.exported": pgettext_lazy("audit action", "Enquiry data exported for the person"),
    "panel.sign_in": pgettext_lazy("audit action", "Signed in"),
    "panel.account_closed": pgettext_lazy("audit action", "Staff account closed"),
    "panel.account_reopened": pgettext_lazy("audit action", "Staff account opened again"),
    "panel.accounts_anonymised": pgettext_lazy(
        "audit action", "Closed staff accounts anonymised when their retention period ended"),
    "panel.sign_in_failed": pgettext_lazy("audit action", "Sign-in failed"),
    "panel.sign_out": pgettext_lazy("audit action", "Signed out"),
    "panel.locked_out": pgettext_lazy("audit action", "Locked out after failed sign-ins"),
    "panel.role_changed": pgettext_lazy("audit action", "Role changed"),
    "panel.totp_enrolled": pgettext_lazy("audit action", "Authenticator app set up"),
    "panel.recovery_codes_created": pgettext_lazy("audit action", "Recovery codes made"),
    "panel.recovery_codes_regenerated": pgettext_lazy(
        "audit action", "New recovery codes made, the old ones stopped"),
    "panel.recovery_code_used": pgettext_lazy("audit action", "Signed in with a recovery code"),
    "policy.published": pgettext_lazy("audit action", "Policy version published"),
    "rights.received": pgettext_lazy("audit action", "Rights request received"),
    "rights.mail_sent": pgettext_lazy("audit action", "Mail about a rights request sent"),
    "rights.mail_not_sent": pgettext_lazy("audit action", "Mail about a rights request not sent"),
    "rights.mail_uncertain": pgettext_lazy(
        "audit action", "Mail about a rights request may have been sent"),
    "rights.logged": pgettext_lazy("audit action", "Rights request logged in the panel"),
    "rights.verified": pgettext_lazy("audit action", "Rights request verified"),
    "rights.link_requested": pgettext_lazy("audit action", "New verification link asked for"),
    "rights.closed_unverified": pgettext_lazy(
        "audit action", "Rights request closed: never verified"),
    "rights.started": pgettext_lazy("audit action", "Work on a rights request started"),
    "rights.extended": pgettext_lazy("audit action", "Deadline of a rights request extended"),
    "rights.proof_asked": pgettext_lazy("audit action", "More proof of identity asked for"),
    "rights.proof_received": pgettext_lazy("audit action", "Proof of identity received"),
    "rights.refused": pgettext_lazy("audit action", "Rights request refused"),
    "rights.withdrawn": pgettext_lazy("audit action", "Rights request withdrawn"),
    "rights.assigned": pgettext_lazy("audit action", "Rights request assigned"),
    "rights.processing_paused": pgettext_lazy("audit action", "Processing of rights requests paused"),
    "rights.processing_resumed": pgettext_lazy(
        "audit action", "Processing of rights requests resumed"),
    "rights.reprocessed": pgettext_lazy(
        "audit action", "A failed rights request processed again from the start"),
    "rights.failed": pgettext_lazy("audit action", "A step of a rights request failed"),
    "rights.completed": pgettext_lazy("audit action", "Rights request completed"),
    "rights.routed": pgettext_lazy("audit action", "Rights request passed to the controller (a client)"),
    "rights.controller_decision": pgettext_lazy(
        "audit action", "The controller's decision on a rights request recorded"),
    "rights.recipient_notified": pgettext_lazy(
        "audit action", "A recipient recorded as notified of an erasure (Art. 19)"),
    "rights.consent_withdrawn": pgettext_lazy("audit action", "Consent withdrawn on a rights request"),
    "rights.archive_created": pgettext_lazy("audit action", "Archive of a person's data made"),
    "rights.archive_downloaded": pgettext_lazy("audit action", "Archive of a person's data downloaded"),
    "rights.archive_deleted": pgettext_lazy(
        "audit action", "Archive of a person's data deleted when its link expired"),
    "rights.erasure_replayed": pgettext_lazy(
        "audit action", "An erasure done again after a restore from backup"),
    "rights.ledger_imported": pgettext_lazy(
        "audit action", "Erasure ledger read back in after a restore from backup"),
    "rights.requests_exported": pgettext_lazy(
        "audit action", "A person's earlier rights requests exported for them"),
    "rights.requests_expired": pgettext_lazy(
        "audit action", "Records of rights requests deleted when their retention period ended"),
    "rights.reminded": pgettext_lazy("audit action", "Reminder of a rights request's deadline queued"),
    "integrations.erased": pgettext_lazy(
        "audit action", "A person's data held for a client erased on the client's decision"),
    "integrations.subject_exported": pgettext_lazy(
        "audit action", "A person's data held for a client exported for a rights request"),
    "integrations.keys_rotated": pgettext_lazy(
        "audit action", "Integration tokens and secrets re-encrypted with the newest key"),
    "retention.hold_placed": pgettext_lazy("audit action", "Legal hold placed"),
    "retention.hold_lifted": pgettext_lazy("audit action", "Legal hold lifted"),
    "retention.hold_ended": pgettext_lazy("audit action", "Legal hold ended on its end date"),
    "retention.partition_dropped": pgettext_lazy(
        "audit action", "A month of expired records deleted at once (partition dropped)"),
    "retention.run_finished": pgettext_lazy("audit action", "Retention run finished"),
    "retention.holds_exported": pgettext_lazy(
        "audit action", "Legal holds naming a person exported for them"),
    "integrations.client_created": pgettext_lazy("audit action", "Client created"),
    "integrations.operators_assigned": pgettext_lazy("audit action", "Operators assigned to a client"),
    "integrations.contract_ended": pgettext_lazy("audit action", "Client's contract ended"),
    "integrations.app_configured": pgettext_lazy("audit action", "Platform app configured"),
    "integrations.link_created": pgettext_lazy("audit action", "Authorisation link created"),
    "integrations.link_cancelled": pgettext_lazy("audit action", "Authorisation link cancelled"),
    "integrations.granted": pgettext_lazy("audit action", "Integration authorised by the account owner"),
    "integrations.authorisation_refused": pgettext_lazy(
        "audit action", "Authorisation refused (link used, forged or from another browser)"),
    "integrations.refreshed": pgettext_lazy("audit action", "Platform token refreshed"),
    "integrations.scopes_changed": pgettext_lazy("audit action", "Scopes of an authorisation changed"),
    "integrations.expired": pgettext_lazy(
        "audit action", "Authorisation expired (the owner must authorise again)"),
    "integrations.revoked": pgettext_lazy("audit action", "Integration disconnected by an operator"),
    "integrations.deauthorised": pgettext_lazy(
        "audit action", "Authorisation withdrawn by the account owner"),
    "integrations.purged": pgettext_lazy("audit action", "Client's integration data purged"),
    "integrations.call_refused": pgettext_lazy("audit action", "Call to a platform refused"),
    "integrations.webhook_refused": pgettext_lazy("audit action", "Webhook refused"),
    "integrations.expired_records": pgettext_lazy(
        "audit action", "Integration data deleted when its retention period ended"),
    "integrations.exported": pgettext_lazy("audit action", "Client's integration data exported"),
    "integrations.synced": pgettext_lazy("audit action", "Client's platform data synced"),
    "integrations.sync_requested": pgettext_lazy(
        "audit action", "Sync of a client's platform data requested"),
    "integrations.workflows_set": pgettext_lazy("audit action", "Client's workflows changed"),
    "integrations.comment_replied": pgettext_lazy("audit action", "Reply to a comment sent to the platform"),
    "integrations.comment_hidden": pgettext_lazy("audit action", "Comment hidden on the platform"),
    "integrations.comment_unhidden": pgettext_lazy("audit action", "Comment shown again on the platform"),
    "integrations.comment_deleted": pgettext_lazy("audit action", "Comment deleted on the platform"),
    "integrations.message_sent": pgettext_lazy("audit action", "Direct message sent on the platform"),
    "integrations.report_exported": pgettext_lazy("audit action", "Client's campaign report exported"),
    "integrations.webhook_processed": pgettext_lazy("audit action", "Platform event applied from a webhook"),
    "security.sign_in_records_expired": pgettext_lazy("audit action", "Old sign-in records deleted"),
    "telemetry.records_expired": pgettext_lazy("audit action", "Expired technical log records deleted"),
    "telemetry.keys_destroyed": pgettext_lazy("audit action", "Expired pseudonym keys destroyed"),
}

# The keys of events' details, in words; a key not here is shown as it is.
DETAIL_LABELS = {
    "at": pgettext_lazy("audit detail", "on"),
    "attempts": pgettext_lazy("audit detail", "attempts"),
    "broken_at": pgettext_lazy("audit detail", "broken at event"),
    "changed": pgettext_lazy("audit detail", "changed"),
    "channel": pgettext_lazy("audit detail", "received by"),
    "checked": pgettext_lazy("audit detail", "events checked"),
    "client": pgettext_lazy("audit detail", "client (pseudonym)"),
    "codes": pgettext_lazy("audit detail", "codes"),
    "codes_left": pgettext_lazy("audit detail", "codes left"),
    "contact": pgettext_lazy("audit detail", "contact with the person"),
    "effective": pgettext_lazy("audit detail", "in force from"),
    "days_left": pgettext_lazy("audit detail", "days left"),
    "days_waited": pgettext_lazy("audit detail", "days waited"),
    "due": pgettext_lazy("audit detail", "due"),
    "error": pgettext_lazy("audit detail", "error"),
    "factors": pgettext_lazy("audit detail", "sign-in factors"),
    "fields": pgettext_lazy("audit detail", "fields"),
    "ground": pgettext_lazy("audit detail", "ground"),
    "how": pgettext_lazy("audit detail", "how"),
    "filters": pgettext_lazy("audit detail", "filters"),
    "from": pgettext_lazy("audit detail", "from"),
    "ip_ref": pgettext_lazy("audit detail", "address (pseudonym)"),
    "language": pgettext_lazy("audit detail", "language"),
    "mail": pgettext_lazy("audit detail", "mail"),
    "months": pgettext_lazy("audit detail", "months"),
    "note": pgettext_lazy("audit detail", "note"),
    "operator": pgettext_lazy("audit detail", "operator"),
    "ok": pgettext_lazy("audit detail", "intact"),
    "project_type": pgettext_lazy("audit detail", "project type"),
    "receipts": pgettext_lazy("audit detail", "receipts"),
    "recipients": pgettext_lazy("audit detail", "recipients"),
    "request_ref": pgettext_lazy("audit detail", "rights request"),
    "run_ref": pgettext_lazy("audit detail", "retention run"),
    "stage": pgettext_lazy("audit detail", "step"),
    "status": pgettext_lazy("audit detail", "status"),
    "to": pgettext_lazy("audit detail", "to"),
    "verified": pgettext_lazy("audit detail", "identity verified"),
    "version": pgettext_lazy("audit detail", "version"),
    "was": pgettext_lazy("audit detail", "before"),
    "with_reason": pgettext_lazy("audit detail", "with a reason"),
    "batches": pgettext_lazy("audit detail", "batches"),
    "deferred": pgettext_lazy("audit detail", "waiting for their month"),
    "ends_on": pgettext_lazy("audit detail", "ends on"),
    "errors": pgettext_lazy("audit detail", "errors"),
    "expired": pgettext_lazy("audit detail", "expired"),
    "for_client": pgettext_lazy("audit detail", "client"),
    "held": pgettext_lazy("audit detail", "kept by holds"),
    "hold": pgettext_lazy("audit detail", "legal hold"),
    "partition": pgettext_lazy("audit detail", "partition"),
    "partitions": pgettext_lazy("audit detail", "partitions"),
    "reason": pgettext_lazy("audit detail", "reason"),
    "record": pgettext_lazy("audit detail", "record"),
    "records": pgettext_lazy("audit detail", "records"),
    "rules": pgettext_lazy("audit detail", "rules"),
    "run": pgettext_lazy("audit detail", "retention run"),
    "scope": pgettext_lazy("audit detail", "holds"),
    "store": pgettext_lazy("audit detail", "store"),
    "added": pgettext_lazy("audit detail", "added"),
    "removed": pgettext_lazy("audit detail", "removed"),
    "ended": pgettext_lazy("audit detail", "ended on"),
    "connector": pgettext_lazy("audit detail", "connector"),
    "flow": pgettext_lazy("audit detail", "authorisation"),
    "scopes": pgettext_lazy("audit detail", "scopes"),
    "requested": pgettext_lazy("audit detail", "scopes requested"),
    "before": pgettext_lazy("audit detail", "before"),
    "endpoint": pgettext_lazy("audit detail", "endpoint"),
    "kind": pgettext_lazy("audit detail", "kind"),
    "format": pgettext_lazy("audit detail", "format"),
    "workflow": pgettext_lazy("audit detail", "workflow"),
    "outcome": pgettext_lazy("audit detail", "outcome"),
    "comment": pgettext_lazy("audit detail", "comment"),
    "video": pgettext_lazy("audit detail", "video"),
    "conversation": pgettext_lazy("audit detail", "conversation"),
    "campaign": pgettext_lazy("audit detail", "campaign"),
    "range": pgettext_lazy("audit detail", "range"),
    "full": pgettext_lazy("audit detail", "full sync"),
    "length": pgettext_lazy("audit detail", "length"),
}


# Codes among details' values, in words: (action, key) -> {code: label}. The app that writes the
# action registers them when it is ready (register_values), as it registers its objects' links.
_VALUES: dict[tuple[str, str], Mapping[str, Any]] = {}


def register_values(*, actions: Iterable[str], key: str, labels: Mapping[str, Any]) -> None:
    """Show the codes ``labels`` names, found under ``key`` in the details of ``actions``, as
    their labels (``{"closed": _("Closed without a contract")}``)."""
    for action in actions:
        _VALUES[(action, key)] = labels


def action_label(action: str) -> str:
    """An action in the active language ("Mail not sent"); an unknown code as it is."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_type_label(object_type: str) -> str:
    """An event's type of object (``enquiries.enquiry``) as its model's name ("Enquiry"); a
    type whose model is gone, as it is."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return capfirst(str(model._meta.verbose_name))


def _moment(text: str) -> str:
    """An ISO timestamp ("2026-10-07T23:11:12.866967+00:00") as local time ("2026-10-08 01:11");
    any other text as it is."""
    if "T" not in text:
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%Y-%m-%d %H:%M}"


def _value(value: Any, labels: Mapping[str, Any] | None = None) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_value(v, labels) for v in value) or "—"
    if isinstance(value, dict):  # e.g. an export's filters: an action among them in words
        return "; ".join(f"{detail_label(k)}: {action_label(v) if k == 'action' else _value(v)}"
                         for k, v in value.items())
    if labels and isinstance(value, str) and value in labels:
        return str(labels[value])
    return _moment(value) if isinstance(value, str) else str(value)


def detail_label(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key


def details_pairs(details: Mapping[str, Any], *, action: str = "") -> list[tuple[str, str]]:
    """An event's details as ``(label, value)`` pairs in the active language: codes among the
    values in words where the action's app registered them, timestamps in local time."""
    return [(detail_label(key), _value(value, _VALUES.get((action, key))))
            for key, value in details.items() if value != ""]  # an empty reason says nothing
