"""What every Privet form shares: errors and help tied to their fields for screen readers."""

from __future__ import annotations


class AriaFormMixin:
    """``aria_setup()`` ties each field to its help text and errors (aria-describedby,
    aria-invalid), for the fields ``aria_fields()`` names (default: all). Templates give the
    help ``{auto_id}_help`` and each error ``{auto_id}_error``."""

    def aria_fields(self) -> set[str] | None:
        return None

    def aria_setup(self) -> None:
        wanted = self.aria_fields()
        for bound in self:
            if wanted is not None and bound.name not in wanted:
                continue
            ids = [f"{bound.auto_id}_help"] if bound.help_text else []
            if bound.errors:
                ids.append(f"{bound.auto_id}_error")
                bound.field.widget.attrs["aria-invalid"] = "true"
            if ids:
                bound.field.widget.attrs["aria-describedby"] = " ".join(ids)
