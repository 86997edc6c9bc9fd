from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The public shell of the demo site: home page, layout, navigation, stylesheet."""

    name = "privet.site"
    label = "site"
    verbose_name = "Public site"
