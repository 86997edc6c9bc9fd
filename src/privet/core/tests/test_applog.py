"""Application logs: every line a handler writes is structured and carries no email, token,
secret or raw client address (privet.core.redact, privet.core.applog, gunicorn's error log)."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from cryptography.fernet import Fernet

from privet.core.applog import formatter
from privet.core.redact import RedactFilter, redact

ANNA = "anna.kowalska+shop@example.com"


@pytest.fixture
def log_output():
    """A logger whose lines go, as production writes them, to a string: ``(logger, read)``;
    ``read()`` gives what was written so far. JSON unless the test asks for ``console``."""
    made = []

    def make(style: str = "json"):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter(style))
        handler.addFilter(RedactFilter())
        logger = logging.getLogger(f"privet.tests.applog.{uuid.uuid4().hex}")
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        made.append((logger, handler))
        return logger, stream.getvalue

    yield make
    for logger, handler in made:
        logger.removeHandler(handler)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_an_email_goes_from_the_message_its_arguments_and_extra_fields(log_output):
    log, read = log_output()
    log.warning(f"mail to {ANNA} refused")
    log.warning("mail to %s refused", ANNA)
    log.warning("mail refused", extra={"recipient": ANNA, "recipients": [ANNA]})
    events = json_lines(read())
    assert [e["event"] for e in events] == ["mail to [email] refused"] * 2 + ["mail refused"]
    assert events[2]["recipient"] == "[email]" and events[2]["recipients"] == ["[email]"]
    assert "example.com" not in read()


def test_an_exception_loses_the_email_in_its_message_and_its_traceback(log_output):
    log, read = log_output()
    try:
        address = ANNA
        raise ValueError(f"550 <{address}>: Recipient address rejected")
    except ValueError:
        log.exception("sending failed for %s", ANNA)
    (event,) = json_lines(read())
    assert event["event"] == "sending failed for [email]"
    assert event["exception"].startswith("Traceback (most recent call last):")
    assert "ValueError: 550 <[email]>: Recipient address rejected" in event["exception"]
    assert "example.com" not in read()


@pytest.mark.parametrize("address", ["203.0.113.5", "2001:db8:1:2::77", "[2001:db8:1:2::77]:443",
                                     "::ffff:203.0.113.5"])
def test_a_client_address_becomes_its_pseudonym(log_output, address):
    log, read = log_output()
    log.warning("too many requests from %s", address)
    (event,) = json_lines(read())
    assert event["event"].startswith("too many requests from ip-ref:")
    assert "203.0.113" not in event["event"] and "2001:db8" not in event["event"]


def test_lines_about_one_client_keep_one_pseudonym_and_two_clients_two(log_output):
    log, read = log_output()
    for address in ("203.0.113.5", "203.0.113.5:51234", "010.000.000.001", "10.0.0.1"):
        log.info("request from %s", address)
    refs = [e["event"].split("ip-ref:")[1][:16] for e in json_lines(read())]
    assert refs[0] == refs[1] and refs[2] == refs[3] and refs[0] != refs[2]


def test_our_own_addresses_stay(log_output):
    log, read = log_output()
    log.info("connected to 127.0.0.1:5432 and ::1, listening on 0.0.0.0")
    assert json_lines(read())[0]["event"] == "connected to 127.0.0.1:5432 and ::1, listening on 0.0.0.0"


@pytest.mark.django_db
def test_the_rights_links_tokens_go():
    from privet.rights.links import status_token
    from privet.rights.models import RightsRequest
    from privet.rights.tokens import issue_verification_token

    request = RightsRequest(public_id=uuid.uuid4())
    verification, status = issue_verification_token(request), status_token(request)
    line = redact(f"GET /privacy/requests/verify/?token={verification} and /status/{status}/ "
                  f"bare {verification}")
    assert line == ("GET /privacy/requests/verify/?token=[redacted] and /status/[redacted]/ "
                    "bare [redacted]")


def test_fernet_tokens_and_the_archive_keys_go(settings):
    key = Fernet.generate_key().decode()
    settings.PRIVET_ARCHIVE_KEYS = [key]
    token = Fernet(key).encrypt(b"the archive").decode()
    assert redact(f"archive {token} under {key}") == "archive [redacted] under [redacted]"


def test_configured_secrets_go_by_value(settings):
    settings.EMAIL_HOST_PASSWORD = "mail-server-password-42"
    assert redact(f"login with mail-server-password-42 and {settings.SECRET_KEY}") == (
        "login with [redacted] and [redacted]")


@pytest.mark.parametrize(("line", "redacted"), [
    ("Authorization: Bearer abc.def-ghi_jkl", "Authorization: Bearer [redacted]"),
    ("{'HTTP_AUTHORIZATION': 'Basic dXNlcjpwYXNzd29yZA=='}", "{'HTTP_AUTHORIZATION': 'Basic [redacted]'}"),
    ("sent with bearer 0123456789abcdef", "sent with bearer [redacted]"),
    ("password=hunter2 secret: s3cr3t api_key='k-123'", "password=[redacted] secret: [redacted] "
                                                         "api_key='[redacted]'"),
    ("GET /callback?code=XYZ123&state=1&sig=abc&page=2",
     "GET /callback?code=[redacted]&state=[redacted]&sig=[redacted]&page=2"),
    ("postgres://privet:db-password@db.internal:5432/privet",
     "postgres://privet:[redacted]@db.internal:5432/privet"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig", "[redacted]"),
])
def test_credentials_in_any_usual_shape_go(line, redacted):
    assert redact(line) == redacted


@pytest.mark.parametrize("line", [
    "worker: task 42 (privet.rights.tasks.process) was left running (lease expired); queued again",
    "[2026-12-01 23:40:12 +0000] [1234] [INFO] Starting gunicorn 23.0.1",
    "KeyError: 'verification' status_code=404",
    "enquiries: the operators' notice of enquiry 7 was not sent: no operator has an email address. "
    "Set PRIVET_OPERATOR_EMAILS",
])
def test_ordinary_lines_are_left_as_they_are(line):
    assert redact(line) == line


def test_redacting_twice_changes_nothing_more():
    once = redact(f"{ANNA} from 203.0.113.5 token=abc Authorization: Bearer abcdefghij")
    assert redact(once) == once


def test_each_json_line_is_one_valid_event(log_output):
    log, read = log_output("json")
    log.info("first")
    try:
        raise RuntimeError("two\nlines")
    except RuntimeError:
        log.exception("second")
    log.info("third", stack_info=True)
    events = json_lines(read())  # a traceback stays inside its line
    assert [e["event"] for e in events] == ["first", "second", "third"]
    assert {"timestamp", "level", "logger", "process"} <= set(events[0])
    assert "RuntimeError: two\nlines" in events[1]["exception"] and "Stack" in events[2]["stack"]


def test_the_console_format_is_readable_and_redacted(log_output):
    log, read = log_output("console")
    try:
        raise ValueError(f"no mailbox {ANNA}")
    except ValueError:
        log.exception("mail to %s failed", ANNA)
    first, *rest = read().splitlines()
    assert "[error" in first and "mail to [email] failed" in first and "{" not in first
    assert "ValueError: no mailbox [email]" in rest


def test_structlog_events_take_the_same_way_out(log_output):
    import structlog

    log, read = log_output()
    structlog.get_logger(log.name).warning("refused", email=ANNA, client="203.0.113.5",
                                           token="abcdef123456")
    (event,) = json_lines(read())
    assert event["email"] == "[email]" and event["token"] == "[redacted]"
    assert event["client"].startswith("ip-ref:")


def test_an_unknown_log_format_is_refused_with_the_choices():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="use one of json, console"):
        formatter("xml")


def test_the_format_follows_the_demo_and_the_setting(monkeypatch):
    import importlib

    import privet.settings

    for env, expected in [({}, "json"), ({"PRIVET_DEMO": "1"}, "console"),
                          ({"PRIVET_DEBUG": "1"}, "console"),
                          ({"PRIVET_DEMO": "1", "PRIVET_LOG_FORMAT": "json"}, "json")]:
        for name in ("PRIVET_DEMO", "PRIVET_DEBUG", "PRIVET_LOG_FORMAT"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        chosen = importlib.reload(privet.settings).PRIVET_LOG_FORMAT
        assert chosen == expected, env
    monkeypatch.undo()
    importlib.reload(privet.settings)


def test_gunicorn_s_error_log_is_redacted_and_formatted_like_the_rest(capsys):
    from gunicorn.config import Config

    from privet.core.serverlog import PrivetGunicornLogger

    config = Config()
    config.set("bind", ["127.0.0.1:8123"])
    config.set("errorlog", "-")
    logger = PrivetGunicornLogger(config)
    try:
        logger.info("Listening at: http://127.0.0.1:8123 (1)")
        logger.error("Invalid request from ip=203.0.113.9: bad header %s", ANNA)
        logger.setup(config)  # a configuration reload: still one filter, one handler
        logger.info("Reloaded")
    finally:
        for handler in list(logger.error_log.handlers):
            if getattr(handler, "_gunicorn", False):
                logger.error_log.removeHandler(handler)
    events = json_lines(capsys.readouterr().err)
    assert events[0]["event"] == "Listening at: http://127.0.0.1:8123 (1)"
    assert events[1]["event"].startswith("Invalid request from ip=ip-ref:")
    assert events[1]["event"].endswith(": bad header [email]")
    assert events[2]["event"] == "Reloaded" and len(events) == 3


def test_a_browser_version_that_looks_like_an_address_is_left_alone():
    from privet.core.redact import pseudonymise_addresses

    line = "Mozilla/5.0 (X11; Linux x86_64) Chrome/141.0.0.0 Safari/537.36 from 203.0.113.9"
    out = pseudonymise_addresses(line)
    assert "Chrome/141.0.0.0" in out and "203.0.113.9" not in out and "ip-ref:" in out
