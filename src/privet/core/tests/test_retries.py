"""stamina's retry log, process-wide: the exception's type and the attempt, never its message."""

import logging
import smtplib

import stamina
import stamina.instrumentation

from privet.core.retries import log_retry


def test_the_retry_hook_is_installed_for_the_whole_process():
    assert stamina.instrumentation.get_on_retry_hooks() == (log_retry,)


def test_any_retried_call_logs_the_type_only(caplog):
    refused = smtplib.SMTPRecipientsRefused({"anna@example.com": (450, b"<anna@example.com> busy")})
    calls = []

    @stamina.retry(on=smtplib.SMTPRecipientsRefused, attempts=2, wait_initial=0, wait_max=0)
    def send(address: str) -> str:
        calls.append(address)
        if len(calls) == 1:
            raise refused
        return "sent"

    with caplog.at_level(logging.WARNING, logger="privet.core.retries"):
        assert send("anna@example.com") == "sent"
    assert "after SMTPRecipientsRefused (attempt 1 failed" in caplog.text
    assert "example.com" not in caplog.text
