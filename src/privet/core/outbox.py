"""The worker's side of a mail outbox, for any app: claim a pending mail, record each step, record the end.

An app that mails keeps one row per mail (a concrete :class:`~privet.core.models.OutboxMail`),
written in the transaction of the change the mail tells of, and queues a task after the commit.
The task sends through :func:`deliver`, which goes through these steps, each committed before
the next one starts, so a worker killed at any point leaves the row saying how far it got:

1. :meth:`Outbox.claim`: the row is taken by the running worker (``claimed_by``, its id). Another
   worker leaves it alone while that worker's lease holds (:mod:`privet.core.leases`); once the
   lease lapsed (the worker was killed), the task runs again and takes the row over.
2. :meth:`Outbox.note_attempt`: one attempt counted.
3. :meth:`Outbox.mark_handed`, called just before the end of the message goes to the mail server
   (:mod:`privet.core.mail`): from here on the server may have the mail.
4. :meth:`Outbox.mark_sent` once the server answered 250, :meth:`Outbox.mark_not_handed` when it
   refused the mail (it does not have it; try again or fail), :meth:`Outbox.mark_failed` when
   giving up.

A row claimed again with ``handed_at`` set belongs to a worker that stopped between 3 and 4: the
server may or may not have the mail, so it is marked :attr:`~privet.core.models.MailState.UNCERTAIN`
(:meth:`Outbox.mark_uncertain`) and shown to operators, never sent again by itself. Every step
after the claim is conditional on the row still being this worker's: a worker that lost its
claim (it froze past its lease and another took over) stops before the end of the message.

:class:`Outbox` is parametrised by the app's row model, its three audit actions (sent, not
sent, uncertain: ``enquiry.mail_sent``...) and how to find the audited object (and, optionally,
the person) of a row.
"""

from __future__ import annotations

import logging
import smtplib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import stamina
from django.db import connections, models, transaction
from django.db.models import F
from django.utils import timezone

from privet.audit import actors
from privet.audit.services import append_event
from privet.core import leases
from privet.core import mail as mail_transport
from privet.core.models import SENDING_LEASE, MailState, OutboxMail
from privet.core.outage import is_database_unavailable
from privet.errors import PrivetError

log = logging.getLogger(__name__)

MAIL_ATTEMPTS = 5  # with backoff from 2 s up to a minute: about two minutes in all
MAIL_RETRY_TIMEOUT = timedelta(minutes=3)  # within SENDING_LEASE, the worker's claim
SENT_MARK_TIMEOUT = timedelta(minutes=10)


class ClaimLost(Exception):
    """Another worker took this mail over (this one was thought dead): stop, send nothing."""


class MailUncertain(Exception):
    """The mail was handed to the server and no answer was heard: never tried again by itself."""


