from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnquiriesConfig(AppConfig):
    name = "privet.enquiries"
    label = "enquiries"
    verbose_name = _("Enquiries")

    def ready(self) -> None:
        from privet.audit import actions, links

        from .models import Enquiry, enquiry_reference
        from .selectors import enquiry_urls

        # The audit log names an enquiry's events "E-000042" and links them to its panel page.
        links.register(Enquiry, url_for=enquiry_urls, name=enquiry_reference)
        # ...and words the codes in their details.
        from privet.audit.actions import register_values

        from .models import Channel, MailKind, ProjectType, Status

        every = [a for a in actions.ACTION_LABELS if a.startswith("enquiry.")]
        for key, choices in (("channel", Channel), ("project_type", ProjectType), ("mail", MailKind),
                             ("status", Status), ("from", Status), ("to", Status)):
            register_values(actions=every, key=key, labels=dict(choices.choices))
        register_values(actions=every, key="language", labels={"en": _("English"), "pl": _("Polish")})
