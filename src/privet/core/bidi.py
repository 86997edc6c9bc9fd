"""Invisible text-direction controls, which let a piece of text reorder what is around it.

A name such as ``"Jan \\u202eKowalski"`` (U+202E, RIGHT-TO-LEFT OVERRIDE) shows everything after
it backwards, the rest of the table row included, so a list of enquiries can be made to lie.
Privet does both:

- **input**: single-line fields that name someone (a person's name, a company) refuse these
  characters with a clear error: no name needs them, since the browser lays out a right-to-left
  name by itself (``dir="auto"``);
- **display**: every name the panel shows passes through ``|isolate`` (``{% load text_direction %}``),
  which removes them and puts the rest in ``<bdi>``, so even data that arrived another way (an
  older record, an import) cannot reverse the text around it, and a legitimately right-to-left
  name is laid out on its own without disturbing its neighbours.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The embeddings and overrides (U+202A-U+202E), the isolates (U+2066-U+2069), the left-to-right
# and right-to-left marks (U+200E, U+200F) and the Arabic letter mark (U+061C).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def has_bidi_controls(text: str) -> bool:
    return bool(BIDI_CONTROLS.search(text))


def strip_bidi_controls(text: str) -> str:
    """``text`` without any direction control; everything else as it was."""
    return BIDI_CONTROLS.sub("", text)


BIDI_MESSAGE = _("Remove the invisible text-direction characters (they can reverse the text "
                 "around them).")


def validate_no_bidi_controls(value: str) -> None:
    """A form field validator for names: refuses any direction control."""
    if value and has_bidi_controls(value):
        raise ValidationError(BIDI_MESSAGE, code="bidi_control")
