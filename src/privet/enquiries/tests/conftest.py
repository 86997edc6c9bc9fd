"""Fixtures of the enquiries tests: cheap real proof-of-work, real SMTP servers that answer as told."""

from __future__ import annotations

import logging
import socket

import pytest
from aiosmtpd.controller import Controller
from altcha import Challenge, Payload, solve_challenge


@pytest.fixture
def cheap_pow(settings):
    """Real ALTCHA challenges, but a few KDF rounds instead of thousands, so Python solves fast."""
    settings.ALTCHA_CHALLENGE = {"cost": 10, "key_prefix": "0"}


def solve(challenge_json: dict) -> str:
    """The payload a browser would submit after solving ``challenge_json``."""
    challenge = Challenge.from_dict(challenge_json)
    solution = solve_challenge(challenge, timeout=30)
    assert solution is not None
    return Payload(challenge, solution).to_base64()


@pytest.fixture
def pow_payload(client, cheap_pow):
    """Fetch a challenge from our endpoint and solve it: a fresh, valid proof-of-work each call."""

    def make() -> str:
        response = client.get("/altcha/challenge/")
        assert response.status_code == 200
        return solve(response.json())

    return make


VALID = {
    "name": "Anna Kowalska",
    "company": "Kowalska Design",
    "email": "anna@example.com",
    "phone": "+48 600 100 200",
    "project_type": "web_app",
    "message": "We need a booking panel for our studio.",
}


@pytest.fixture
def valid_data() -> dict[str, str]:
    return dict(VALID)


def free_port() -> int:
    """A port that was free a moment ago: nothing listens there (a mail server that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScriptedInbox:
    """A real SMTP server's handler whose answers to RCPT TO are scripted, one per recipient:
    ``"550 5.1.1 <{address}>: User unknown"`` refuses it (quoting the address, as real servers
    do), ``None`` or a spent script accepts it."""

    def __init__(self, rcpt_replies) -> None:
        self.rcpt_replies = list(rcpt_replies)
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd hook
        reply = self.rcpt_replies.pop(0) if self.rcpt_replies else None
        if reply:
            return reply.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """Start a real SMTP server (aiosmtpd) with scripted RCPT replies, on ``port`` if given, and
    point Django's SMTP backend at it: ``inbox = smtp_server("451 4.7.1 greylisted")``."""
    controllers = []
    # The test server's own log (aiosmtpd's "mail.log") quotes every address it is given; it is
    # the outside mail server, not Privet, so it is kept out of the logs the tests inspect.
    server_log = logging.getLogger("mail.log")
    level = server_log.level
    server_log.setLevel(logging.ERROR)

    def start(*rcpt_replies, port: int | None = None) -> ScriptedInbox:
        inbox = ScriptedInbox(rcpt_replies)
        controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
        controller.start()
        controllers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
        return inbox

    yield start
    for controller in controllers:
        controller.stop()
    server_log.setLevel(level)


@pytest.fixture
def smtp_down(settings) -> int:
    """Django's SMTP backend pointed at a port where no mail server listens; returns the port."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    return settings.EMAIL_PORT
