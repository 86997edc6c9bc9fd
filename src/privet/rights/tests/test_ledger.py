"""After a restore from backup: `privet rights replay-erasures` erases again what the restored
backup brought back, and the ledger travels outside the database (`privet rights ledger`)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from privet.audit.models import AuditEvent
from privet.audit.selectors import verify_chain
from privet.enquiries.models import Enquiry, EnquiryNote, EnquiryStatusChange, OutgoingMail
from privet.rights import engine
from privet.rights.models import ErasureRecord, Status

from .engine_data import person, store_data, verified

pytestmark = pytest.mark.django_db

RESTORED = (Enquiry, EnquiryNote, EnquiryStatusChange, OutgoingMail)


def backup(emails: set[str]) -> dict[type, list]:
    """The rows a backup taken now holds of these people's enquiries (parents first)."""
    enquiries = Enquiry.objects.filter(email__in=emails)
    return {Enquiry: list(enquiries),
            **{m: list(m.objects.filter(enquiry__in=enquiries)) for m in RESTORED[1:]}}


def restore(rows: dict[type, list]) -> None:
    """Put the backed-up rows back with their keys, as a restored database has them."""
    for model in RESTORED:
        present = set(model.objects.filter(pk__in=[r.pk for r in rows[model]])
                      .values_list("pk", flat=True))
        model.objects.bulk_create([r for r in rows[model] if r.pk not in present])


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rights", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def erase(subject) -> object:
    request = verified("erasure", subject)
    engine.start(request=request, actor="test:operator")
    assert engine.process(request.pk, request.attempt) == "completed"
    request.refresh_from_db()
    return request


def test_replay_erases_again_what_a_restored_backup_brought_back_and_only_that(published):
    anna, bob = person(1), person(2)
    anna_rows = store_data(anna, published, open_enquiries=2)
    store_data(bob, published)
    saved = backup({anna.email})
    request = erase(anna)
    assert request.status == Status.COMPLETED
    kept = anna_rows[-1]  # the project a duty keeps was never erased
    assert list(Enquiry.objects.filter(email=anna.email)) == [kept]

    restore(saved)  # the backup is older than the erasure: Anna's enquiries and notes are back
    assert Enquiry.objects.filter(email=anna.email).count() == 3
    notes = EnquiryNote.objects.count()
    dry, _ = run("replay-erasures", "--dry-run")
    erased = sorted(str(e.pk) for e in anna_rows[:2])
    assert f"{request.reference} enquiries: would erase again 2 of 2 records" in dry
    assert "dry run: nothing changed" in dry
    assert Enquiry.objects.filter(email=anna.email).count() == 3 and EnquiryNote.objects.count() == notes
    assert not AuditEvent.objects.filter(action="rights.erasure_replayed").exists()

    events = AuditEvent.objects.filter(action="enquiry.erased").count()
    out, err = run("replay-erasures")
    assert f"{request.reference} enquiries: erased again 2 of 2 records (keys {', '.join(erased)})" in out
    assert not err
    assert list(Enquiry.objects.filter(email=anna.email)) == [kept]  # kept stays kept
    assert not EnquiryNote.objects.filter(enquiry_id__in=[int(k) for k in erased]).exists()
    assert Enquiry.objects.filter(email=bob.email).count() == 2  # nobody else's data moved
    [replayed] = AuditEvent.objects.filter(action="rights.erasure_replayed")
    assert json.loads(replayed.details)["records"] == 2
    assert json.loads(replayed.details)["request_ref"] == request.reference
    assert AuditEvent.objects.filter(action="enquiry.erased").count() == events + 2
    assert anna.email not in out

    again, _ = run("replay-erasures")  # idempotent
    assert "erased again 0 of 2 records" in again and "erased again 0 records." in again
    assert AuditEvent.objects.filter(action="rights.erasure_replayed").count() == 1
    assert verify_chain().ok


def test_an_entry_whose_source_is_gone_is_reported_and_fails_the_run_after_the_others(published):
    anna = person(1)
    store_data(anna, published, project=False)
    saved = backup({anna.email})
    erase(anna)
    ErasureRecord.objects.create(request_ref="R-000099", source="retired_crm",
                                 subject_digest="0" * 64, record_keys=["7"])
    restore(saved)

    with pytest.raises(CommandError, match="1 ledger entries could not be replayed"):
        run("replay-erasures")
    # The other entries were replayed all the same.
    assert not Enquiry.objects.filter(email=anna.email).exists()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("rights", "replay-erasures", stdout=io.StringIO(), stderr=err)
    assert "R-000099 retired_crm: NOT REPLAYED: the source 'retired_crm' is not registered" in (
        err.getvalue())


def test_the_ledger_exported_before_a_restore_is_imported_after_it_once(published, tmp_path):
    anna, bob = person(1), person(2)
    store_data(anna, published, project=False)
    store_data(bob, published, project=False)
    erase(anna)
    older = {r.pk for r in ErasureRecord.objects.all()}  # what the backup's ledger holds
    saved = backup({bob.email})
    erase(bob)
    ledger = tmp_path / "ledger.jsonl"
    run("ledger", "--export", str(ledger))
    lines = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert len(lines) == 2 and {e["source"] for e in lines} == {"enquiries"}
    assert set(lines[0]) == {"request_ref", "source", "subject_digest", "record_keys", "erased_at"}
    assert anna.email not in ledger.read_text() and bob.email not in ledger.read_text()

    # The restore: Bob's enquiries are back and the ledger no longer knows of their erasure.
    ErasureRecord.objects.exclude(pk__in=older).delete()
    restore(saved)
    out, _ = run("replay-erasures")
    assert "erased again 0 records." in out
    assert Enquiry.objects.filter(email=bob.email).exists()

    out, _ = run("ledger", "--import", str(ledger))
    assert "Imported 1 ledger entries; 1 were already here." in out
    out, _ = run("ledger", "--import", str(ledger))
    assert "Imported 0 ledger entries; 2 were already here." in out
    assert ErasureRecord.objects.count() == 2
    out, _ = run("replay-erasures")
    assert "erased again 1 of 1 records" in out
    assert not Enquiry.objects.filter(email=bob.email).exists()
    assert verify_chain().ok


@pytest.mark.parametrize("line", [
    "not json",
    '{"request_ref": "R-000001"}',
    '{"request_ref": "R-000001", "source": "enquiries", "subject_digest": "ab", '
    '"record_keys": "5", "erased_at": "2026-01-01T10:00:00+00:00"}',
    '{"request_ref": "R-000001", "source": "enquiries", "subject_digest": "ab", '
    '"record_keys": ["5"], "erased_at": "yesterday"}',
])
def test_a_bad_ledger_file_is_refused_whole_saying_which_line(published, tmp_path, line):
    good = ('{"request_ref": "R-000001", "source": "enquiries", "subject_digest": "ab", '
            '"record_keys": ["5"], "erased_at": "2026-01-01T10:00:00+00:00"}')
    path = tmp_path / "ledger.jsonl"
    path.write_text(f"{good}\n{line}\n")
    with pytest.raises(CommandError, match=r"line 2: .*nothing was imported"):
        run("ledger", "--import", str(path))
    assert not ErasureRecord.objects.exists()


def test_the_ledger_command_needs_one_direction(published, tmp_path):
    with pytest.raises(CommandError, match="one of --export FILE or --import FILE"):
        run("ledger")
    with pytest.raises(CommandError, match="No such file"):
        run("ledger", "--import", str(tmp_path / "missing.jsonl"))
