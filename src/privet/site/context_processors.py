from django.http import HttpRequest

from .navigation import resolved_links


def site(request: HttpRequest) -> dict:
    return {"nav_links": resolved_links(request.path), "privet_site_name": "SoftCode"}
