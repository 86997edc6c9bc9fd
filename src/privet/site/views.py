from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from privet.policy.selectors import declaration_in_force


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "site/home.html", {"declaration": declaration_in_force()})
