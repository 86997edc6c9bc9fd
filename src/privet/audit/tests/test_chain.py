import itertools
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from privet.audit.models import GENESIS_HASH, AuditEvent
from privet.audit.selectors import events_for_subject, verify_chain
from privet.audit.services import PersonalDataInAuditDetails, append_event
from privet.pseudonyms import subject_ref

from .tampering import guard_lifted


def make_chain(n: int) -> None:
    for i in range(n):
        append_event(actor="test", action="thing.done", object_type="thing", object_id=str(i),
                     details={"i": i})


@pytest.mark.django_db
def test_events_chain_from_genesis_and_verify():
    make_chain(5)
    events = list(AuditEvent.objects.all())
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert verify_chain().ok and verify_chain().checked == 5


@pytest.mark.django_db
def test_subject_is_stored_only_as_a_keyed_pseudonym():
    event = append_event(actor="test", action="request.received", subject="Ana@Example.com ")
    assert "example" not in event.subject_ref.lower()
    assert event.subject_ref == subject_ref("ana@example.com")
    assert list(events_for_subject("ana@example.com")) == [event]


@pytest.mark.django_db
@pytest.mark.parametrize("details", [
    {"email": "x"}, {"note": "sent to ana@example.com"}, {"nested": {"client": "10.1.2.3"}},
    {"to": ["ops@example.com"]}, {"first_name": "Ana"}, {"phoneNumber": "x"},
    {"client": "2001:db8::7"}, {"hops": [{"via": "fe80::1%eth0"}]},
])
def test_personal_data_in_details_is_refused_and_nothing_is_written(details):
    with pytest.raises(PersonalDataInAuditDetails):
        append_event(actor="test", action="x", details=details)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_details_that_describe_a_change_pass():
    details = {"ip_ref": "c0ffee", "fields": ["email", "name"], "at": "2026-11-25T12:00:00+01:00",
               "version": "1.0", "from": "new", "to": "offer"}
    assert append_event(actor="test", action="x", details=details).seq == 1


