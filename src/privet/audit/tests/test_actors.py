"""The audit log's actors, as people read them, in English and Polish."""

import pytest
from django.utils import translation

from privet.audit import actors
from privet.audit.actors import actor_name


@pytest.mark.parametrize(("actor", "english", "polish"), [
    (actors.WORKER, "Worker", "Proces roboczy"),
    (actors.CONTACT_FORM, "Contact form", "Formularz kontaktowy"),
    (actors.RIGHTS, "Rights request", "Wniosek o realizację praw"),
    (actors.RETENTION, "Retention rules", "Zasady przechowywania danych"),
    (actors.DEMO, "Demo data", "Dane demonstracyjne"),
    (actors.CLI, "Command line", "Wiersz poleceń"),
    ("cli:demo", "Command line", "Wiersz poleceń"),
    (actors.SYSTEM, "System", "System"),
    ("system:something-new", "System", "System"),
    ("user:7", "Deleted user (user:7)", "Usunięty użytkownik (user:7)"),
    ("test", "test", "test"),  # a code nobody worded is shown as it is
])
def test_each_actor_reads_in_the_active_language(actor, english, polish):
    with translation.override("en"):
        assert actor_name(actor, {}) == english
    with translation.override("pl"):
        assert actor_name(actor, {}) == polish


def test_an_account_reads_as_its_username():
    assert actor_name("user:7", {"user:7": "olga"}) == "olga"
