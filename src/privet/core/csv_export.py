"""CSV downloads (the audit log, consent receipts): streamed, and safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is a formula to
Excel, LibreOffice and Google Sheets, and a value someone else chose (an object id, a username,
a site id) could run one on the privacy officer's machine ("CSV injection"). Such a cell gets an
apostrophe in front, as OWASP advises: the spreadsheet shows the text, and runs nothing.

The rows are written while they are read (``StreamingHttpResponse`` over a queryset's
``iterator()``), in chunks of about 64 KB, so a log of millions of events is never held in
memory. The file starts with a UTF-8 byte order mark, without which Excel reads Polish
letters as mojibake.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_CHARS = 64 * 1024


def safe_cell(value: Any) -> str:
    """``value`` as a cell a spreadsheet shows as text: ``None`` is empty, and a leading
    formula character gets an apostrophe in front (``=1+1`` -> ``'=1+1``)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like object that hands back what the csv writer writes, instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text, a BOM and the header first, in chunks of about ``CHUNK_CHARS``."""
    writer = csv.writer(_Line())
    chunk = ["\ufeff", writer.writerow([safe_cell(v) for v in header])]
    size = 0
    for row in rows:
        line = writer.writerow([safe_cell(v) for v in row])
        chunk.append(line)
        size += len(line)
        if size >= CHUNK_CHARS:
            yield "".join(chunk)
            chunk, size = [], 0
    yield "".join(chunk)


def csv_response(*, filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
                 ) -> StreamingHttpResponse:
    """A download of ``rows`` under ``header``, streamed as the rows are produced.

    ``filename`` must be plain ASCII (it goes into ``Content-Disposition`` unquoted).
    """
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
