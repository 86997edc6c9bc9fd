from django.http import HttpRequest

from .navigation import resolved_links

# The public site's name (the header, titles, and the error pages, which read it from here).
SITE_NAME = "SoftCode"


def site(request: HttpRequest) -> dict:
    return {"nav_links": resolved_links(request.path), "privet_site_name": SITE_NAME}
