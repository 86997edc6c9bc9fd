"""The range of dates an operator may give: when an enquiry came in, when a step took effect.

A date typed by a person is checked against a floor and against today before anything stores
it. Without the floor a cleared or mistyped date picker (``0001-01-01``, ``0025-06-30`` for
2025) reached the database: PostgreSQL stored a BC timestamp once the local midnight was
moved to UTC, which psycopg then could not read back (every page listing it answered 500),
and SQLite's adapter overflowed on the same conversion.

Why 2000-01-01 (:data:`EARLIEST_DATE`): it is far inside the range that Python, SQLite and
PostgreSQL handle in every time zone, so no accepted date can overflow or turn BC; it refuses
the typical slips (year 1, a two-digit year); and it still lets an operator enter history from
an old mailbox when starting with Privet. Nothing Privet records can be older: the declaration's
longest periods (6 years of contract claims, 5 of accounting records) count from much later
events, and the company's operations before 2000 are not something an enquiry log holds. The
declaration has no founding date to use instead; a company founded later loses nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The first day an operator may give (see the module's docstring for why this one).
EARLIEST_DATE = date(2000, 1, 1)


def too_early(value: date | datetime) -> bool:
    """Whether ``value`` (a day, or a moment seen in local time) falls before :data:`EARLIEST_DATE`."""
    if isinstance(value, datetime):
        # The day as the operator sees it; a naive or BC-bound moment is compared by its face.
        day = (timezone.localtime(value) if timezone.is_aware(value) and value.year > 1
               else value).date()
        return day < EARLIEST_DATE
    return value < EARLIEST_DATE


def too_early_message() -> str:
    """What a refused date says, in the active language (shown beside the field)."""
    return gettext("Enter a date from %(earliest)s on.") % {"earliest": EARLIEST_DATE.isoformat()}


def validate_not_too_early(value: date | datetime | None) -> None:
    """A form field validator: refuses a day or moment before :data:`EARLIEST_DATE`."""
    if value is not None and too_early(value):
        raise forms.ValidationError(too_early_message(), code="too_early")


class OperatorDateField(forms.DateField):
    """A day given in the panel (ISO ``YYYY-MM-DD``, the browser's date picker): never before
    :data:`EARLIEST_DATE`, and never after today unless ``allow_future``. The picker gets the
    same range as ``min``/``max``."""

    default_error_messages = {
        "invalid": _("Enter a date like 2025-06-30."),
        "future": _("The date cannot be in the future."),
    }

    def __init__(self, *, allow_future: bool = False, **kwargs):
        self.allow_future = allow_future
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)
        self.validators.append(validate_not_too_early)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["min"] = EARLIEST_DATE.isoformat()
        return attrs

    def validate(self, value) -> None:
        super().validate(value)
        if value and not self.allow_future and value > timezone.localdate():
            raise forms.ValidationError(self.error_messages["future"], code="future")


class OperatorDateTimeField(forms.DateTimeField):
    """A moment given in the panel (the browser's ``datetime-local`` picker), in local time:
    never before :data:`EARLIEST_DATE`, and never in the future unless ``allow_future``."""

    default_error_messages = {
        "invalid": _("Enter a date and time, e.g. 2025-06-30 14:05."),
        "future": _("The date and time cannot be in the future."),
    }

    def __init__(self, *, allow_future: bool = False, **kwargs):
        self.allow_future = allow_future
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                        format="%Y-%m-%dT%H:%M"))
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["min"] = f"{EARLIEST_DATE.isoformat()}T00:00"
        return attrs

    def to_python(self, value):
        # Checked on the naive value as typed, before Django makes it aware: a moment in year 1
        # cannot always be moved to UTC, and the operator meant the day as written anyway.
        if isinstance(value, str) and value.strip():
            for fmt in self.input_formats:
                try:
                    typed = datetime.strptime(value.strip(), fmt)
                except (ValueError, TypeError):
                    continue
                validate_not_too_early(typed.date())
                break
        return super().to_python(value)

    def validate(self, value) -> None:
        super().validate(value)
        if value is None:
            return
        validate_not_too_early(value)
        if not self.allow_future and value > timezone.now():
            raise forms.ValidationError(self.error_messages["future"], code="future")

