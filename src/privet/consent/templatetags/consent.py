from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def consent_banner() -> str:
    """The one tag a page needs for the banner: this installation's own site id."""
    return format_html(
        '<script src="{}" data-privet-site="{}" defer></script>',
        static("consent/consent.js"), settings.PRIVET_CONSENT_SITE,
    )
