"""The CSV helper every panel export uses: a spreadsheet shows each cell, and runs none."""

import csv
import io

from privet.core.csv_export import CHUNK_CHARS, csv_lines, safe_cell


def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe():
    for hostile in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")'):
        assert safe_cell(hostile) == "'" + hostile
    for plain in ("olga", "1", "{\"a\":1}", "a=b", "", "user:7"):
        assert safe_cell(plain) == plain
    assert safe_cell(None) == "" and safe_cell(42) == "42"


def test_lines_come_in_chunks_with_the_header_and_a_bom_first():
    rows = ([str(i), "x" * 100] for i in range(5000))
    chunks = list(csv_lines(["n", "=text"], rows))
    assert len(chunks) > 5 and all(len(c) < CHUNK_CHARS + 200 for c in chunks)
    text = "".join(chunks)
    assert text.startswith("\ufeffn,'=text\r\n")
    assert len(list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))) == 5001
