"""Fixtures of the enquiries tests: a published policy, cheap real proof-of-work, a real SMTP server."""

from __future__ import annotations

import pytest
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
