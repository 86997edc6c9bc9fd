"""Every action Privet writes to the audit log is shown in words, in English and in Polish."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from privet.audit.actions import ACTION_LABELS, action_label, details_pairs, object_type_label

SRC = Path(__file__).resolve().parents[2]
# `action="enquiry.mail_sent"` (append_event's keyword) and `"audit.verified" if ... else ...`
WRITTEN = re.compile(r"""action=(?:f?["']([a-z_]+\.[a-z_]+)["'])|["']([a-z_]+\.[a-z_]+)["'] if """)


def actions_in_source() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for match in WRITTEN.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


def test_every_action_written_has_a_label():
    written = actions_in_source()
    assert {"enquiry.mail_not_sent", "panel.sign_in", "audit.verified"} <= written  # the scan works
    assert written - set(ACTION_LABELS) == set()


@pytest.mark.parametrize("action", sorted(ACTION_LABELS))
def test_each_label_is_translated_to_polish(action):
    with translation.override("pl"):
        polish = action_label(action)
    with translation.override("en"):
        english = action_label(action)
    assert polish != english and polish != action


def test_an_unknown_action_is_shown_as_its_code():
    with translation.override("pl"):
        assert action_label("rights.something_new") == "rights.something_new"


def test_details_and_object_types_in_words():
    with translation.override("pl"):
        assert details_pairs({"attempts": 2, "with_reason": False, "to": ["a", "b"]}) == [
            ("liczba prób", "2"), ("z podaniem powodu", "nie"), ("na", "a, b")]
        assert object_type_label("enquiries.enquiry") == "Zapytanie"
        assert object_type_label("gone.model") == "gone.model"


def test_an_export_names_its_filtered_action_in_words_and_an_empty_reason_is_not_shown():
    assert details_pairs({"filters": {"action": "enquiry.mail_sent"}}) == [
        ("filters", "action: Mail sent")]
    assert details_pairs({"ok": True, "reason": ""}) == [("intact", "yes")]
