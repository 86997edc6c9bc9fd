"""stamina's retry log for the whole process: the exception's type and the attempt, nothing more.

stamina's default hooks log ``repr()`` of the exception and of the call's arguments; an
``SMTPRecipientsRefused`` repr quotes the addresses it refused, and any retried call may carry
personal data in its arguments. :class:`~privet.core.apps.CoreConfig` installs :func:`log_retry`
as the only hook when the apps are ready, so every retry in Privet (the mail worker's, and any
later one) logs this way.
"""

from __future__ import annotations

import logging

import stamina.instrumentation
from stamina.instrumentation import RetryDetails

log = logging.getLogger(__name__)


def log_retry(details: RetryDetails) -> None:
    """stamina's retry hook: the retried callable's name, the exception's type, the attempt
    number and the wait. Never the exception's message nor the call's arguments."""
    log.warning("retrying %s after %s (attempt %d failed, next in %.1f s)", details.name,
                type(details.caused_by).__name__, details.retry_num, details.wait_for)


def install() -> None:
    """Make :func:`log_retry` stamina's only retry hook (process-wide)."""
    stamina.instrumentation.set_on_retry_hooks([log_retry])
