from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "privet.consent"
    label = "consent"
    verbose_name = "Cookie consent"
