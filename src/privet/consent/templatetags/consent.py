from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def consent_banner() -> str:
    """The one tag a page needs for the banner: this installation's own site id.

    Not deferred, and meant to come before any Google tag: the script pushes Consent Mode's
    ``default`` (all denied) the moment it runs, which must precede every tag that reads it.
    """
    return format_html(
        '<script src="{}" data-privet-site="{}"></script>',
        static("consent/consent.js"), settings.PRIVET_CONSENT_SITE,
    )
