from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnquiriesConfig(AppConfig):
    name = "privet.enquiries"
    label = "enquiries"
    verbose_name = _("Enquiries")

    def ready(self) -> None:
        from privet.audit import links

        from .models import Enquiry, enquiry_reference
        from .selectors import enquiry_urls

        # The audit log names an enquiry's events "E-000042" and links them to its panel page.
        links.register(Enquiry, url_for=enquiry_urls, name=enquiry_reference)
