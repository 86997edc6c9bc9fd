"""The credential vault: what is stored is ciphertext, what is read back never prints itself."""

from __future__ import annotations

import pickle

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from privet.integrations import vault
from privet.integrations.models import ConnectorApp
from privet.integrations.vault import Secret, VaultError

pytestmark = pytest.mark.django_db
TOKEN = "act.example-token-value-0123456789"


def raw(column: str, table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def test_a_secret_is_stored_encrypted_and_read_back_as_a_secret():
    app = ConnectorApp.objects.create(connector="tiktok_business", app_id="app-1", secret=TOKEN)
    stored = raw("secret", ConnectorApp._meta.db_table, app.pk)
    assert TOKEN not in stored and stored.startswith("gAAAAA")  # a Fernet token
    again = ConnectorApp.objects.get(pk=app.pk).secret
    assert isinstance(again, Secret) and again.reveal() == TOKEN and again == TOKEN


def test_a_secret_never_prints_itself():
    secret = Secret(TOKEN)
    for shown in (str(secret), repr(secret), f"{secret}", "%s" % secret, str([secret])):  # noqa: UP031
        assert TOKEN not in shown
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_a_value_encrypted_under_a_removed_key_is_a_clear_error():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PRIVET_VAULT_KEYS=[old]):
        app = ConnectorApp.objects.create(connector="tiktok_business", app_id="a", secret=TOKEN)
    with override_settings(PRIVET_VAULT_KEYS=[new, old]):
        assert ConnectorApp.objects.get(pk=app.pk).secret.reveal() == TOKEN
    with override_settings(PRIVET_VAULT_KEYS=[new]), pytest.raises(VaultError, match="removed"):
        ConnectorApp.objects.get(pk=app.pk)


def test_a_malformed_key_is_a_clear_error():
    with override_settings(PRIVET_VAULT_KEYS=["not-a-key"]), pytest.raises(VaultError, match="Fernet"):
        vault.encrypt("x")


def test_rotation_re_encrypts_with_the_newest_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PRIVET_VAULT_KEYS=[old]):
        app = ConnectorApp.objects.create(connector="tiktok_business", app_id="a", secret=TOKEN)
    seen = []
    with override_settings(PRIVET_VAULT_KEYS=[new, old]):
        assert vault.rotate(progress=lambda done, total: seen.append((done, total))) >= 1
    assert seen and seen[-1][0] == seen[-1][1]
    with override_settings(PRIVET_VAULT_KEYS=[new]):
        assert ConnectorApp.objects.get(pk=app.pk).secret.reveal() == TOKEN
