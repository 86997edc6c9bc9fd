"""The person's side of a rights request in Polish: no sentence of the English pages or mail is
left untranslated (the portal's pages and the rights mail once lacked their Polish)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core import mail as django_mail
from django.db import transaction
from django.utils import translation

from privet.rights import links, notifications, services, tokens
from privet.rights.models import MailKind, RightsMail, RightsRequest

pytestmark = pytest.mark.django_db


def sentences(html: str) -> set[str]:
    """The visible text of a page's main part, as sentences of some length."""
    main = re.search(r"<main.*?</main>", html, re.S).group(0)
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", "\n", main))
    return {s.strip() for s in re.split(r"[\n.:?]", text)
            if len(s.strip()) > 12 and "@" not in s and not s.strip().startswith("SoftCode")}


def pages(client, request: RightsRequest, token: str, lang: str) -> list[str]:
    prefix = "/pl" if lang == "pl" else ""
    with translation.override(lang):
        paths = [links.status_path(request), "/privacy/requests/status/?s=forged"]
    base = "/pl/polityka-prywatnosci/zadania/" if lang == "pl" else "/privacy/requests/"
    paths = [p if p.startswith(prefix + "/") or not prefix else prefix + p for p in paths]
    got = [client.get(base), client.get(base + ("wyslane/" if lang == "pl" else "sent/")),
           client.get(base + ("nowy-link/" if lang == "pl" else "new-link/")),
           client.get(base + ("potwierdz/" if lang == "pl" else "verify/") + "?t=" + token),
           client.get(base + ("potwierdz/" if lang == "pl" else "verify/") + "?t=spent"),
           *(client.get(p) for p in paths)]
    assert [r.status_code for r in got] == [200, 200, 200, 200, 400, 200, 404]
    return [r.content.decode() for r in got]


def test_every_page_of_the_portal_is_in_polish(client, published):
    request = services.submit_request(right="access", email="anna@example.com", language="pl")
    token = tokens.issue_verification_token(request)
    english = pages(client, request, token, "en")
    polish = pages(client, request, token, "pl")
    for en, pl in zip(english, polish, strict=True):
        left = sentences(en) & sentences(pl)
        assert not left, f"untranslated on a Polish page: {sorted(left)}"


RESULT = {"sources": {"enquiries": {"records": 2, "erased": 1, "changed": 1, "kept": []}},
          "recipients_notified": ["hosting"]}


def mail_text(request: RightsRequest, kind: str) -> str:
    django_mail.outbox = []
    with transaction.atomic():
        row = RightsMail.objects.create(request=request, kind=kind, seq=1 + RightsMail.objects
                                        .filter(request=request, kind=kind).count())
    notifications.send(row)
    [message] = django_mail.outbox
    return message.subject + "\n" + message.body


@pytest.mark.parametrize("right", ["access", "erasure", "rectification", "restriction",
                                   "objection", "withdraw_consent"])
@pytest.mark.parametrize("kind", [k for k in MailKind.values if k != MailKind.REMINDER])
def test_every_mail_to_the_person_is_in_polish(published, kind, right):
    texts = {}
    for lang in ("en", "pl"):
        request = services.log_request(right=right, email=f"{lang}@example.com", language=lang,
                                       actor="test", channel="email", details="x")
        RightsRequest.objects.filter(pk=request.pk).update(
            result=RESULT, proof_asked="skan faktury", extension_reason="wiele systemów",
            outcome="powód", refusal_ground="excessive")
        request.refresh_from_db()
        texts[lang] = mail_text(request, kind)
    english = {s.strip() for s in re.split(r"[\n.:(]", texts["en"]) if len(s.strip()) > 12}
    declaration = published.declaration()
    # The same in every language: names, an address, what the operator wrote.
    same = (declaration.controller.name, declaration.supervisory_authority.address,
            "skan faktury", "wiele systemów", "powód")
    left = {s for s in english if s in texts["pl"] and "http" not in s and "@" not in s
            and not any(s in name for name in same)}
    assert not left, f"untranslated in the Polish {kind} mail: {sorted(left)}"


def test_what_was_kept_is_said_in_the_persons_language(published):
    from privet.enquiries.privacy import CONTRACT_REASON

    request = services.log_request(right="erasure", email="anna@example.com", language="pl",
                                   actor="test", channel="email", details="x")
    RightsRequest.objects.filter(pk=request.pk).update(result={"sources": {"enquiries": {
        "records": 1, "erased": 0, "kept": [{"records": 1, "reason": CONTRACT_REASON,
                                             "rules": []}]}}})
    request.refresh_from_db()
    assert CONTRACT_REASON not in mail_text(request, MailKind.COMPLETED)
