"""``|isolate``: a name laid out on its own, unable to reverse the text around it (see
:mod:`privet.core.bidi`)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from privet.core.bidi import strip_bidi_controls

register = template.Library()


@register.filter
def isolate(value) -> str:
    """``<bdi>value</bdi>``, escaped, without direction controls; ``""`` for an empty value."""
    if value is None or value == "":
        return ""
    return format_html("<bdi>{}</bdi>", strip_bidi_controls(str(value)))


@register.filter
def no_bidi(value) -> str:
    """The text without direction controls, for places where no HTML may go (titles, attributes)."""
    return "" if value is None else strip_bidi_controls(str(value))
