from django import template
from django.urls import translate_url
from django.utils.translation import get_language

register = template.Library()


@register.filter
def t(value, lang: str | None = None):
    """A declaration text (``Text``/``TextList``) in the page's language."""
    if value is None:
        return ""
    return value.get(lang or get_language())


@register.simple_tag(takes_context=True)
def other_language_url(context, lang_code: str) -> str:
    """The current page in another language (translated path, e.g. /pl/polityka-prywatnosci/)."""
    request = context["request"]
    return translate_url(request.get_full_path(), lang_code)
