"""``privet integrations``: key rotation leaves every secret readable with the newest key alone
(even after an interruption), configuring an app never takes or prints the secret as text on
the command line, and the clients are listed."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from privet.audit.models import AuditEvent
from privet.integrations import vault
from privet.integrations.models import AuthorisationLink, ConnectorApp, Grant

from . import factories

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw_values() -> list[str]:
    """Every encrypted value as stored (ciphertext), straight from the tables."""
    values = []
    with connection.cursor() as cursor:
        for model, names in vault.encrypted_fields():
            cols = ", ".join(f'"{model._meta.get_field(n).column}"' for n in names)
            cursor.execute(f'SELECT {cols} FROM "{model._meta.db_table}"')
            values += [v for row in cursor.fetchall() for v in row if v]
    return values


def secrets_in_clear() -> list[str]:
    out = [a.secret.reveal() for a in ConnectorApp.objects.all()]
    for g in Grant.all_clients.order_by("pk"):
        out += [g.access_token.reveal(), g.refresh_token.reveal()]
    out += [link.code_verifier.reveal() for link in AuthorisationLink.all_clients.order_by("pk")
            if link.code_verifier]
    return out


@pytest.fixture
def vault_under_old_key(settings):
    settings.PRIVET_VAULT_KEYS = [OLD]
    factories.app()
    for n in range(7):
        owner = factories.client(f"client-{n}")
        factories.grant(owner, account_id=f"open-{n}")
    link = factories.services.create_link(client=owner, connector_id=factories.CONNECTOR,
                                          flow_id="account", actor="test")
    AuthorisationLink.objects.for_client(owner).filter(pk=link.pk).update(
        code_verifier=vault.encrypt("pkce-verifier-0123456789"))
    before = secrets_in_clear()
    assert len(raw_values()) == len(before) == 1 + 2 * 7 + 1
    return before


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("integrations", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_rotation_reencrypts_everything_so_the_old_key_can_be_removed(settings,
                                                                      vault_under_old_key):
    settings.PRIVET_VAULT_KEYS = [NEW, OLD]
    out, err = run("rotate-keys", "--batch-size", "3")
    assert "16 secrets re-encrypted" in out
    new_only = Fernet(NEW.encode())
    assert all(new_only.decrypt(v.encode()) for v in raw_values())  # raises if one is not
    settings.PRIVET_VAULT_KEYS = [NEW]  # the old key removed
    assert secrets_in_clear() == vault_under_old_key
    for secret in vault_under_old_key:
        assert secret not in out + err
    assert AuditEvent.objects.filter(action="integrations.keys_rotated").count() == 1


def test_an_interrupted_rotation_loses_nothing_and_is_finished_by_running_it_again(
        settings, vault_under_old_key):
    settings.PRIVET_VAULT_KEYS = [NEW, OLD]

    class Interrupted(Exception):
        pass

    def stop_half_way(done: int, total: int) -> None:
        if done >= total // 2:
            raise Interrupted  # as a killed process would, between two committed batches

    with pytest.raises(Interrupted):
        vault.rotate(batch_size=2, progress=stop_half_way)
    new_only = Fernet(NEW.encode())
    rotated = sum(1 for v in raw_values() if _decrypts(new_only, v))
    assert 0 < rotated < len(vault_under_old_key)
    assert secrets_in_clear() == vault_under_old_key  # both keys still read everything
    run("rotate-keys", "-v", "0")
    settings.PRIVET_VAULT_KEYS = [NEW]
    assert secrets_in_clear() == vault_under_old_key


def _decrypts(f: Fernet, token: str) -> bool:
    try:
        f.decrypt(token.encode())
    except Exception:  # InvalidToken: not under this key
        return False
    return True


def test_configure_reads_the_secret_from_the_environment_and_never_prints_it(monkeypatch):
    monkeypatch.setenv("PRIVET_APP_SECRET", "the-secret-of-the-app-42")
    out, err = run("configure", "tiktok_business", "--app-id", "app-9")
    app = ConnectorApp.objects.get(connector="tiktok_business")
    assert app.app_id == "app-9" and app.secret == "the-secret-of-the-app-42"
    assert "the-secret-of-the-app-42" not in out + err and "app-9" in out
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM integrations_connectorapp")
        assert "the-secret-of-the-app-42" not in cursor.fetchone()[0]  # encrypted at rest
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unrecognized"):  # no option takes the secret
        call_command("integrations", "configure", "tiktok_business", "--app-id", "a",
                     "--secret", "x")
    with pytest.raises(CommandError):
        run("configure", "no_such_connector", "--app-id", "a")


def test_clients_are_listed_with_their_live_grants():
    owner = factories.client("acme")
    factories.grant(owner)
    factories.client("beta")
    out, _err = run("clients")
    assert out.splitlines() == ["acme\tAcme\t1 live grant(s)", "beta\tBeta\t0 live grant(s)"]
