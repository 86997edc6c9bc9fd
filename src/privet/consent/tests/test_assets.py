"""The banner's two files: small, and talking to no one but Privet."""

import gzip
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "static" / "consent"
BUDGET = 5000  # bytes, JS + CSS, each gzipped as served


def gzipped_size() -> int:
    return sum(len(gzip.compress((STATIC / name).read_bytes(), 9)) for name in ("consent.js",
                                                                               "consent.css"))


def test_banner_js_and_css_fit_the_5_kb_budget():
    assert gzipped_size() <= BUDGET


def test_banner_names_no_third_party_host():
    for name in ("consent.js", "consent.css"):
        text = (STATIC / name).read_text()
        assert not re.search(r"https?://|//[a-z0-9-]+\.[a-z]", text), name
        assert "@import" not in text and "eval(" not in text
