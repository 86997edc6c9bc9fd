"""The ALTCHA widget's stylesheet, as shipped inside its JavaScript.

The widget injects its CSS as an inline ``<style id="altcha-css">`` unless an element with that
id already exists. Inline styles would need ``style-src 'unsafe-inline'`` (or a nonce); serving
the same CSS as ``static/enquiries/altcha.css`` with ``<link id="altcha-css">`` keeps the CSP at
``style-src 'self'``. ``extract()`` reads the CSS out of the installed widget, so a test (and
``python -m privet.enquiries.altcha_css``) keeps the file in step with the vendored widget.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import altcha_django

WIDGET_JS = Path(altcha_django.__file__).parent / "static" / "altcha_django" / "altcha.min.js"
CSS_FILE = Path(__file__).parent / "static" / "enquiries" / "altcha.css"
_CSS_LITERAL = re.compile(r"""\}\('(:root \{(?:[^'\\]|\\.)*)'\)""")


def extract(js: str | None = None) -> str:
    """The CSS string the widget would inject, decoded from its JS string literal."""
    js = js if js is not None else WIDGET_JS.read_text(encoding="utf-8")
    match = _CSS_LITERAL.search(js)
    if not match:
        raise ValueError("the ALTCHA widget's embedded stylesheet was not found")
    literal = match.group(1).replace('"', '\\"').replace("\\'", "'")
    return json.loads(f'"{literal}"')


if __name__ == "__main__":
    CSS_FILE.write_text(extract(), encoding="utf-8")
    print(f"wrote {CSS_FILE}")
