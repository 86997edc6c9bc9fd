"""The demo's outbox: mail the demo "sends" is kept as files the panel shows, never delivered.

``privet demo`` has no mail server, yet its mail (acknowledgements, notices to operators) is what
a new user wants to see. :class:`DemoOutboxBackend` is a Django mail backend that writes each
message as one ``.eml`` file in ``PRIVET_OUTBOX_DIR`` (the data folder's ``outbox/``), and
:func:`recent_mail` reads them back for the panel's Outbox page. Unlike the console backend it
puts no address into the log. Outside the demo the page does not exist.
"""

from __future__ import annotations

import email
import email.policy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

# The page shows this many of the newest mails; the files stay until the data folder is deleted.
SHOWN = 50


def enabled() -> bool:
    """Whether mail goes to the demo's outbox (the default of ``privet demo``)."""
    return settings.EMAIL_BACKEND == settings.DEMO_OUTBOX_BACKEND


class DemoOutboxBackend(BaseEmailBackend):
    """Writes each message to ``PRIVET_OUTBOX_DIR/<UTC time>-<random>.eml``; sends nothing."""

    def send_messages(self, email_messages) -> int:
        folder = Path(settings.PRIVET_OUTBOX_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            name = f"{timezone.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
            (folder / name).write_bytes(message.message().as_bytes(linesep="\n"))
            sent += 1
        return sent


@dataclass(frozen=True)
class OutboxMail:
    sent_at: datetime | None
    to: str
    subject: str
    body: str


def _read(path: Path) -> OutboxMail:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    try:
        sent_at = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    if sent_at is not None and timezone.is_naive(sent_at):  # "-0000": UTC, origin unknown
        sent_at = sent_at.replace(tzinfo=UTC)
    return OutboxMail(sent_at=sent_at, to=str(message["To"] or ""), subject=str(message["Subject"] or ""),
                      body=text.get_content() if text is not None else "")


def recent_mail(limit: int = SHOWN) -> list[OutboxMail]:
    """The newest ``limit`` mails in the demo's outbox, newest first (reads at most ``limit`` files)."""
    folder = Path(settings.PRIVET_OUTBOX_DIR)
    if not folder.is_dir():
        return []
    return [_read(path) for path in sorted(folder.glob("*.eml"), reverse=True)[:limit]]
