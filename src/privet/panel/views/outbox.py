"""The demo's Outbox: the mail ``privet demo`` would have sent, for a new user to read.

Only while mail goes to the demo's outbox (:mod:`privet.core.demo_outbox`); a real installation
sends its mail, and this page does not exist there (404).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from privet.core import demo_outbox

from ..access import panel_view


@panel_view()
def outbox(request: HttpRequest) -> HttpResponse:
    if not demo_outbox.enabled():
        raise Http404("Mail is sent, not kept: the outbox exists only in the demo.")
    return render(request, "panel/outbox.html", {
        "section": "outbox", "mails": demo_outbox.recent_mail(), "shown": demo_outbox.SHOWN,
    })
