import json
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches

DEFAULT_FILE = Path(settings.PRIVET_DEFAULT_POLICY_FILE)


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    """Each test starts with no receipts counted against 127.0.0.1 (the limit is per process)."""
    caches[settings.PRIVET_CONSENT_RATE_CACHE].clear()


@pytest.fixture
def policy(published):
    """The default SoftCode declaration, published: sites softcode and privet (this installation)."""
    return published


@pytest.fixture
def receipt(policy):
    """A valid receipt body; override fields by calling it."""
    def make(**overrides) -> dict:
        body = {
            "site": "softcode",
            "visitor": secrets.token_hex(16),
            "choices": {"analytics": True, "marketing": False},
            "policy": policy.content_hash,
            "method": "custom",
            "gpc": False,
            "banner": "1",
            "lang": "en",
        }
        body.update(overrides)
        return body
    return make


@pytest.fixture
def post(client):
    """POST a receipt to the real API (JSON body unless ``raw`` bytes are given)."""
    def send(body=None, *, raw: bytes | None = None, **headers):
        data = raw if raw is not None else json.dumps(body)
        return client.post("/api/consent/receipts", data=data, content_type="application/json",
                           **headers)
    return send
