"""Reads of the panel's own pages (the enquiry pages read through privet.enquiries.selectors,
the audit log through privet.audit.selectors)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from privet.audit import links
from privet.audit.actions import action_label, details_pairs, object_type_label
from privet.audit.actors import actor_name
from privet.audit.selectors import usernames

if TYPE_CHECKING:
    from privet.audit.models import AuditEvent

@dataclass(frozen=True)
class AuditRow:
    """An audit event as the log page shows it, in words (:mod:`privet.audit.actions`,
    :mod:`privet.audit.actors`): who (a username for ``user:<id>``), what happened, its details,
    and the object's type, name and a link to it when the app that owns it registered them
    (:mod:`privet.audit.links`) and it still exists."""

    event: AuditEvent
    actor: str
    object_url: str = ""
    object_name: str = ""
    action: str = ""
    object_type: str = ""
    details: tuple[tuple[str, str], ...] = ()


def _details(event: AuditEvent) -> dict:
    try:
        details = json.loads(event.details)
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def audit_rows(events: Sequence[AuditEvent]) -> list[AuditRow]:
    """``events`` with their actors' usernames and their objects' names and links: one query for
    the users, one per type of object among them (none when no event names one)."""
    names = usernames(e.actor for e in events)
    objects = links.object_links(events)
    rows = []
    for e in events:
        link = objects.get((e.object_type, e.object_id), links.ObjectLink())
        rows.append(AuditRow(event=e, actor=actor_name(e.actor, names), object_url=link.url,
                             object_name=link.name, action=action_label(e.action),
                             object_type=object_type_label(e.object_type) if e.object_type else "",
                             details=tuple(details_pairs(_details(e), action=e.action))))
    return rows
