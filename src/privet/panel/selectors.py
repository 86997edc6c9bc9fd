"""Reads of the panel's own pages (the enquiry pages read through privet.enquiries.selectors,
the audit log through privet.audit.selectors)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from privet.audit import links
from privet.audit.selectors import usernames

if TYPE_CHECKING:
    from privet.audit.models import AuditEvent

@dataclass(frozen=True)
class AuditRow:
    """An audit event as the log page shows it: codes kept, plus who (a username for
    ``user:<id>``), and the object's name and a link to it when the app that owns it registered
    them (:mod:`privet.audit.links`) and it still exists."""

    event: AuditEvent
    actor: str
    object_url: str = ""
    object_name: str = ""


def audit_rows(events: Sequence[AuditEvent]) -> list[AuditRow]:
    """``events`` with their actors' usernames and their objects' names and links: one query for
    the users, one per type of object among them (none when no event names one)."""
    names = usernames(e.actor for e in events)
    objects = links.object_links(events)
    rows = []
    for e in events:
        link = objects.get((e.object_type, e.object_id), links.ObjectLink())
        rows.append(AuditRow(event=e, actor=names.get(e.actor, e.actor), object_url=link.url,
                             object_name=link.name))
    return rows
