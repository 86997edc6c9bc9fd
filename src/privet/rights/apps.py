from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "privet.rights"
    label = "rights"
    verbose_name = _("Rights requests")

    def ready(self) -> None:
        from privet.audit import actions, links
        from privet.core import schedule

        from . import jobs
        from .models import Channel, MailKind, RefusalGround, Right, RightsRequest, Status, request_reference
        from .selectors import request_urls

        # The audit log names a request's events "R-000042" and links them to its panel page.
        links.register(RightsRequest, url_for=request_urls, name=request_reference)
        every = [a for a in actions.ACTION_LABELS if a.startswith("rights.")]
        for key, choices in (("right", Right), ("channel", Channel), ("mail", MailKind),
                             ("from", Status), ("to", Status), ("ground", RefusalGround)):
            actions.register_values(actions=every, key=key, labels=dict(choices.choices))
        actions.register_values(actions=every, key="language",
                                labels={"en": _("English"), "pl": _("Polish")})
        # Close unverified requests, remind operators of deadlines, delete expired archives.
        schedule.every(timedelta(minutes=15), "rights.housekeeping", jobs.housekeeping)
