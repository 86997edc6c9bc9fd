from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from privet.policy.selectors import current_version


def home(request: HttpRequest) -> HttpResponse:
    version = current_version()
    return render(request, "site/home.html", {
        "declaration": version.declaration() if version else None,
    })
