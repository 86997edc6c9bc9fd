"""A grant's direct messages in the panel (the "messages" workflow): its conversations, newest
first, and one conversation's messages with a reply box.

Shown only where the owner granted ``message.list.read``; the reply box only where they granted
``message.list.send`` (otherwise it says so). A reply goes through
:func:`privet.integrations.messaging.send_message`: it appears here once the platform has
confirmed it; a refused one shows its reason beside the field and nothing is stored."""

from __future__ import annotations

from django.contrib import messages as notices
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privet.integrations import messaging, selectors
from privet.integrations.errors import PlatformError, Refused
from privet.integrations.models import Conversation, Grant

from ..access import panel_view
from ..forms import MessageForm
from ..roles import WORK_INTEGRATIONS
from .integrations import labels


def _context(client, grant: Grant) -> dict:
    return {"section": "clients", "client": client, "grant": grant,
            **labels(grant.connector, grant.flow), "may_read": messaging.may_read(grant),
            "may_send": messaging.may_send(grant)}


@panel_view(WORK_INTEGRATIONS)
def conversations(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    client = selectors.client_for(request.user, slug)
    grant = selectors.grant_of(client, pk)
    context = _context(client, grant)
    context["conversations"] = list(selectors.conversations_of(grant)) if context["may_read"] else []
    return render(request, "panel/client_messages.html", context)


def _conversation_page(request: HttpRequest, client, grant: Grant, conversation: Conversation,
                       form: MessageForm | None = None, status: int = 200) -> HttpResponse:
    context = _context(client, grant)
    if form is None and context["may_send"]:
        form = MessageForm(grant=grant)
    if form is not None:
        form.aria_setup()
    context |= {"conversation": conversation, "form": form,
                "messages_shown": list(selectors.messages_of(conversation)) if context["may_read"] else [],
                "limit": messaging.message_max(grant)}
    return render(request, "panel/client_conversation.html", context, status=status)


@panel_view(WORK_INTEGRATIONS)
def conversation(request: HttpRequest, slug: str, pk: int, conversation: int) -> HttpResponse:
    client = selectors.client_for(request.user, slug)
    grant = selectors.grant_of(client, pk)
    found = selectors.conversation_of(grant, conversation)
    if request.method != "POST":
        return _conversation_page(request, client, grant, found)
    form = MessageForm(request.POST, grant=grant)
    if not messaging.may_send(grant):
        form.is_valid()
        form.add_error("text", _("The account owner did not grant sending messages "
                               "(message.list.send); nothing was sent."))
        return _conversation_page(request, client, grant, found, form, status=400)
    if not form.is_valid():
        return _conversation_page(request, client, grant, found, form, status=400)
    try:
        messaging.send_message(grant, found, form.cleaned_data["text"], request.user)
    except messaging.InvalidMessage as exc:
        form.add_error("text", str(exc))
        return _conversation_page(request, client, grant, found, form, status=400)
    except (PlatformError, Refused):
        form.add_error("text", _("The platform did not accept the message; nothing was stored. "
                                 "Try again later."))
        return _conversation_page(request, client, grant, found, form, status=502)
    notices.success(request, _("Message sent."))
    return redirect("panel:client-grant-conversation", slug=client.slug, pk=grant.pk,
                    conversation=found.pk)
