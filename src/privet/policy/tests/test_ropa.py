import csv
import io
import json

from django.core.management import call_command

from privet.policy.loader import parse_declaration
from privet.policy.ropa import COLUMNS, render_ropa, ropa_rows


def test_one_row_per_purpose_with_every_article_30_field(default_source):
    decl = parse_declaration(default_source)
    rows = ropa_rows(decl)
    assert len(rows) == len(decl.purposes) == 6
    for row in rows:
        assert all(row[key] for key, _ in COLUMNS), row
        assert "NIP 6482058477" in row["controller"]
    delivery = next(r for r in rows if r["activity"] == "Designing and delivering projects")
    assert "Art. 6(1)(b)" in delivery["legal_basis"]
    assert "6 years after the contract ends" in delivery["erasure"]
    assert "Clients and their representatives and staff" in delivery["data_subjects"]


def test_csv_json_and_html_exports(default_source):
    decl = parse_declaration(default_source)
    table = list(csv.reader(io.StringIO(render_ropa(decl, fmt="csv"))))
    assert table[0][0].startswith("Controller name and contact details (Art. 30(1)(a))")
    assert any("Art. 30(1)(g)" in h for h in table[0])
    assert len(table) == 7
    data = json.loads(render_ropa(decl, fmt="json", lang="pl", version_label="1.0"))
    assert data["policy_version"] == "1.0" and len(data["activities"]) == 6
    assert data["activities"][0]["activity"] == "Odpowiadanie na zapytania"
    html = render_ropa(decl, fmt="html")
    assert html.count("<tr>") == 7 and "<script" not in html


def test_polish_record_has_polish_headings_and_citations(default_source):
    decl = parse_declaration(default_source)
    table = list(csv.reader(io.StringIO(render_ropa(decl, fmt="csv", lang="pl", version_label="1.0"))))
    assert table[0][0] == "Nazwa i dane kontaktowe administratora (art. 30 ust. 1 lit. a)"
    assert table[0][-1] == "Wersja polityki" and {row[-1] for row in table[1:]} == {"1.0"}
    assert "art. 6 ust. 1 lit. a RODO (Zgoda)" in table[1][3]
    html = render_ropa(decl, fmt="html", lang="pl", version_label="1.0")
    assert "Rejestr czynności przetwarzania (art. 30 ust. 1 RODO)" in html and "wersja polityki 1.0" in html


def test_export_command_uses_the_published_version(published, tmp_path):
    out = tmp_path / "ropa.csv"
    call_command("ropa", "export", "--format", "csv", "--output", str(out))
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 6
