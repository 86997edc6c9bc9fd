"""Answering a direct message from the panel (the "messages" workflow).

:func:`send_message` owns the one state change: a reply sent through the outbound client
(:func:`.http.call`: the grant's own token, the scope ``message.list.send``), stored only once
the platform has confirmed it with its message id, and audited without its text (the
conversation's platform id and the length: the words are the client's correspondence, kept
with the client's data, not in the studio's audit trail).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privet.audit.services import Actor, append_event
from privet.errors import PrivetError

from .connectors import connectors
from .http import call
from .models import Conversation, Grant, Message, PlatformAccount

READ_SCOPE = "message.list.read"
SEND_SCOPE = "message.list.send"


class InvalidMessage(PrivetError):
    """A reply refused before any call: empty, too long, or not allowed on this grant."""

    code = "invalid_message"


def message_max(grant: Grant) -> int:
    """The platform's longest direct message (TikTok: ``MESSAGE_MAX``)."""
    from .tiktok.connector import MESSAGE_MAX, TIKTOK

    return MESSAGE_MAX if grant.connector == TIKTOK.id else 1000


def may_read(grant: Grant) -> bool:
    """What was synced while the owner allowed reading stays readable until it is purged."""
    return READ_SCOPE in (grant.scopes or [])


def may_send(grant: Grant) -> bool:
    """Whether a reply may go out: the client agreed to the messages workflow and it can run
    on this grant (live, every scope it needs granted, ``message.list.send`` among them)."""
    from .sync import unavailable_reason

    workflow = connectors.get(grant.connector).workflows.get("messages")
    return (workflow is not None and not unavailable_reason(grant, workflow)
            and SEND_SCOPE in (grant.scopes or []))


def check_text(grant: Grant, text: str) -> str:
    """``text`` as it will be sent (trimmed), or :class:`InvalidMessage` with why not."""
    text = (text or "").strip()
    if not text:
        raise InvalidMessage(_("Write a message first."))
    limit = message_max(grant)
    if len(text) > limit:
        raise InvalidMessage(_("A message may be at most %(limit)d characters long (this one has "
                               "%(length)d).") % {"limit": limit, "length": len(text)})
    return text


def send_message(grant: Grant, conversation: Conversation, text: str, actor: Actor) -> Message:
    """Send ``text`` into ``conversation`` as the authorised account. Refused before any call
    when the grant does not hold ``message.list.send`` or the text is empty or too long; a
    platform error is raised as it is (nothing stored). The message is stored, marked as the
    account's own, only with the id the platform returned."""
    if conversation.client_id != grant.client_id or conversation.grant_id != grant.pk:
        raise InvalidMessage("This conversation is not of this authorisation.")
    if not may_send(grant):
        raise InvalidMessage(_("Replies are not available on this authorisation: the client's "
                               "messages workflow is off, the authorisation ended, or the owner "
                               "did not grant sending messages (message.list.send)."))
    text = check_text(grant, text)
    connector = connectors.get(grant.connector)
    answer = call(grant.client, connector, "account.message_send", grant=grant, actor=actor, json={
        "business_id": grant.account_id, "recipient_type": "CONVERSATION",
        "recipient": conversation.external_id, "message_type": "TEXT", "text": {"body": text}})
    data = answer.data if isinstance(answer.data, dict) else {}
    message_id = str(data.get("message_id") or "")[:200]
    if not message_id:
        raise InvalidMessage(_("The platform did not confirm the message; it was not stored."))
    grant = answer.grant or grant
    account = (PlatformAccount.objects.for_client(grant.client)
               .filter(grant=grant, kind="business_account")
               .values_list("username", flat=True).first()) or ""
    now = timezone.now()
    with transaction.atomic():
        message, _created = Message.objects.for_client(grant.client).update_or_create(
            client=grant.client, grant=grant, external_id=message_id,
            defaults={"conversation_id": conversation.external_id, "sender": account,
                      "kind": "TEXT", "text": text, "created": now, "by_account": True,
                      "synced_at": now, "revoked_at": None})
        Conversation.objects.for_client(grant.client).filter(pk=conversation.pk).update(updated=now)
        append_event(actor=actor, action="integrations.message_sent", obj=grant,
                     details={"client": grant.client.slug,
                              "conversation": conversation.external_id, "length": len(text)})
    return message
