"""Publishing policy versions: the only way a declaration becomes the policy in force."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from privet.audit.services import Actor, append_event
from privet.errors import PrivetError

from .loader import (
    DeclarationError,
    Problem,
    canonical_json,
    content_hash,
    load_declaration,
    parse_declaration,
    rule_label,
)
from .models import PolicyVersion
from .selectors import forget_hot_path_version


class AlreadyPublished(PrivetError):
    code = "already_published"


class EffectiveDateTooEarly(PrivetError):
    code = "effective_date_too_early"


@transaction.atomic(durable=True)
def publish_version(*, source: str, actor: Actor, origin: str = "<declaration>") -> PolicyVersion:
    """Validate ``source`` (YAML) and store it as a new immutable version.

    Refuses a version id that is already taken and content that is already published, so the
    history only grows and every id names exactly one text; and an effective date before the
    newest version's, which would never come into force yet would read as if it had been. A
    retention rule nothing enforces is refused too (:func:`refuse_unenforceable_rules`), so the
    retention engine never reads a rule it cannot apply.
    """
    declaration = parse_declaration(source, source=origin)
    refuse_dropped_categories(declaration, origin)
    refuse_unenforceable_rules(declaration, origin)
    digest = content_hash(declaration)
    if existing := PolicyVersion.objects.filter(content_hash=digest).first():
        raise AlreadyPublished(
            f"{origin}: this content is already published as version {existing.version} "
            f"(hash {digest[:12]})."
        )
    if PolicyVersion.objects.filter(version=declaration.version.id).exists():
        raise AlreadyPublished(
            f"{origin}: version id {declaration.version.id!r} is already published with other "
            "content; give the new text a new version.id and a changelog entry."
        )
    newest = PolicyVersion.objects.order_by("-effective").first()
    if newest and declaration.version.effective < newest.effective:
        raise EffectiveDateTooEarly(
            f"{origin}: version.effective {declaration.version.effective} is before "
            f"{newest.effective}, when version {newest.version} comes into force; a new version "
            "can only take effect on or after that date."
        )
    version = PolicyVersion.objects.create(
        version=declaration.version.id,
        effective=declaration.version.effective,
        content_hash=digest,
        canonical=canonical_json(declaration),
        source=source,
        published_by=actor if not isinstance(actor, str | None) else None,
    )
    forget_hot_path_version()  # now for this thread, and again once others can read the new row
    transaction.on_commit(forget_hot_path_version)
    append_event(
        actor=actor,
        action="policy.published",
        obj=version,
        policy_version=digest,
        details={"version": version.version, "effective": version.effective.isoformat()},
    )
    return version


def refuse_dropped_categories(declaration, origin: str) -> None:
    """A new version may not drop a category that code still stores (that would be drift)."""
    from privet.registry import registry

    in_use: dict[str, list[str]] = {}
    for field in registry.fields.values():
        if field.category not in declaration.category_ids:
            in_use.setdefault(field.category, []).append(field.label)
    if in_use:
        raise DeclarationError(origin, [
            Problem("categories", f"category {cat!r} is still stored by {', '.join(labels)}")
            for cat, labels in sorted(in_use.items())
        ])


def refuse_unenforceable_rules(declaration, origin: str) -> None:
    """Refuse a retention rule whose trigger no registered retention target provides for its
    category, unless a reason says why none does (``registry.rule_without_target``): the rule
    would read as enforced while nothing ever expires a record under it. A misspelt category
    is ``reference_problems``' to report; this names the triggers that would work."""
    from privet.registry import registry

    explained = {(r.category, r.purpose, r.trigger) for r in registry.rules_without_target}
    problems = []
    for i, rule in enumerate(declaration.retention):
        provided = {trigger for target in registry.targets.values()
                    if rule.category in target.categories for trigger in target.triggers}
        if rule.after in provided or (rule.category, rule.purpose, rule.after) in explained:
            continue
        offer = (f"for {rule.category} they provide {', '.join(sorted(provided))}" if provided
                 else f"none holds {rule.category}")
        problems.append(Problem(f"retention[{i}].after", (
            f"the rule for {rule_label(rule)}: no retention target provides the trigger "
            f"{rule.after!r} for {rule.category}, so nothing would ever expire data under it "
            f"({offer}). Count from a trigger a target provides, or register a RetentionTarget "
            "(or registry.rule_without_target with the reason) in the privacy.py of the app "
            "that stores the data.")))
    if problems:
        raise DeclarationError(origin, problems)


def ensure_default_published(*, path: Path, actor: Actor) -> PolicyVersion | None:
    """Publish ``path`` if nothing is published yet (first run of the demo); else do nothing."""
    if PolicyVersion.objects.exists():
        return None
    load_declaration(path)  # a clear error naming the file before anything is stored
    return publish_version(source=path.read_text(encoding="utf-8"), actor=actor, origin=str(path))