def is_transient(exc: Exception) -> bool:
    """Whether trying the same mail again may succeed: a connection refused, dropped or timed
    out, or a 4xx reply (greylisting, a full queue). A 5xx reply is final, and so is a refusal
    of the recipients unless every one of them was refused with a 4xx code."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # e.g. STARTTLS configured, not offered
        return False
    return isinstance(exc, OSError)  # smtplib.SMTPException is an OSError too


@dataclass(frozen=True)
class Outbox:
    """One app's outbox: its row model, its audit actions' prefix, and what a row is about."""

    model: type[OutboxMail]
    # The audit actions of the three ends, written out (each app labels its own in
    # privet.audit.actions): e.g. "enquiry.mail_sent", "enquiry.mail_not_sent", "...uncertain".
    sent_action: str
    not_sent_action: str
    uncertain_action: str
    owner: Callable[[Any], models.Model]  # the audited object of a row (the enquiry, the request)
    subject: Callable[[Any], str] | None = None  # the person it is about, pseudonymised by the log
    lease: timedelta = SENDING_LEASE

    # --- claiming -------------------------------------------------------------------------------

    def takeable(self, mail: OutboxMail, holder: str) -> bool:
        """Whether ``holder`` may claim ``mail``: unclaimed, its own, or its claimer is gone (a
        lapsed lease, or, for a claimer without a lease, a claim older than the lease) (a query
        at most)."""
        if mail.claimed_by == holder:
            return True
        expired = mail.sending_since is None or mail.sending_since <= timezone.now() - self.lease
        if not mail.claimed_by:
            return expired
        state = leases.holder_state(mail.claimed_by)
        return state == "lapsed" or (state is None and expired)

    def claim(self, mail: OutboxMail | None, *, holder: str) -> OutboxMail | None:
        """``holder`` (:func:`privet.core.leases.current_holder`) takes the pending ``mail``;
        ``None`` when there is nothing to send: no row, already sent, given up on, or owned by a
        live worker. The caller checks ``handed_at`` of the mail it gets (see the module's doc)."""
        if mail is None or mail.state != MailState.PENDING or not self.takeable(mail, holder):
            return None
        claimed = (self.model.objects  # only if nobody claimed it since it was read
                   .filter(pk=mail.pk, state=MailState.PENDING, claimed_by=mail.claimed_by,
                           sending_since=mail.sending_since)
                   .update(claimed_by=holder, sending_since=timezone.now()))
        if not claimed:
            return None
        mail.refresh_from_db()
        return mail

    def _mine(self, mail: OutboxMail):
        return self.model.objects.filter(pk=mail.pk, state=MailState.PENDING,
                                         claimed_by=mail.claimed_by)

    def note_attempt(self, *, mail: OutboxMail) -> None:
        """Count one attempt at sending and renew the claim's time (one query); raises
        :class:`ClaimLost` when the mail is no longer this worker's."""
        now = timezone.now()
        if not self._mine(mail).update(attempts=F("attempts") + 1, sending_since=now):
            raise ClaimLost(f"Mail {mail.pk} was taken over by another worker.")
        mail.attempts += 1
        mail.sending_since = now

    def mark_handed(self, *, mail: OutboxMail) -> None:
        """Record (committed) that the end of the message is about to go to the mail server;
        raises :class:`ClaimLost` (and the end is not sent) when the mail is no longer this
        worker's.

        In a transaction of its own, not autocommit: PostgreSQL finishes an autocommitted
        statement that was waiting for a lock even after its client was killed, which would
        record a hand-over that never happened. A COMMIT is sent only by a worker alive to send
        the end next.
        """
        now = timezone.now()
        with transaction.atomic():
            if not self._mine(mail).filter(handed_at__isnull=True).update(handed_at=now):
                raise ClaimLost(f"Mail {mail.pk} was taken over by another worker.")
        mail.handed_at = now

    def mark_not_handed(self, *, mail: OutboxMail) -> None:
        """The server answered the end of the message with a refusal: it does not have the mail."""
        self._mine(mail).update(handed_at=None)
        mail.handed_at = None

    # --- the end --------------------------------------------------------------------------------

    def _finish(self, mail: OutboxMail, state: str, error: str = "", *,
                only_from: tuple[str, ...]) -> bool:
        """Record how sending ended; ``False`` when the row is gone (its owner erased) or not in
        one of the states ``only_from``."""
        done = self.model.objects.filter(pk=mail.pk, state__in=only_from).update(
            state=state, finished_at=timezone.now(), sending_since=None, claimed_by="",
            error=error[:100])
        if done:
            mail.refresh_from_db()
        return bool(done)

    def _audit(self, mail: OutboxMail, action: str, actor: str, details: dict[str, Any]) -> None:
        extra = {"subject": self.subject(mail)} if self.subject else {}
        append_event(actor=actor, action=action, obj=self.owner(mail),
                     details={"mail": mail.kind, **details}, **extra)

    def mark_sent(self, *, mail: OutboxMail, recipients: int, actor: str = actors.WORKER) -> None:
        """The mail server took the mail: the row is done, and the owner's history says so, with
        how many it went to.

        The server's 250 is the truth: it is recorded even over an "uncertain" that another
        worker wrote meanwhile (this one was frozen past its lease and then heard the answer)."""
        with transaction.atomic(durable=True):
            if self._finish(mail, MailState.SENT, only_from=(MailState.PENDING, MailState.UNCERTAIN)):
                self._audit(mail, self.sent_action, actor,
                            {"attempts": mail.attempts, "recipients": recipients})

    def mark_failed(self, *, mail: OutboxMail, error: str, actor: str = actors.WORKER) -> None:
        """The worker gave up on a mail: keep it in sight of the operators until it is sent again.

        ``error`` is the exception's class name, never its message (SMTP errors quote addresses).
        """
        with transaction.atomic(durable=True):
            if self._finish(mail, MailState.FAILED, error, only_from=(MailState.PENDING,)):
                self._audit(mail, self.not_sent_action, actor,
                            {"error": mail.error, "attempts": mail.attempts})

    def mark_uncertain(self, *, mail: OutboxMail, actor: str = actors.WORKER) -> None:
        """The mail was handed to the server and the answer was never heard (the worker stopped
        or the connection dropped): it may have arrived. Kept in sight of the operators, who
        decide whether to send it again (with the same Message-ID); never sent again by itself."""
        with transaction.atomic(durable=True):
            if self._finish(mail, MailState.UNCERTAIN, only_from=(MailState.PENDING,)):
                self._audit(mail, self.uncertain_action, actor, {"attempts": mail.attempts})

    def record_sent(self, mail: OutboxMail, recipients: int) -> None:
        """Mark the mail sent. The server took it, so a database that is away now is waited for
        (up to :data:`SENT_MARK_TIMEOUT`) rather than leaving a sent mail to look uncertain."""
        for attempt in stamina.retry_context(on=is_database_unavailable, attempts=None,
                                             timeout=SENT_MARK_TIMEOUT, wait_initial=0.5,
                                             wait_max=10):
            with attempt:
                try:
                    self.mark_sent(mail=mail, recipients=recipients)
                except Exception:
                    connections.close_all()  # a connection the outage broke is not reused
                    raise


@dataclass
class Delivery:
    """How :func:`deliver` ended: ``outcome`` is "sent", "uncertain", "skipped" or "failed"
    (then ``failure`` is the exception's class name, never its message)."""

    outcome: str
    failure: str = ""
    recipients: int = 0


def _attempt(outbox: Outbox, mail: OutboxMail, send: Callable[[Any], int],
             recipients_if_accepted: Callable[[], int]) -> int:
    """One attempt at sending, through :mod:`privet.core.mail` so that the hand-over is recorded
    just before the end of the message; returns the number of recipients."""
    handover = mail_transport.Handover(record=lambda: outbox.mark_handed(mail=mail))
    connection = mail_transport.connection()
    try:
        with mail_transport.watching(handover):
            recipients = send(connection)
    except Exception as exc:
        if handover.accepted:  # taken (250); what failed came after (QUIT): it is sent
            return recipients_if_accepted()
        if handover.handed and handover.accepted is None:  # no answer heard: the RFC 1047 window
            raise MailUncertain(type(exc).__name__) from None
        if handover.handed:  # refused at the end of the message: the server does not have it
            outbox.mark_not_handed(mail=mail)
        raise
    return recipients


def deliver(outbox: Outbox, mail: OutboxMail, send: Callable[[Any], int], *, label: str,
            recipients_if_accepted: Callable[[], int] = lambda: 1,
            attempts: int = MAIL_ATTEMPTS, recorded_failures: tuple[str, ...] = ()) -> Delivery:
    """Send a claimed ``mail`` with ``send(connection) -> recipients``, retrying what may pass
    (:func:`is_transient`, with backoff), and record how it ended on the row (and the audit log).

    ``label`` names the mail in logs ("acknowledgement mail of enquiry 42"), never an address.
    A failure whose class name is in ``recorded_failures`` is only recorded, not logged as a
    bug; the caller decides what to say. A database that is away is raised (the worker runs the
    task again when it is back).
    """
    if mail.handed_at is not None:
        # The worker before this one got as far as handing it over, and stopped before it heard
        # back: the mail may have arrived. Sending it again could deliver it twice.
        log.warning("%s was handed to the mail server by a worker that stopped before the "
                    "answer; marked uncertain, not sent again", label)
        outbox.mark_uncertain(mail=mail)
        return Delivery("uncertain")
    failure, recipients = "", 0
    try:
        for attempt in stamina.retry_context(on=is_transient, attempts=attempts,
                                             timeout=MAIL_RETRY_TIMEOUT, wait_initial=2,
                                             wait_max=60):
            with attempt:
                outbox.note_attempt(mail=mail)
                recipients = _attempt(outbox, mail, send, recipients_if_accepted)
    except ClaimLost:
        log.warning("%s was taken over by another worker; this one stopped before the end of "
                    "the message", label)
        return Delivery("skipped")
    except MailUncertain as exc:
        log.warning("%s was handed to the mail server and no answer came (%s); marked "
                    "uncertain, not sent again", label, exc)
        outbox.mark_uncertain(mail=mail)
        return Delivery("uncertain")
    # Any other failure, not only SMTP's: it is recorded for the operators.
    except Exception as exc:
        if is_database_unavailable(exc):
            raise  # not the mail's failure: the worker runs the task again when the database is back
        failure = type(exc).__name__
        if not isinstance(exc, OSError | PrivetError):  # a bug (template, database): say where,
            log.error("%s failed with %s at:\n%s", label, failure,
                      "".join(traceback.format_tb(exc.__traceback__)))  # not what
    if failure:
        # Outside the except block, so neither the log, the error recorded nor the task's stored
        # traceback carries the exception's message (SMTP errors quote the addresses).
        if failure not in recorded_failures:
            log.error("%s not sent after %d attempt(s) (%s)", label, mail.attempts, failure)
        outbox.mark_failed(mail=mail, error=failure)
        return Delivery("failed", failure)
    outbox.record_sent(mail, recipients)
    return Delivery("sent", recipients=recipients)
