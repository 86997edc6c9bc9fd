"""What a User-Agent header may be kept as: the browser family and the operating-system family,
never the version, the device or the full string (together those single out one browser).

One reading for every store that keeps them: consent receipts keep the browser family, the
technical log (:mod:`privet.telemetry`) both.
"""

from __future__ import annotations

import re

OTHER = "other"

# Browser families, most specific first (Edge and Opera also say "Chrome", Chrome says "Safari").
_FAMILIES = [
    ("bot", re.compile(r"bot|crawl|spider|slurp|headless", re.I)),
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
]

# Operating-system families, most specific first (Android says "Linux", an iPad "Mac OS X",
# ChromeOS "X11" and Linux-like names).
_OS_FAMILIES = [
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod|iOS")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Macintosh|Mac OS X")),
    ("Linux", re.compile(r"Linux|X11|Ubuntu|Fedora")),
]


def user_agent_family(user_agent: str) -> str:
    """The browser family of a User-Agent header, without version or platform (less identifying)."""
    for family, pattern in _FAMILIES:
        if pattern.search(user_agent or ""):
            return family
    return OTHER


def os_family(user_agent: str) -> str:
    """The operating-system family of a User-Agent header (``Windows``, ``iOS``...), no version."""
    for family, pattern in _OS_FAMILIES:
        if pattern.search(user_agent or ""):
            return family
    return OTHER
