"""The names the admin shows for the third-party apps Privet runs on, in the operator's language.

django-axes, django-otp and the task backends name their apps after their packages ("Axes",
"Otp_Totp", "Tasks Database Backend"), and django-otp and django-tasks-db write many of their
field names and help texts as plain strings, which no translation catalogue can reach. At
start-up (:func:`translate_third_party_apps`, from the admin's ``AppConfig.ready``) each of these
apps gets a name that says what it is for, and every plain-string label of its models (model
names, field names, help texts) becomes a lazy translation of the same English text, so the
Polish catalogue (``src/privet/locale/pl``) can translate it like any of ours.

Only the labels change: the English text stays the msgid, and migrations read a field's
original arguments, so no migration of a third-party app is ever needed. Two things cannot be
reached through labels and are replaced here, each in one line a test covers
(``panel/tests/test_polish_pages.py``): the names of objects that have none in words (a task
result, a sign-in attempt, an account's role row) and the text alternative of the admin's
yes/no icons.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.admin.templatetags import admin_list
from django.templatetags.static import static
from django.utils import timezone, translation
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


def _attempt_name(attempt) -> str:
    when = f"{timezone.localtime(attempt.attempt_time):%Y-%m-%d %H:%M:%S}" if attempt.attempt_time else ""
    return gettext("Failed sign-ins (%(when)s)") % {"when": when}


def _membership_name(row) -> str:
    """"ada: Administrator", "Operator: Can view: enquiry": who has what."""
    from django.contrib.auth.models import Group, Permission

    from .admin import group_label, permission_label

    def name(obj) -> str:
        if isinstance(obj, Group):
            return group_label(obj)
        return permission_label(obj) if isinstance(obj, Permission) else str(obj)

    who = row.user if hasattr(row, "user") else row.group
    what = row.group if hasattr(row, "group") and hasattr(row, "user") else row.permission
    return f"{name(who)}: {name(what)}"


def _label_memberships() -> None:
    """An account's groups and permissions are rows of tables Django makes itself, named
    "User-group relationship", "User_groups object (1)" in English whatever the language (the
    admin lists them before an account is deleted)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    names = ((get_user_model().groups.through, _("role membership"), _("role memberships")),
             (get_user_model().user_permissions.through, _("permission of an account"),
              _("permissions of accounts")),
             (Group.permissions.through, _("permission of a role"), _("permissions of roles")))
    for through, one, many in names:
        through._meta.verbose_name, through._meta.verbose_name_plural = one, many
        through.__str__ = _membership_name


def translate_third_party_apps() -> None:
    """Give the third-party apps their operators' names and translatable labels (idempotent).

    django-tasks-db's results and django-axes' attempts are named in English or not at all
    ("DBTaskResult object (...)", "Attempted Access: ...") at the head of their admin pages:
    they get names in words, as do the tables Django makes for accounts' groups."""
    for label, name in APP_NAMES.items():
        if label in apps.app_configs:
            apps.app_configs[label].verbose_name = name
    for label in LABELLED_APPS:
        if label in apps.app_configs:
            for model in apps.app_configs[label].get_models():
                _label_model(model)
    if "django_tasks_database" in apps.app_configs:
        apps.get_model("django_tasks_database", "DBTaskResult").__str__ = _task_result_name
    if "axes" in apps.app_configs:
        apps.get_model("axes", "AccessAttempt").__str__ = _attempt_name
    _label_memberships()


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
