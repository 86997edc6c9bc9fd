"""The credential vault: platform tokens and app secrets encrypted at rest.

Every secret an integration needs (an app's secret, a grant's access and refresh tokens, the
PKCE verifier of an authorisation in progress) is an :class:`EncryptedTextField`: Fernet
(cryptography's MultiFernet) under ``PRIVET_VAULT_KEYS``, comma-separated, newest first. New
values are encrypted with the newest key and every listed key still decrypts, so a key is
rotated by putting a new one first and running ``privet integrations rotate-keys``
(:func:`rotate`), which re-encrypts every value with it; then the old key can be dropped.
Without ``PRIVET_VAULT_KEYS`` the keys are derived from the secret key and its fallbacks
(HKDF), which the system check warns about outside the demo.

A value read back is a :class:`Secret`, never a ``str``: its ``repr`` and ``str`` are
``'********'``, so a token cannot reach a log line, an error message, a template or a
traceback's local variables by accident. Code that must send it says so: ``secret.reveal()``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models, transaction

from privet.errors import PrivetError

HKDF_INFO = b"privet.integrations.vault"
MASK = "********"


class VaultError(PrivetError):
    code = "vault_error"


class Secret:
    """A decrypted secret that does not print itself. Compare with ``==`` (constant time)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        import hmac

        if isinstance(other, Secret):
            other = other._value
        return isinstance(other, str) and hmac.compare_digest(self._value.encode(), other.encode())

    def __hash__(self) -> int:  # pragma: no cover - secrets are not dictionary keys
        raise TypeError("a Secret is not hashable")

    def __reduce__(self):  # never pickled in clear text (task arguments, caches)
        raise TypeError("a Secret cannot be pickled; pass the record's id instead")


def _derived_key(secret: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(raw)


def configured_keys() -> bool:
    """Whether the installation set ``PRIVET_VAULT_KEYS`` (not derived from the secret key)."""
    return bool(settings.PRIVET_VAULT_KEYS)


@lru_cache(maxsize=1)
def fernet() -> MultiFernet:
    """The vault's keys, newest first: ``PRIVET_VAULT_KEYS``, else derived from the secret key
    and its fallbacks."""
    keys = list(settings.PRIVET_VAULT_KEYS) or [
        _derived_key(k) for k in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise VaultError("A key in PRIVET_VAULT_KEYS is not a Fernet key (32 url-safe base64 "
                         "bytes; make one with: python -c 'from cryptography.fernet import "
                         "Fernet; print(Fernet.generate_key().decode())').") from exc


def _reset(**kwargs) -> None:
    if kwargs.get("setting") in {"PRIVET_VAULT_KEYS", "SECRET_KEY", "SECRET_KEY_FALLBACKS"}:
        fernet.cache_clear()


setting_changed.connect(_reset)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> Secret:
    try:
        return Secret(fernet().decrypt(token.encode("ascii")).decode())
    except InvalidToken as exc:
        raise VaultError("A stored secret cannot be decrypted with any key in PRIVET_VAULT_KEYS: "
                         "a key it was encrypted with has been removed.") from exc


class EncryptedTextField(models.TextField):
    """A text column holding Fernet ciphertext; Python sees a :class:`Secret` (or ``""``).

    Assign a ``str`` or a :class:`Secret`; the empty string is stored as it is (no secret).
    Lookups other than ``isnull``/``exact ""`` are meaningless on ciphertext and not used.
    """

    description = "Text encrypted with the credential vault's keys"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def to_python(self, value):
        if value is None or isinstance(value, Secret) or value == "":
            return value
        return Secret(str(value))

    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        if isinstance(value, Secret):
            value = value.reveal()
        return encrypt(str(value))

    def value_to_string(self, obj) -> str:  # serializers (dumpdata) never see the secret
        return MASK


def encrypted_fields() -> Iterator[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted fields, and their names (for :func:`rotate`)."""
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


def rotate(*, batch_size: int = 500, progress: Callable[[int, int], None] | None = None) -> int:
    """Re-encrypt every stored secret with the newest key (MultiFernet.rotate); returns how
    many values were rewritten. Each batch is one transaction; run again after an interruption
    (a value already under the newest key is simply rotated again). ``progress(done, total)``
    is called after each batch."""
    multi = fernet()
    work = []
    for model, names in encrypted_fields():
        manager = model._base_manager
        work.append((model, names, manager.count()))
    total = sum(n for *_, n in work)
    done = rewritten = 0
    for model, names, _count in work:
        table = model._meta.db_table
        pk = model._meta.pk.column
        columns = [model._meta.get_field(n).column for n in names]
        ids = list(model._base_manager.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            with transaction.atomic():
                from django.db import connection

                with connection.cursor() as cursor:
                    marks = ", ".join(["%s"] * len(chunk))
                    cols = ", ".join(f'"{c}"' for c in columns)
                    # Locked until the batch commits: a refresh writing a new token meanwhile
                    # waits, instead of being overwritten with the old one re-encrypted.
                    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
                    cursor.execute(f'SELECT "{pk}", {cols} FROM "{table}" '  # noqa: S608 (names from the model, values bound)
                                   f'WHERE "{pk}" IN ({marks}){lock}', chunk)
                    rows = cursor.fetchall()
                    for row_pk, *values in rows:
                        new = [multi.rotate(v.encode("ascii")).decode("ascii") if v else v
                               for v in values]
                        sets = ", ".join(f'"{c}" = %s' for c in columns)
                        cursor.execute(f'UPDATE "{table}" SET {sets} WHERE "{pk}" = %s',  # noqa: S608
                                       [*new, row_pk])
                        rewritten += sum(1 for v in values if v)
            done += len(chunk)
            if progress:
                progress(done, total)
    return rewritten
