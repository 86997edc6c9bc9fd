"""Who did it: the audit log's actors, as the codes it stores and as people read them.

An event's ``actor`` is a stable code, hashed as written (:func:`.services.actor_label` makes
it): ``user:<id>`` for an account, ``system`` for Privet itself, or one of the codes below for a
part of Privet, or of the public site, that acts on its own. Apps write these constants rather
than their own strings, so the log speaks one vocabulary; a code this module does not know is
shown as it is, so nothing recorded is ever hidden.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

SYSTEM = "system"
WORKER = "system:worker"  # the task worker (sending mail)
RIGHTS = "system:rights"  # the rights engine, carrying out a person's request
RETENTION = "system:retention"  # the retention rules, deleting what has expired
DEMO = "system:demo"  # `privet demo`'s sample data
CONTACT_FORM = "public:contact-form"  # a visitor, through the public contact form
CLI = "cli"  # an operator at the command line; "cli:<command>" says which
ANONYMOUS = "anonymous"  # someone not signed in (a wrong password for an existing account)
LOCKOUT = "axes"  # django-axes, locking an account out after repeated failures
USER_PREFIX = "user:"  # "user:<id>": an account
OWNER = "owner"  # a client's account owner, authorising an integration on the platform

ACTOR_NAMES = {
    CONTACT_FORM: _("Contact form"),
    WORKER: _("Worker"),
    RIGHTS: _("Rights request"),
    RETENTION: _("Retention rules"),
    DEMO: _("Demo data"),
    CLI: _("Command line"),
    ANONYMOUS: _("Someone not signed in"),
    LOCKOUT: _("Sign-in lockout"),
    OWNER: _("The client's account owner"),
}


def actor_name(actor: str, usernames: Mapping[str, str]) -> str:
    """An actor as a person reads it, in the active language: the username of ``user:<id>``
    (from ``usernames``, as :func:`.selectors.usernames` gives it), "Deleted user (user:7)" for
    an account that is gone, "Worker", "Contact form", "Command line" (also for ``cli:demo``),
    "System" for any other ``system:`` actor, else the code itself."""
    if actor in usernames:
        return usernames[actor]
    if actor.startswith(USER_PREFIX):
        return gettext("Deleted user (%(actor)s)") % {"actor": actor}
    if actor in ACTOR_NAMES:
        return str(ACTOR_NAMES[actor])
    if actor.startswith(CLI):
        return str(ACTOR_NAMES[CLI])
    if actor == SYSTEM or actor.startswith(SYSTEM + ":"):
        return gettext("System")
    return actor
