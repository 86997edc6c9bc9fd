"""The technical log as it is written: what a request leaves behind, and what it never does."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from privet.telemetry import pseudonyms
from privet.telemetry.models import REQUEST, UNRESOLVED, DailyKey, TechnicalRecord
from privet.telemetry.recorder import Entry, flush, recorder
from privet.telemetry.services import expire_records, record_security_event

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.77"
IPV6 = "2001:db8:abcd:12:1:2:3:4"
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def visitor(address: str = ADDRESS) -> Client:
    return Client(REMOTE_ADDR=address, HTTP_USER_AGENT=FIREFOX_LINUX)


def every_value_in_the_database() -> list[str]:
    """Every column of every row of every table Django knows, as text."""
    values = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        fields = [f.attname for f in model._meta.concrete_fields]
        for row in model._default_manager.values_list(*fields):
            values.extend(bytes(v).hex() if isinstance(v, memoryview | bytes) else str(v)
                          for v in row)
    return values


def test_a_page_is_recorded_with_its_route_and_the_client_only_pseudonymised(published):
    assert visitor().get("/privacy/").status_code == 200
    assert flush() == 1
    record = TechnicalRecord.objects.get()
    assert (record.kind, record.method, record.route, record.status) == (
        REQUEST, "GET", "policy:page", 200)
    assert record.duration_ms > 0
    assert (record.user_agent_family, record.os_family) == ("Firefox", "Linux")
    assert record.network == "203.0.113.0/24"
    assert len(record.pseudonym) == 32
    assert record.pseudonym == pseudonyms.pseudonym(ADDRESS, pseudonyms.local_day(record.at))


def test_the_raw_address_never_reaches_the_database(published):
    client = visitor()
    client.get("/privacy/")
    client.get("/no-such-page/")
    client.post("/panel/login/", {"username": "nobody", "password": "wrong password here"})
    record_security_event("rate_limited", client.get("/").wsgi_request, limit="rights")
    visitor(IPV6).get("/privacy/")
    flush()
    assert TechnicalRecord.objects.count() >= 5
    values = every_value_in_the_database()
    for address in (ADDRESS, IPV6, "2001:db8:abcd:12:"):
        assert not [v for v in values if address in v]


def test_ipv4_is_kept_as_its_slash_24_and_ipv6_as_its_slash_48():
    assert pseudonyms.network("203.0.113.77") == "203.0.113.0/24"
    assert pseudonyms.network("203.0.113.77:51234") == "203.0.113.0/24"  # a proxy's port
    assert pseudonyms.network(IPV6) == "2001:db8:abcd::/48"
    assert pseudonyms.network("[2001:DB8:ABCD:12::1]:443") == "2001:db8:abcd::/48"
    assert pseudonyms.network("::ffff:203.0.113.77") == "203.0.113.0/24"
    assert pseudonyms.network("not an address") == ""


def test_one_address_has_one_pseudonym_a_day_and_another_the_next_day(db):
    with freeze_time("2026-03-10 09:00"):
        today = pseudonyms.local_day()
        morning = pseudonyms.pseudonym(ADDRESS, today)
        assert pseudonyms.pseudonym(ADDRESS, today) == morning
        assert pseudonyms.pseudonym("203.0.113.78", today) != morning  # same /24, other client
        assert pseudonyms.pseudonym("203.0.113.077", today) == morning  # normalised first
    with freeze_time("2026-03-11 09:00"):
        assert pseudonyms.pseudonym(ADDRESS, pseudonyms.local_day()) != morning
    assert DailyKey.objects.count() == 2
    assert len(bytes(DailyKey.objects.first().key)) == 32


def test_a_destroyed_key_cannot_be_recovered_so_its_pseudonyms_cannot_be_recomputed(db):
    with freeze_time("2026-03-10 09:00"):
        recorder.add(Entry(at=datetime.now(UTC), kind=REQUEST, ip=ADDRESS))
        flush()
    stored = TechnicalRecord.objects.get().pseudonym
    day = date(2026, 3, 10)
    assert pseudonyms.pseudonym(ADDRESS, day) == stored
    with freeze_time("2026-06-09 09:00"):
        assert expire_records(DailyKey.objects.filter(day=day), actor="test") == 1
        assert pseudonyms.day_key(day) is None  # not made again for a past day
        assert pseudonyms.pseudonym(ADDRESS, day) == ""
        assert not DailyKey.objects.filter(day=day).exists()
    assert TechnicalRecord.objects.get().pseudonym == stored  # still comparable, never testable


def test_a_url_that_carries_a_token_is_recorded_by_its_route_name_only(published):
    token = "sEcReTtOkEn1234567890"
    client = visitor()
    client.get(f"/privacy/requests/verify/?t={token}")
    client.get(f"/pl/panel/enquiries/98765/?t={token}")
    client.get(f"/wp-login.php/{token}")
    flush()
    routes = list(TechnicalRecord.objects.filter(kind=REQUEST).order_by("id")
                  .values_list("route", flat=True))
    assert routes == ["rights:verify", "panel:enquiry_detail", UNRESOLVED]
    values = every_value_in_the_database()
    assert not [v for v in values if token in v or "98765" in v]


def test_static_files_are_not_recorded(published):
    visitor().get("/static/privet/site.css")
    assert recorder.pending() == 0


def test_the_middleware_writes_in_bulk_once_a_batch_is_full(published, settings):
    settings.PRIVET_TELEMETRY_BATCH = 3
    client = visitor()
    client.get("/privacy/")
    client.get("/privacy/")
    assert TechnicalRecord.objects.count() == 0  # nothing written on the request's path yet
    with CaptureQueriesContext(connection) as queries:
        client.get("/privacy/")
    inserts = [q for q in queries if q["sql"].startswith(('INSERT INTO "telemetry_technicalrecord"',
                                                         'COPY "telemetry_technicalrecord"'))]
    assert len(inserts) == 1 and TechnicalRecord.objects.count() == 3


def test_records_queued_while_a_flush_runs_are_not_lost(db):
    """Threads keep queueing while this thread flushes again and again: every record is written
    exactly once."""
    threads, per_thread = 4, 250
    start = threading.Barrier(threads + 1)

    def queue() -> None:
        start.wait()
        for _ in range(per_thread):
            recorder.add(Entry(at=datetime.now(UTC), kind=REQUEST, ip=ADDRESS, route="x"))

    workers = [threading.Thread(target=queue) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    written = 0
    while any(w.is_alive() for w in workers):
        written += flush()
    written += flush()
    assert written == threads * per_thread == TechnicalRecord.objects.count()


def test_a_failed_write_never_raises_and_logs_no_data(db, caplog):
    recorder.add(Entry(at=datetime.now(UTC), kind=REQUEST, ip=ADDRESS, route="x"))
    with connection.cursor() as cursor:
        cursor.execute('ALTER TABLE "telemetry_technicalrecord" RENAME TO "telemetry_away"')
    try:
        assert flush() == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute('ALTER TABLE "telemetry_away" RENAME TO "telemetry_technicalrecord"')
    assert "technical log" in caplog.text and ADDRESS not in caplog.text


def test_switched_off_nothing_is_recorded(published, settings):
    settings.PRIVET_TELEMETRY = False
    # The middleware reads the setting as the handler is built: a new client builds it anew.
    visitor().get("/privacy/")
    record_security_event("rate_limited", limit="consent")
    assert recorder.pending() == 0


def test_a_batch_straddling_midnight_hashes_each_record_under_its_own_day(db):
    with freeze_time("2026-03-10 22:59:59"):  # 23:59:59 in Warsaw
        before = datetime.now(UTC)
    with freeze_time("2026-03-10 23:00:01"):  # the next local day
        recorder.add(Entry(at=before, kind=REQUEST, ip=ADDRESS))
        recorder.add(Entry(at=before + timedelta(seconds=2), kind=REQUEST, ip=ADDRESS))
        flush()
    first, second = TechnicalRecord.objects.order_by("at")
    assert first.pseudonym and second.pseudonym and first.pseudonym != second.pseudonym