@pytest.mark.django_db
def test_a_time_in_another_zone_is_stored_and_verified_as_utc():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from privet.audit.services import append_events

    when = datetime(2026, 11, 25, 13, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    append_events([{"actor": "test", "action": "x", "created_at": when}])
    assert AuditEvent.objects.get().created_at == when
    assert verify_chain().ok


@pytest.mark.django_db
def test_a_modified_row_is_reported():
    make_chain(10)
    with guard_lifted():
        AuditEvent.objects.filter(seq=4).update(action="thing.undone")
    result = verify_chain()
    assert not result.ok
    assert result.broken_at == 4 and result.checked == 3
    assert "modified" in result.reason


@pytest.mark.django_db
def test_a_deleted_row_is_reported():
    make_chain(10)
    with guard_lifted():
        AuditEvent.objects.filter(seq=6).delete()
    result = verify_chain()
    assert (result.ok, result.broken_at) == (False, 6)
    assert "missing" in result.reason


@pytest.mark.django_db
def test_a_rehashed_forgery_is_reported_at_the_forged_row():
    """Someone with write access changes event #3 and gives it a correct hash: without the audit
    key its seal no longer fits, so the break is at #3 itself, not at the next link."""
    make_chain(6)
    from privet.audit.chain import HASHED_FIELDS, event_hash

    row = list(AuditEvent.objects.filter(seq=3).values_list(*HASHED_FIELDS).get())
    row[HASHED_FIELDS.index("actor")] = "someone-else"
    with guard_lifted():
        AuditEvent.objects.filter(seq=3).update(actor="someone-else", hash=event_hash(tuple(row)))
    result = verify_chain()
    assert (result.ok, result.broken_at, result.checked) == (False, 3, 2)
    assert "seal" in result.reason


@pytest.mark.django_db
def test_verify_command_reports_the_first_broken_link(capsys):
    make_chain(3)
    call_command("audit", "verify", verbosity=1)
    assert "3 events verified" in capsys.readouterr().out
    with guard_lifted():
        AuditEvent.objects.filter(seq=2).update(object_id="999")
    with pytest.raises(CommandError, match="BROKEN at event #2"):
        call_command("audit", "verify", verbosity=0)


@pytest.mark.django_db
def test_an_anchor_kept_outside_catches_removed_newest_events_and_a_rewritten_chain(tmp_path, capsys):
    make_chain(5)
    anchor = tmp_path / "audit-head"
    call_command("audit", "verify", "--anchor", str(anchor), verbosity=1)
    head = AuditEvent.objects.get(seq=5)
    assert anchor.read_text() == f"5 {head.hash}\n"
    assert f"Head: 5 {head.hash}" in capsys.readouterr().out

    with guard_lifted():
        AuditEvent.objects.filter(seq__gte=4).delete()  # the chain alone still verifies...
    assert verify_chain().ok
    with pytest.raises(CommandError, match="anchor recorded earlier names event #5"):
        call_command("audit", "verify", "--anchor", str(anchor), verbosity=0)
    assert anchor.read_text() == f"5 {head.hash}\n"  # a failed run keeps the old anchor

    with guard_lifted():
        AuditEvent.objects.all().delete()  # ...and so does a whole chain written anew with the key
    make_chain(6)
    with pytest.raises(CommandError, match="event #5 differs from the anchor"):
        call_command("audit", "verify", "--anchor", str(anchor), verbosity=0)


@pytest.mark.django_db
def test_a_damaged_anchor_file_is_a_clear_error(tmp_path):
    anchor = tmp_path / "audit-head"
    anchor.write_text("not a head")
    with pytest.raises(CommandError, match="expected '<seq> <sha256>'"):
        call_command("audit", "verify", "--anchor", str(anchor), verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    """Four threads, each its own connection, append at once (SQLite and PostgreSQL)."""
    per_thread, threads = 25, 4
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                append_event(actor=f"writer:{n}", action="thing.done", details={"i": i})
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert AuditEvent.objects.count() == per_thread * threads
    result = verify_chain()
    assert result.ok, result.reason


@pytest.mark.django_db
def test_control_characters_in_fields_are_refused_so_the_canonical_form_stays_unambiguous():
    from privet.errors import PrivetError

    with pytest.raises(PrivetError, match="control characters"):
        append_event(actor="test", action="a\x1fb")
    assert not AuditEvent.objects.exists()
    event = append_event(actor="test", action="ok", details={"text": "tab\tand\x1fseparator"})
    assert "\x1f" not in event.details  # JSON escapes it
    assert verify_chain().ok


# The append-only guard (migration 0004) and the seals (migration 0003).

@pytest.mark.django_db
def test_the_database_refuses_to_update_or_delete_an_event():
    from django.db import IntegrityError, transaction

    make_chain(3)
    event = AuditEvent.objects.get(seq=2)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(action="thing.undone")
    event.actor = "someone-else"
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        event.save()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        event.delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 3")
    assert list(AuditEvent.objects.values_list("seq", "actor")) == [
        (1, "test"), (2, "test"), (3, "test")]
    assert verify_chain().ok
    assert append_event(actor="test", action="thing.done").seq == 4  # appending still works


def rewrite_from(start: int, *, key: bytes = b"a key guessed by someone without the real one") -> None:
    """What someone with write access and without the audit key can do: change event ``start``,
    then re-hash and re-link it and every later event, so the chain itself is consistent again."""
    from privet.audit.chain import HASHED_FIELDS, event_hash, seal

    events = list(AuditEvent.objects.filter(seq__gte=start).values_list(*HASHED_FIELDS))
    prev = AuditEvent.objects.get(seq=start - 1).hash if start > 1 else GENESIS_HASH
    with guard_lifted():
        AuditEvent.objects.filter(seq__gte=start).delete()
        for row in events:
            fields = dict(zip(HASHED_FIELDS, row, strict=True))
            fields["prev_hash"] = prev
            if fields["seq"] == start:
                fields["details"] = '{"i":"forged"}'
            prev = event_hash(tuple(fields[name] for name in HASHED_FIELDS))
            AuditEvent.objects.create(hash=prev, mac=seal(prev, key), **fields)


@pytest.mark.django_db
@pytest.mark.parametrize("start", [1, 4, 6])
def test_a_chain_rewritten_from_any_event_is_reported_at_that_event(start, tmp_path):
    make_chain(6)
    anchor = tmp_path / "audit-head"
    call_command("audit", "verify", "--anchor", str(anchor), verbosity=0)
    rewrite_from(start)
    result = verify_chain()
    assert (result.ok, result.broken_at, result.checked) == (False, start, start - 1)
    assert "seal" in result.reason
    for args in ((), ("--anchor", str(anchor))):
        with pytest.raises(CommandError, match=rf"BROKEN at event #{start}: .*seal"):
            call_command("audit", "verify", *args, verbosity=0)


@pytest.mark.django_db
def test_a_well_formed_event_forged_at_the_head_is_reported(tmp_path):
    """An event appended by hand that chains and hashes correctly: only its seal gives it away."""
    from privet.audit.chain import HASHED_FIELDS, event_hash, seal

    make_chain(4)
    anchor = tmp_path / "audit-head"
    call_command("audit", "verify", "--anchor", str(anchor), verbosity=0)
    head = AuditEvent.objects.get(seq=4)
    fields = {"seq": 5, "created_at": head.created_at, "actor": "user:1", "action": "thing.done",
              "object_type": "thing", "object_id": "5", "subject_ref": "", "policy_version": "",
              "details": "{}", "prev_hash": head.hash}
    digest = event_hash(tuple(fields[name] for name in HASHED_FIELDS))
    AuditEvent.objects.create(hash=digest, mac=seal(digest, b"not the audit key"), **fields)
    result = verify_chain()
    assert (result.ok, result.broken_at, result.checked) == (False, 5, 4)
    for args in ((), ("--anchor", str(anchor))):
        with pytest.raises(CommandError, match=r"BROKEN at event #5: .*seal"):
            call_command("audit", "verify", *args, verbosity=0)


@pytest.mark.django_db
def test_events_sealed_by_an_older_key_verify_while_it_is_a_fallback(settings):
    old_key = settings.PRIVET_AUDIT_KEY
    make_chain(2)
    settings.PRIVET_AUDIT_KEY = "a new audit key, at least thirty-two characters"
    settings.PRIVET_AUDIT_KEY_FALLBACKS = [old_key]
    make_chain(2)
    assert verify_chain().ok and verify_chain().checked == 4
    settings.PRIVET_AUDIT_KEY_FALLBACKS = []
    result = verify_chain()
    assert (result.ok, result.broken_at) == (False, 1)
    assert "audit key changed" in result.reason


@pytest.mark.django_db
def test_upgrading_seals_the_events_already_logged_but_never_a_broken_chain():
    """Migration 0003 seals existing events in order, and stops at the first broken one."""
    import importlib

    from django.apps import apps

    from privet.audit.chain import audit_keys, seal

    migration = importlib.import_module("privet.audit.migrations.0003_auditevent_mac")

    class Editor:  # what seal_existing uses of the migration's schema editor
        connection = connection
        quote_name = staticmethod(connection.ops.quote_name)

    make_chain(5)
    with guard_lifted():  # the log as it was before the upgrade: no seals, and #4 edited
        AuditEvent.objects.update(mac="")
        AuditEvent.objects.filter(seq=4).update(action="thing.undone")
        migration.seal_existing(apps, Editor())
    key = audit_keys()[0]
    assert [(e.seq, e.mac == seal(e.hash, key)) for e in AuditEvent.objects.all()] == [
        (1, True), (2, True), (3, True), (4, False), (5, False)]
    assert AuditEvent.objects.get(seq=5).mac == ""
    result = verify_chain()
    assert (result.ok, result.broken_at, result.kind) == (False, 4, "modified")
