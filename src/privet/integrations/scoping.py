"""Clients are tenants: every query on integration data names its client.

A model that holds anything a client's integration brought in or needs (grants, links, calls,
synced records) subclasses :class:`ClientOwned`. Its ``objects`` manager refuses to build a
query that does not name a client (:class:`UnscopedQuery`, raised at once, in tests and in
production alike): ``Model.objects.for_client(client)`` is the only way in, so a view or a
job cannot read one client's data while working for another, and nothing can join across
clients by forgetting a filter. The plain manager (``all_clients``, Django's default: the
admin, cascades, the retention engine) is for the few system-wide jobs that must see every
client: expiry, key rotation, finding a webhook's grant by its platform account. The
isolation suite (``integrations/tests/test_isolation.py``) lists the modules allowed to use it
and fails for any other; ``privet.E032`` fails ``manage.py check`` for a client-owned model
without the scoped manager or with a nullable client.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from privet.errors import PrivetError


class UnscopedQuery(PrivetError):
    code = "unscoped_query"


class ClientScopedManager(models.Manager):
    """``Model.objects``: only :meth:`for_client` gives a queryset."""

    def get_queryset(self):
        raise UnscopedQuery(
            f"{self.model._meta.label} is a client's data: query it with "
            f"{self.model.__name__}.objects.for_client(client), never across clients."
        )

    def for_client(self, client) -> models.QuerySet:
        if getattr(getattr(client, "_meta", None), "label", "") != "integrations.Client" or client.pk is None:
            raise UnscopedQuery(f"for_client() needs a saved Client, not {type(client).__name__}.")
        return super().get_queryset().filter(client=client)


class ClientOwned(models.Model):
    """Abstract base of every model holding a client's integration data or settings."""

    client = models.ForeignKey("integrations.Client", on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("client"))

    # The first manager is Django's default (admin, cascades, the retention engine); code asks
    # through ``objects`` (see the module's docstring).
    all_clients = models.Manager()
    objects = ClientScopedManager()

    class Meta:
        abstract = True
