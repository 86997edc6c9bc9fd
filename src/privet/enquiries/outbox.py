"""The worker's side of the mail outbox: claim a pending mail, record each step, record the end.

:func:`~.services.submit_enquiry` writes one :class:`~.models.OutgoingMail` row per mail in the
enquiry's transaction and queues :func:`~.tasks.send_enquiry_mail` after the commit. The task
goes through these steps, each committed before the next one starts, so a worker killed at any
point leaves the row saying how far it got:

1. :func:`claim_mail`: the row is taken by the running worker (``claimed_by``, its id). Another
   worker leaves it alone while that worker's lease holds (:mod:`privet.core.leases`); once the
   lease lapsed (the worker was killed), the task runs again and takes the row over.
2. :func:`note_mail_attempt`: one attempt counted.
3. :func:`mark_handed`, called just before the end of the message goes to the mail server
   (:mod:`privet.core.mail`): from here on the server may have the mail.
4. :func:`mark_mail_sent` once the server answered 250, :func:`mark_not_handed` when it refused
   the mail (it does not have it; try again or fail), :func:`mark_mail_failed` when giving up.

A row claimed again with ``handed_at`` set belongs to a worker that stopped between 3 and 4: the
server may or may not have the mail, so it is marked :attr:`~.models.MailState.UNCERTAIN`
(:func:`mark_mail_uncertain`) and shown to operators, never sent again by itself. Every step
after the claim is conditional on the row still being this worker's: a worker that lost its
claim (it froze past its lease and another took over) stops before the end of the message.

Operators' side (sending again) stays in :mod:`.services`, which queues the task; this module
queues nothing, so the task can use it without importing the services that import the task.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from privet.audit import actors
from privet.audit.services import append_event
from privet.core import leases

from .models import SENDING_LEASE, Enquiry, MailKind, MailState, OutgoingMail


class ClaimLost(Exception):
    """Another worker took this mail over (this one was thought dead): stop, send nothing."""


def _takeable(mail: OutgoingMail, holder: str) -> bool:
    """Whether ``holder`` may claim ``mail``: unclaimed, its own, or its claimer is gone (a lapsed
    lease, or, for a claimer without a lease, a claim older than SENDING_LEASE) (a query at most)."""
    if mail.claimed_by == holder:
        return True
    expired = mail.sending_since is None or mail.sending_since <= timezone.now() - SENDING_LEASE
    if not mail.claimed_by:
        return expired
    state = leases.holder_state(mail.claimed_by)
    return state == "lapsed" or (state is None and expired)


def claim_mail(*, enquiry_id: int, kind: str, holder: str) -> OutgoingMail | None:
    """``holder`` (:func:`privet.core.leases.current_holder`) takes a pending mail; ``None`` when
    there is nothing to send: already sent, given up on, owned by a live worker, or the enquiry
    is gone. The caller checks ``handed_at`` of the mail it gets (see the module's doc).

    A task queued before the outbox existed (an upgrade) finds no row: the row is made then.
    """
    if kind not in MailKind.values:
        return None
    mail = OutgoingMail.objects.filter(enquiry_id=enquiry_id, kind=kind).first()
    if mail is None:
        if not Enquiry.objects.filter(pk=enquiry_id).exists():
            return None  # erased meanwhile: nothing left to send, nor anyone to send it to
        mail, _ = OutgoingMail.objects.get_or_create(enquiry_id=enquiry_id, kind=kind)
    if mail.state != MailState.PENDING or not _takeable(mail, holder):
        return None
    claimed = (OutgoingMail.objects  # only if nobody claimed it since it was read
               .filter(pk=mail.pk, state=MailState.PENDING, claimed_by=mail.claimed_by,
                       sending_since=mail.sending_since)
               .update(claimed_by=holder, sending_since=timezone.now()))
    if not claimed:
        return None
    mail.refresh_from_db()
    return mail


def _mine(mail: OutgoingMail):
    return OutgoingMail.objects.filter(pk=mail.pk, state=MailState.PENDING,
                                       claimed_by=mail.claimed_by)


def note_mail_attempt(*, mail: OutgoingMail) -> None:
    """Count one attempt at sending and renew the claim's time (one query); raises
    :class:`ClaimLost` when the mail is no longer this worker's."""
    now = timezone.now()
    if not _mine(mail).update(attempts=F("attempts") + 1, sending_since=now):
        raise ClaimLost(f"Mail {mail.pk} was taken over by another worker.")
    mail.attempts += 1
    mail.sending_since = now


def mark_handed(*, mail: OutgoingMail) -> None:
    """Record (committed) that the end of the message is about to go to the mail server; raises
    :class:`ClaimLost` (and the end is not sent) when the mail is no longer this worker's.

    In a transaction of its own, not autocommit: PostgreSQL finishes an autocommitted statement
    that was waiting for a lock even after its client was killed, which would record a hand-over
    that never happened. A COMMIT is sent only by a worker alive to send the end next.
    """
    now = timezone.now()
    with transaction.atomic():
        if not _mine(mail).filter(handed_at__isnull=True).update(handed_at=now):
            raise ClaimLost(f"Mail {mail.pk} was taken over by another worker.")
    mail.handed_at = now


def mark_not_handed(*, mail: OutgoingMail) -> None:
    """The server answered the end of the message with a refusal: it does not have the mail."""
    _mine(mail).update(handed_at=None)
    mail.handed_at = None


def _finish(mail: OutgoingMail, state: str, error: str = "", *, only_from: tuple[str, ...]) -> bool:
    """Record how sending ended; ``False`` when the row is gone (enquiry erased) or not in one of
    the states ``only_from``."""
    done = OutgoingMail.objects.filter(pk=mail.pk, state__in=only_from).update(
        state=state, finished_at=timezone.now(), sending_since=None, claimed_by="",
        error=error[:100])
    if done:
        mail.refresh_from_db()
    return bool(done)


@transaction.atomic(durable=True)
def mark_mail_sent(*, mail: OutgoingMail, recipients: int, actor: str = actors.WORKER) -> None:
    """The mail server took the mail: the row is done, and the enquiry's history says so, with
    how many it went to (a notice with nobody to go to fails instead: ``NoOperatorAddress``).

    The server's 250 is the truth: it is recorded even over an "uncertain" that another worker
    wrote meanwhile (this one was frozen past its lease and then heard the answer)."""
    if _finish(mail, MailState.SENT, only_from=(MailState.PENDING, MailState.UNCERTAIN)):
        append_event(actor=actor, action="enquiry.mail_sent", obj=mail.enquiry,
                     details={"mail": mail.kind, "attempts": mail.attempts,
                              "recipients": recipients})


@transaction.atomic(durable=True)
def mark_mail_failed(*, mail: OutgoingMail, error: str, actor: str = actors.WORKER) -> None:
    """The worker gave up on a mail: keep it in sight of the operators until it is sent again.

    ``error`` is the exception's class name, never its message (SMTP errors quote addresses).
    """
    if _finish(mail, MailState.FAILED, error, only_from=(MailState.PENDING,)):
        append_event(actor=actor, action="enquiry.mail_not_sent", obj=mail.enquiry,
                     details={"mail": mail.kind, "error": mail.error, "attempts": mail.attempts})


@transaction.atomic(durable=True)
def mark_mail_uncertain(*, mail: OutgoingMail, actor: str = actors.WORKER) -> None:
    """The mail was handed to the server and the answer was never heard (the worker stopped or
    the connection dropped): it may have arrived. Kept in sight of the operators, who decide
    whether to send it again (with the same Message-ID); never sent again by itself."""
    if _finish(mail, MailState.UNCERTAIN, only_from=(MailState.PENDING,)):
        append_event(actor=actor, action="enquiry.mail_uncertain", obj=mail.enquiry,
                     details={"mail": mail.kind, "attempts": mail.attempts})
