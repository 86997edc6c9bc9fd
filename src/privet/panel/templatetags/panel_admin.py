"""Template tags of the admin's pages: counts of records in words that agree with the number."""

from __future__ import annotations

from django import template
from django.db.models.options import Options
from django.utils import translation
from django.utils.translation import npgettext

register = template.Library()

COUNT_CONTEXT = "count of records"


@register.simple_tag
def count_of(n: int, opts: Options) -> str:
    """``n`` records of a model in words: "1 consent receipt", "3 potwierdzenia zgód",
    "5 potwierdzeń zgód". The admin writes the number beside the model's plural name, which
    is right in English and wrong in Polish, which has three plural forms: each model's count
    is one entry with plural forms in the catalogue, keyed by its English names. A model the
    catalogue lacks is counted as the admin counts it."""
    with translation.override("en"):
        one, many = f"%(count)s {opts.verbose_name}", f"%(count)s {opts.verbose_name_plural}"
    words = npgettext(COUNT_CONTEXT, one, many, n)
    if words in (one, many) and not translation.get_language().startswith("en"):
        words = f"%(count)s {opts.verbose_name if n == 1 else opts.verbose_name_plural}"
    return words % {"count": n}
