"""Knowing when a mail left: Django's SMTP backend, with a call just before the end of the message.

SMTP has no way to send a mail exactly once. A server takes responsibility for a mail when it
has read the line with the single dot that ends it and answers 250; a client that dies (or loses
the connection) after sending that dot and before reading the answer cannot know whether the
mail was taken (RFC 1047). Before the dot, nothing is delivered: a server discards a mail whose
end it never received. So the one moment that matters is the dot, and this backend lets the
caller record, durably, "handing over now" just before it (:class:`Handover`). A crash before
that record: not delivered, safe to send again. A crash after it and before the answer is
recorded: may have been delivered, and is reported as such instead of sent again blindly.

Django's own SMTP backend is replaced by :class:`EmailBackend` where mail is sent through
:func:`connection` (same settings). Any other backend (console, file, an HTTP provider) cannot be
seen inside, so the hand-over is recorded just before it is called: a crash during the call is
then reported as uncertain, never sent twice.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends import smtp
from django.core.mail.backends.base import BaseEmailBackend

DJANGO_SMTP = "django.core.mail.backends.smtp.EmailBackend"


@dataclass
class Handover:
    """One attempt at handing a mail over: ``record`` is called (and must have committed) just
    before the end of the message is sent, and may raise to stop it there (nothing delivered)."""

    record: Callable[[], None]
    handed: bool = False
    accepted: bool | None = None  # None: no answer to the end of the message was heard

    def handing_over(self) -> None:
        self.record()
        self.handed = True

    def answered(self, code: int) -> None:
        self.accepted = code == 250


_current: ContextVar[Handover | None] = ContextVar("privet_mail_handover", default=None)


class _MarksEndOfData:
    """``smtplib.SMTP.data`` in two steps, the body and then the dot, with the hand-over between."""

    def data(self, msg):  # smtplib's signature
        handover = _current.get()
        if handover is None:
            return super().data(msg)
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = smtplib._fix_eols(msg).encode("ascii")
        body = smtplib._quote_periods(msg)
        if body[-2:] != smtplib.bCRLF:
            body += smtplib.bCRLF
        self.send(body)
        try:
            handover.handing_over()
        except BaseException:
            self.close()  # hang up without the dot: the server discards what it has
            raise
        self.send(b"." + smtplib.bCRLF)
        code, reply = self.getreply()
        handover.answered(code)
        return code, reply


class _SMTP(_MarksEndOfData, smtplib.SMTP):
    pass


class _SMTP_SSL(_MarksEndOfData, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    """Django's SMTP backend (same settings) whose connection records the hand-over."""

    @property
    def connection_class(self):
        return _SMTP_SSL if self.use_ssl else _SMTP


def connection() -> BaseEmailBackend:
    """A connection of the configured mail backend; Django's SMTP backend becomes ours."""
    backend = settings.EMAIL_BACKEND
    return get_connection(f"{__name__}.EmailBackend" if backend == DJANGO_SMTP else backend)


@contextmanager
def watching(handover: Handover) -> Iterator[Handover]:
    """Mail sent with :func:`send` inside this block records ``handover`` at the end of the
    message (or, through a backend that cannot be seen inside, just before it is called)."""
    token = _current.set(handover)
    try:
        yield handover
    finally:
        _current.reset(token)


def send(message: EmailMessage) -> int:
    """``message.send()``, recording the hand-over of the :func:`watching` block around it."""
    handover = _current.get()
    if handover is None or isinstance(message.get_connection(), EmailBackend):
        return message.send()  # our SMTP connection records it just before the end of the message
    handover.handing_over()
    sent = message.send()
    handover.accepted = True  # the backend returned: it took the mail
    return sent
