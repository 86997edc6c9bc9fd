from django import template
from django.utils import timezone

from ..roles import ROLE_LABELS, roles_of

register = template.Library()


@register.simple_tag
def role_label(user) -> str:
    """The user's role as shown in the header ("Administrator"); one query."""
    return ", ".join(str(ROLE_LABELS[r]) for r in roles_of(user))


@register.filter
def age_days(when) -> int:
    """Calendar days since ``when`` in the panel's time zone: 0 on the same day ("today"), 1 the
    day after, whatever the hour."""
    return (timezone.localdate() - timezone.localdate(when)).days if when else 0


@register.filter
def status_label(value: str) -> str:
    """An enquiry status code ("offer") as its label ("Offer sent")."""
    from privet.enquiries.models import Status

    return Status(value).label if value in Status.values else value


@register.simple_tag
def demo_outbox() -> bool:
    """Whether the demo keeps its mail for the Outbox page (``privet demo``)."""
    from privet.core import demo_outbox as outbox

    return outbox.enabled()


@register.filter
def days_until(day, today) -> int:
    """Whole days from ``today`` to ``day`` (0 on the day, negative after it)."""
    return (day - today).days if day and today else 0


@register.filter
def abs_days(n: int) -> int:
    return abs(int(n))


@register.filter
def mail_state(state: str) -> str:
    """A rights mail row's state ("sent") in words."""
    from django.utils.translation import pgettext

    words = {"pending": pgettext("mail state", "waiting to be sent"),
             "sending": pgettext("mail state", "being sent"),
             "sent": pgettext("mail state", "sent"),
             "failed": pgettext("mail state", "not sent"),
             "uncertain": pgettext("mail state", "may have been sent")}
    return words.get(state, state)


@register.simple_tag
def account_of(grant) -> str:
    """The platform account ``grant`` authorised, as people know it (a grant's own pages; the
    client page has every grant's in one query)."""
    from privet.integrations.selectors import account_names

    return account_names(grant.client, grant)[grant.pk]
