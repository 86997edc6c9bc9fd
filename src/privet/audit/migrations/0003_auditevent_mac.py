"""Every event gets a seal: a MAC of its hash (keyed BLAKE2b) under the audit key, kept outside
the database (privet.audit.chain).

Events already in the log are sealed here, in order, only as far as their chain verifies: a
chain already broken is not made to look whole; its first broken event and every later one stay
unsealed, so ``privet audit verify`` still reports the break where it is. Run it (and keep its
head as an anchor) before upgrading if you doubt the log. The seal uses the key in force now
(``PRIVET_AUDIT_KEY``, or the one derived from the secret key); reversing drops the column.
"""

import hashlib

from django.conf import settings
from django.db import migrations, models

GENESIS_HASH = "0" * 64
SEP = "\x1f"
# The hashed fields of privet.audit.chain as they were when this migration was written.
HASHED_FIELDS = ("seq", "created_at", "actor", "action", "object_type", "object_id",
                 "subject_ref", "policy_version", "details", "prev_hash")
BATCH = 5000


def seal_existing(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    using = schema_editor.connection.alias
    key = hashlib.sha256(settings.PRIVET_AUDIT_KEY.encode()).digest()  # chain.seal_key()
    expected_prev, expected_seq = GENESIS_HASH, 1
    rows = (AuditEvent.objects.using(using).order_by("seq")
            .values_list(*HASHED_FIELDS, "hash").iterator(BATCH))
    sealed: list[tuple[str, int]] = []
    for seq, created_at, *texts, prev_hash, stored_hash in rows:
        payload = SEP.join((str(seq), created_at.isoformat(timespec="microseconds"), *texts,
                            prev_hash))
        if (seq != expected_seq or prev_hash != expected_prev
                or hashlib.sha256(payload.encode()).hexdigest() != stored_hash):
            break  # from here on the chain does not verify: leave it unsealed
        sealed.append((hashlib.blake2b(stored_hash.encode(), key=key, digest_size=32,
                                       person=b"privet.audit").hexdigest(), seq))  # chain.seal()
        expected_prev, expected_seq = stored_hash, seq + 1
    table = schema_editor.quote_name(AuditEvent._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        for start in range(0, len(sealed), BATCH):
            cursor.executemany(f"UPDATE {table} SET mac = %s WHERE seq = %s",  # noqa: S608 (the model's table)
                               sealed[start:start + BATCH])


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_alter_auditevent_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
