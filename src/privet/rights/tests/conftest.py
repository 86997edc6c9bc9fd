"""Fixtures of the rights tests: the enquiries' cheap proof-of-work and SMTP servers, the panel's
operators with real TOTP devices."""

from privet.enquiries.tests.conftest import cheap_pow, pow_payload, smtp_server  # noqa: F401
from privet.panel.tests.conftest import make_operator  # noqa: F401
