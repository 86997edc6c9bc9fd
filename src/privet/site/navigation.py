"""Links of the public site's navigation. Apps add theirs here as they arrive.

A link whose URL name does not resolve (its app is not installed) is simply left out.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavLink:
    url_name: str
    label: str | Promise


SITE_LINKS = [
    NavLink("site:home", _("Home")),
    NavLink("policy:page", _("Privacy policy")),
    NavLink("enquiries:contact", _("Contact")),
    NavLink("rights:portal", _("Your data")),
]


def resolved_links(current_path: str) -> list[dict]:
    links = []
    for link in SITE_LINKS:
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:
            continue
        links.append({"url": url, "label": link.label, "current": url == current_path})
    return links
