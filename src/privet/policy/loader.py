"""Reading a declaration: YAML in, a validated :class:`Declaration` or a clear error out.

Also the canonical JSON a published version is stored and hashed as, and reading it back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from privet.errors import PrivetError

from .schema import Declaration, reference_problems


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


class DeclarationError(PrivetError):
    """A declaration that cannot be published, with every problem found in it."""

    code = "invalid_declaration"

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {p.path or '(top level)'}: {p.message}" for p in problems]
        super().__init__("\n".join(lines))


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def parse_declaration(text: str, *, source: str = "<declaration>") -> Declaration:
    """Validate YAML ``text``; raise :class:`DeclarationError` naming ``source`` and each field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise DeclarationError(source, [Problem(where, f"not valid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise DeclarationError(source, [Problem("", "the file must hold a YAML mapping")])
    try:
        declaration = Declaration.model_validate(data)
    except ValidationError as exc:
        raise _declaration_error(source, exc, data) from None
    if refs := reference_problems(declaration):
        raise DeclarationError(source, [Problem(path, msg) for path, msg in refs])
    return declaration


def _declaration_error(source: str, exc: ValidationError,
                       data: dict[str, Any] | None = None) -> DeclarationError:
    return DeclarationError(
        source, [Problem(_loc_to_path(err["loc"]), _rule_of(err["loc"], data) + _message(err))
                 for err in exc.errors()]
    )


def rule_label(rule: Any) -> str:
    """A retention rule as its author reads it: ``technical_data (security, after collected)``."""
    get = rule.get if isinstance(rule, dict) else (lambda k: getattr(rule, k, None))
    return f"{get('category') or '?'} ({get('purpose') or '?'}, after {get('after') or '?'})"


def _rule_of(loc: tuple[Any, ...], data: dict[str, Any] | None) -> str:
    """"the rule for ...: " when the problem is inside a retention rule, so a file with fifteen
    of them says which one (an index alone means counting in the file)."""
    if not data or len(loc) < 2 or loc[0] != "retention" or not isinstance(loc[1], int):
        return ""
    rules = data.get("retention")
    if not isinstance(rules, list) or not loc[1] < len(rules) or not isinstance(rules[loc[1]], dict):
        return ""
    return f"the rule for {rule_label(rules[loc[1]])}: "


def _message(err: dict[str, Any]) -> str:
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "extra_forbidden":
        return "unknown field (check its spelling against the schema)"
    if err["type"] == "value_error" and "error" in err.get("ctx", {}):
        return str(err["ctx"]["error"])  # our validator's own words, without "Value error, "
    return str(err["msg"])


def load_declaration(path: str | Path) -> Declaration:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DeclarationError(str(path), [Problem("", f"cannot read file: {exc.strerror}")]) from None
    return parse_declaration(text, source=str(path))


def canonical_json(declaration: Declaration) -> str:
    """The declaration as canonical JSON: what its content hash is taken over."""
    return json.dumps(
        declaration.model_dump(mode="json"), sort_keys=True, separators=(",", ":"),
        ensure_ascii=False,
    )


def content_hash(declaration: Declaration) -> str:
    return hashlib.sha256(canonical_json(declaration).encode()).hexdigest()


def parse_canonical(text: str, *, source: str = "<canonical>") -> Declaration:
    """A published version's declaration, from the canonical JSON its content hash covers.

    Reading that text rather than the YAML ``source`` means the declaration in use is exactly the
    hashed one. Its references were checked when it was published, so only the structure is
    validated here; a version the schema no longer accepts raises :class:`DeclarationError`.
    """
    try:
        return Declaration.model_validate_json(text)
    except ValidationError as exc:
        raise _declaration_error(source, exc) from None
