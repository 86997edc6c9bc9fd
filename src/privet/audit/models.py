from django.db import models
from django.utils.translation import gettext_lazy as _

# The hash the first event chains from: 64 zeros, so every event has a predecessor hash.
GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One entry in the append-only, hash-chained audit log.

    ``seq`` is assigned by :func:`privet.audit.services.append_event` under the chain lock, so
    it is contiguous (database sequences are not: they skip on rollback). ``hash`` is the SHA-256
    of the event's canonical content including ``prev_hash``; any edited or deleted row breaks
    the chain at that point (``privet audit verify``), and ``mac`` seals it with a key kept outside
    the database, so a re-hashed or hand-written event is caught too. The database refuses to
    update or delete a row (migration 0004); ``details`` is stored as canonical JSON text so
    verification hashes bytes as stored.
    """

    seq = models.BigIntegerField(_("number"), primary_key=True)
    created_at = models.DateTimeField(_("when"))
    actor = models.CharField(_("who"), max_length=150,
                             help_text=_("Who acted: an account, or a part of Privet that acts on its own."))
    action = models.CharField(_("what happened"), max_length=100)
    object_type = models.CharField(_("type of object"), max_length=100, blank=True)
    object_id = models.CharField(_("object number"), max_length=100, blank=True)
    subject_ref = models.CharField(
        _("person (pseudonym)"), max_length=64, blank=True,
        help_text=_("Keyed pseudonym of the data subject, never the raw id."),
    )
    policy_version = models.CharField(_("policy version in force (hash)"), max_length=64, blank=True)
    details = models.TextField(_("details"), default="{}")
    # unique: the chain cannot fork
    prev_hash = models.CharField(_("hash of the previous event"), max_length=64, unique=True)
    # Not indexed: nothing looks events up by their own hash, and a unique index on random
    # values costs every append a random B-tree insert. prev_hash's uniqueness prevents forks.
    hash = models.CharField(_("hash of this event"), max_length=64)
    # A MAC of ``hash`` under the audit key, which is not in the database (privet.audit.chain).
    mac = models.CharField(_("seal"), max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        indexes = [
            # Operators look up everything that happened to one person (rights requests).
            models.Index(fields=["subject_ref", "seq"], name="audit_subject_idx"),
            # ...and to one object (an enquiry's history).
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        from .actions import action_label

        return f"#{self.seq} {action_label(self.action)}"
