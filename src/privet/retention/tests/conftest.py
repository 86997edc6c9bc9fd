"""Records the retention tests expire: enquiries with moved clocks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from privet.enquiries import services
from privet.enquiries.models import Enquiry


def enquiry(*, email: str = "anna@example.com", received: datetime | None = None,
            steps: tuple[tuple[str, datetime], ...] = ()) -> Enquiry:
    """An enquiry received at ``received`` that went through ``steps`` (status, when)."""
    received = received or timezone.now()
    made = services.log_enquiry(
        data={"name": "Anna Kowalska", "company": "", "email": email, "phone": "",
              "project_type": "web_app", "message": "A booking panel, please."},
        actor="test", received_at=received)
    for status, at in steps:
        services.change_status(enquiry=made, to_status=status, actor="test", at=at)
    return Enquiry.objects.get(pk=made.pk)


def closed(days_ago: float, **kwargs) -> Enquiry:
    now = timezone.now()
    return enquiry(received=now - timedelta(days=days_ago + 5),
                   steps=(("closed", now - timedelta(days=days_ago)),), **kwargs)


@pytest.fixture
def make_enquiry():
    return enquiry


@pytest.fixture
def closed_enquiry():
    return closed
