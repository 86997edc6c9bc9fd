"""The one place where an app tells Privet what personal data it holds and how to handle it.

Each app keeps a ``privacy.py`` module (discovered at start-up, the way ``admin.py`` is) that
calls into :data:`registry`:

- :meth:`PrivacyRegistry.personal_data` maps model fields to categories of the policy
  declaration. The drift check (``privet.E001``...) fails ``manage.py check`` for any field that
  looks personal and is not mapped, so code can never store what the policy does not mention.
- :meth:`PrivacyRegistry.subject_source` plugs a store into the rights engine (find, export,
  rectify, restrict, erase one person's data) without the engine knowing app internals.
- :meth:`PrivacyRegistry.retention_hook` tells the retention engine how to expire the records
  that a declared retention rule (category + purpose) covers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from django.db import models
from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class PersonalField:
    """A model field that holds personal data of a declared category."""

    model: type[models.Model]
    field_name: str
    category: str

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field_name}"


@dataclass(frozen=True)
class NotPersonal:
    """A field that looks personal by its name or type but is not, and why (shown in reviews)."""

    model: type[models.Model]
    field_name: str
    reason: str


@dataclass(frozen=True)
class SubjectQuery:
    """Who a rights request is about: the identifiers the person proved they control."""

    email: str | None = None
    phone: str | None = None
    visitor_id: str | None = None


@runtime_checkable
class SubjectSource(Protocol):
    """A store of personal data that the rights engine can search and act on.

    ``retention_reason`` returns why a record must be kept despite an erasure request (for
    example an accounting duty), or ``None`` when it may go.
    """

    name: str

    def find(self, subject: SubjectQuery) -> Iterable[Any]: ...
    def export(self, subject: SubjectQuery) -> dict[str, Any]: ...
    def rectify(self, subject: SubjectQuery, changes: dict[str, Any]) -> int: ...
    def restrict(self, subject: SubjectQuery) -> int: ...
    def erase(self, subject: SubjectQuery) -> int: ...
    def retention_reason(self, record: Any) -> str | None: ...


@dataclass(frozen=True)
class RetentionHook:
    """How to expire what one declared retention rule (category + purpose) covers.

    ``expire(cutoff_for)`` receives a function that turns a record's trigger time into its expiry
    time under the rule, and returns how many records it removed or anonymised.
    """

    category: str
    purpose: str
    name: str
    expire: Callable[[Callable[[datetime], datetime]], int]


@dataclass
class PrivacyRegistry:
    fields: dict[tuple[str, str], PersonalField] = field(default_factory=dict)
    exempt: dict[tuple[str, str], NotPersonal] = field(default_factory=dict)
    sources: dict[str, SubjectSource] = field(default_factory=dict)
    retention_hooks: list[RetentionHook] = field(default_factory=list)

    def personal_data(
        self,
        model: type[models.Model],
        fields: dict[str, str],
        *,
        not_personal: dict[str, str] | None = None,
    ) -> None:
        """Map ``{field_name: category_id}`` for ``model``; ``not_personal`` gives reasons."""
        for name, category in fields.items():
            self.fields[(model._meta.label, name)] = PersonalField(model, name, category)
        for name, reason in (not_personal or {}).items():
            self.exempt[(model._meta.label, name)] = NotPersonal(model, name, reason)

    def subject_source(self, source: SubjectSource) -> None:
        if source.name in self.sources:
            raise ValueError(f"A subject source named {source.name!r} is already registered.")
        self.sources[source.name] = source

    def retention_hook(self, hook: RetentionHook) -> None:
        self.retention_hooks.append(hook)

    def category_of(self, model: type[models.Model], field_name: str) -> str | None:
        mapped = self.fields.get((model._meta.label, field_name))
        return mapped.category if mapped else None

    def is_exempt(self, model: type[models.Model], field_name: str) -> bool:
        return (model._meta.label, field_name) in self.exempt


registry = PrivacyRegistry()


def autodiscover() -> None:
    """Import every installed app's ``privacy`` module so its registrations take effect."""
    autodiscover_modules("privacy")
