from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import cache
from .schema import Declaration


class PolicyVersion(models.Model):
    """A published, immutable version of the policy declaration.

    Only :func:`privet.policy.services.publish_version` creates rows and nothing updates them;
    ``content_hash`` is the SHA-256 of ``canonical`` so anyone holding a consent receipt or a
    request record can prove which text was in force.
    """

    version = models.CharField(_("version"), max_length=32, unique=True)
    effective = models.DateField(_("in force from"))
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64, unique=True)
    canonical = models.TextField(_("canonical JSON"), help_text=_("Canonical JSON of the declaration."))
    source = models.TextField(_("declaration (YAML)"),
                              help_text=_("The YAML as published, for download and diffs."))
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["-effective", "-published_at"]
        get_latest_by = "effective"

    def __str__(self) -> str:
        return f"{self.version} ({self.effective:%Y-%m-%d})"

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    def declaration(self) -> Declaration:
        """The validated declaration, parsed from ``canonical`` once per process.

        Delegates to the one cache in :mod:`privet.policy.selectors` (keyed by content hash): on a
        row loaded without its texts (``current_version()``) only the process's first call for
        this version costs a query, to read ``canonical``.
        """
        return cache._cache.declaration_of(self)
