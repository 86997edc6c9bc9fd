"""The answer to an access or portability request: an encrypted ZIP behind a signed 7-day link,
audited at each download, deleted when the link expires, readable across a key rotation."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.utils import timezone, translation
from freezegun import freeze_time

from privet.audit.models import AuditEvent
from privet.audit.selectors import verify_chain
from privet.policy.rendering import cite_article, describe_rule
from privet.rights import archive, engine
from privet.rights.models import ExportArchive, RequestStep, RightsRequest, Status

from .engine_data import person, store_data, verified

pytestmark = pytest.mark.django_db


def answered(right: str = "access", language: str = "en", n: int = 1) -> RightsRequest:
    request = verified(right, person(n), language=language)
    engine.start(request=request, actor="test:operator")
    assert engine.process(request.pk, request.attempt) == "completed"
    request.refresh_from_db()
    assert request.status == Status.COMPLETED and request.result["archive"] is True
    return request


def link(request: RightsRequest) -> str:
    """The download link's path and query, as the test client takes them."""
    url = urlsplit(archive.download_url(request))
    return f"{url.path}?{url.query}"


def download(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def stored(request: RightsRequest) -> Path:
    return Path(django_settings.DATA_DIR) / ExportArchive.objects.get(request=request).path


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_link_downloads_the_zip_with_a_json_and_a_csv_per_source_and_the_art_15_readme(
        published, client, language):
    anna = person(1)
    store_data(anna, published)
    request = answered(language=language)
    with zipfile.ZipFile(io.BytesIO(download(client, link(request)))) as zipped:
        names = set(zipped.namelist())
        files = {n: zipped.read(n).decode("utf-8-sig") for n in names}  # CSVs start with a BOM
    sources = set(RequestStep.objects.filter(request=request, action="export")
                  .values_list("source", flat=True))
    assert {"enquiries", "consent_receipts", "audit"} <= sources
    assert names == {f"{s}.{ext}" for s in sources for ext in ("json", "csv")} | {"README.txt"}
    enquiries = json.loads(files["enquiries.json"])["enquiries"]
    assert {e["email"] for e in enquiries} == {anna.email} and len(enquiries) == 2
    rows = list(csv.DictReader(io.StringIO(files["enquiries.csv"])))
    assert len([r for r in rows if r["kind"] == "enquiries"]) == 2 and rows[0]["email"] == anna.email

    readme = files["README.txt"]
    policy = published.declaration()

    def say(text) -> str:
        return getattr(text, language)

    assert request.reference in readme
    for purpose in policy.purposes:
        assert say(purpose.label) in readme
        for basis in map(policy.legal_basis, purpose.legal_bases):
            assert f"{say(basis.label)} ({cite_article(basis.article, language)})" in readme
    for rule in policy.retention:
        assert describe_rule(rule, language) in readme
    assert policy.recipients and all(say(r.label) in readme for r in policy.recipients)
    authority = policy.supervisory_authority
    assert say(authority.name) in readme and authority.address in readme
    heading = {"en": "supervisory authority", "pl": "organu nadzorczego"}[language]
    assert heading in readme and ("Twoje prawa" in readme) == (language == "pl")


def test_each_download_is_counted_and_audited(published, client):
    store_data(person(1), published, project=False)
    request = answered()
    path = link(request)
    first, second = download(client, path), download(client, path)
    assert first == second
    row = ExportArchive.objects.get(request=request)
    assert row.downloads == 2 and row.last_downloaded_at is not None
    events = AuditEvent.objects.filter(action="rights.archive_downloaded").order_by("seq")
    assert [json.loads(e.details)["downloads"] for e in events] == [1, 2]
    assert person(1).email not in "".join(e.details for e in events)
    assert verify_chain().ok


def test_an_expired_or_forged_link_gets_the_clear_400_page_and_downloads_nothing(published, client):
    store_data(person(1), published, project=False)
    request = answered()
    path = link(request)
    with freeze_time(timezone.now() + timedelta(days=7, minutes=1)):
        expired = client.get(path)
    assert expired.status_code == 400
    assert b"This download link is not valid" in expired.content
    assert b"a link works for 7 days" in expired.content
    forged = client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert forged.status_code == 400 and b"This download link is not valid" in forged.content
    assert client.get(link(request).split("?")[0]).status_code == 400  # no token at all
    assert not AuditEvent.objects.filter(action="rights.archive_downloaded").exists()
    assert ExportArchive.objects.get(request=request).downloads == 0


def test_a_polish_link_opens_the_polish_path_and_its_error_page_is_in_polish(published, client):
    store_data(person(1), published, project=False)
    request = answered(language="pl")
    with translation.override("pl"):
        path = link(request)
    assert path.startswith("/pl/polityka-prywatnosci/zadania/pobierz/?t=")
    assert zipfile.is_zipfile(io.BytesIO(download(client, path)))
    forged = client.get(path + "x")
    assert forged.status_code == 400
    page = forged.content.decode()
    assert "Ten link do pobrania jest nieważny" in page and "działa przez 7 dni" in page
    assert "not valid" not in page


def test_housekeeping_deletes_an_expired_archive_and_its_link_then_answers_410(published, client):
    store_data(person(1), published, project=False)
    request = answered()
    path, file = link(request), stored(request)
    assert file.exists()
    assert archive.delete_expired() == 0  # not yet
    row = ExportArchive.objects.get(request=request)
    assert archive.delete_expired(now=row.expires_at) == 1
    row.refresh_from_db()
    assert row.deleted_at == row.expires_at and not file.exists()
    assert AuditEvent.objects.filter(action="rights.archive_deleted").count() == 1
    assert archive.delete_expired(now=row.expires_at + timedelta(days=1)) == 0  # once

    gone = client.get(path)
    assert gone.status_code == 410
    assert b"Your archive has been deleted" in gone.content


def test_the_archive_on_disk_is_encrypted(published):
    anna = person(1)
    store_data(anna, published, project=False)
    file = stored(answered())
    data = file.read_bytes()
    assert not zipfile.is_zipfile(file) and not data.startswith(b"PK")
    assert anna.email.encode() not in data and b"README" not in data
    assert zipfile.is_zipfile(io.BytesIO(archive.fernet().decrypt(data)))


def test_an_archive_written_under_an_old_key_downloads_after_a_new_key_is_put_first(
        published, client, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PRIVET_ARCHIVE_KEYS = [old]
    store_data(person(1), published, project=False)
    request = answered()
    path = link(request)
    Fernet(old).decrypt(stored(request).read_bytes())  # written under the old key

    settings.PRIVET_ARCHIVE_KEYS = [new, old]
    assert zipfile.is_zipfile(io.BytesIO(download(client, path)))
    assert archive.fernet().encrypt(b"x").startswith(b"gAAAA")
    Fernet(new).decrypt(archive.fernet().encrypt(b"new archives use the new key"))
