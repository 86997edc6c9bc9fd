"""The names the admin shows for the third-party apps Privet runs on, in the operator's language.

django-axes, django-otp and the task backends name their apps after their packages ("Axes",
"Otp_Totp", "Tasks Database Backend"), and django-otp and django-tasks-db write many of their
field names and help texts as plain strings, which no translation catalogue can reach. At
start-up (:func:`translate_third_party_apps`, from the admin's ``AppConfig.ready``) each of these
apps gets a name that says what it is for, and every plain-string label of its models (model
names, field names, help texts, choices) becomes a lazy translation of the same English text,
so the Polish catalogue (``src/privet/locale/pl``) can translate it like any of ours.

Only the labels change: the English text stays the msgid, and migrations read a field's
original arguments, so no migration of a third-party app is ever needed.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.admin.templatetags import admin_list
from django.templatetags.static import static
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

# What each app is for, as an operator would name it.
APP_NAMES = {
    "axes": _("Sign-in lockouts"),
    "django_otp": _("Two-factor sign-in"),
    "otp_totp": _("Authenticator apps"),
    "otp_static": _("Recovery codes"),
    "otp_email": _("Codes by email"),
    "otp_hotp": _("Hardware keys (HOTP)"),
    "django_tasks": _("Background tasks"),
    "django_tasks_database": _("Background tasks"),
    "django_rq": _("Task queue (Redis)"),
    "altcha_django": _("Contact form proof-of-work"),
}
# Apps whose models' plain-string labels are made translatable.
LABELLED_APPS = ("axes", "otp_totp", "otp_static", "otp_email", "otp_hotp", "django_tasks_database",
                 "django_rq")


def _lazy(text):
    """``text`` as a lazy translation of itself; a lazy string or an empty one as it is."""
    if isinstance(text, Promise) or not text:
        return text
    return gettext_lazy(str(text))


def _label_model(model) -> None:
    opts = model._meta
    opts.verbose_name = _lazy(opts.verbose_name)
    if "verbose_name_plural" not in opts.original_attrs:  # Django's "<name>s", made lazily
        with translation.override(None):
            opts.verbose_name_plural = gettext_lazy(str(opts.verbose_name_plural))
    for field in [*opts.fields, *opts.many_to_many]:
        field.verbose_name = _lazy(field.verbose_name)
        field.help_text = _lazy(field.help_text)


def _task_result_name(result) -> str:
    return gettext("Task %(id)s") % {"id": result.pk}


def translate_third_party_apps() -> None:
    """Give the third-party apps their operators' names and translatable labels (idempotent).

    django-tasks-db's results have no name of their own ("DBTaskResult object (...)" heads
    their admin page): they get one in words."""
    for label, name in APP_NAMES.items():
        if label in apps.app_configs:
            apps.app_configs[label].verbose_name = name
    for label in LABELLED_APPS:
        if label in apps.app_configs:
            for model in apps.app_configs[label].get_models():
                _label_model(model)
    if "django_tasks_database" in apps.app_configs:
        apps.get_model("django_tasks_database", "DBTaskResult").__str__ = _task_result_name


def boolean_icon(value: bool | None) -> str:
    """The admin's yes/no icon, whose text alternative is a word in the page's language (Django
    writes ``alt="True"`` whatever the language, which a screen reader reads out in English)."""
    icon = {True: "yes", False: "no", None: "unknown"}[value]
    word = {True: gettext("Yes"), False: gettext("No"), None: gettext("Unknown")}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), word)


def translate_admin_booleans() -> None:
    """Every yes/no the admin shows (lists and read-only forms) uses :func:`boolean_icon`: both
    look Django's private ``_boolean_icon`` up in ``admin_list`` when they draw one."""
    admin_list._boolean_icon = boolean_icon
