"""Fixtures of the rights intake tests: the enquiries' cheap proof-of-work and SMTP servers."""

from privet.enquiries.tests.conftest import cheap_pow, pow_payload, smtp_server  # noqa: F401
