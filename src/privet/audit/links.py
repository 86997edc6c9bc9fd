"""How an audit event's object is named and linked: a registry the owning apps fill in.

The log stores an event's object as ``object_type`` (the model's ``app_label.modelname``) and
``object_id``; it cannot know which objects have a page, nor where. Each app registers its own
types when it is ready (``AppConfig.ready``)::

    links.register(Enquiry, url_for=enquiry_urls, name=enquiry_reference)

- ``url_for(ids)`` gets the ids (strings, as stored) of that type among the events on one page
  of the log and returns ``{id: url}`` for those that still exist and have a page, with one
  query;
- ``name(id)``, optional, says what people call the object (``E-000042``), without a query.

:func:`object_links` asks each registered type present once, so a page of events costs one
query per type of object on it, however many events there are; events about a type nobody
registered are neither named nor linked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from django.db import models

UrlsFor = Callable[[set[str]], Mapping[str, str]]
NameFor = Callable[[str], str]


class HasObject(Protocol):
    object_type: str
    object_id: str


@dataclass(frozen=True)
class ObjectLink:
    """An event's object as the log shows it: its page (``""``: none, or the object is gone)
    and its name (``""``: none registered)."""

    url: str = ""
    name: str = ""


@dataclass(frozen=True)
class _ObjectType:
    url_for: UrlsFor
    name: NameFor | None


_types: dict[str, _ObjectType] = {}


def _label(model: str | type[models.Model]) -> str:
    return model.lower() if isinstance(model, str) else model._meta.label_lower


def register(model: str | type[models.Model], *, url_for: UrlsFor, name: NameFor | None = None) -> None:
    """Name and link the audit events about ``model`` (a model, or its ``"app_label.model"``);
    registering a type again replaces its entry."""
    _types[_label(model)] = _ObjectType(url_for=url_for, name=name)


def unregister(model: str | type[models.Model]) -> None:
    _types.pop(_label(model), None)


def object_links(events: Iterable[HasObject]) -> dict[tuple[str, str], ObjectLink]:
    """``{(object_type, object_id): ObjectLink}`` for the events whose object is of a registered
    type: one ``url_for`` call (one query) per such type present, none for the others."""
    ids: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.object_id and event.object_type in _types:
            ids[event.object_type].add(event.object_id)
    found: dict[tuple[str, str], ObjectLink] = {}
    for object_type, object_ids in ids.items():
        kind = _types[object_type]
        urls = kind.url_for(object_ids)
        for object_id in object_ids:
            found[(object_type, object_id)] = ObjectLink(
                url=urls.get(object_id, ""), name=kind.name(object_id) if kind.name else "")
    return found
