"""What an application log line may not carry, taken out of every line before it is written.

The policy promises that technical logs hold no raw IP address, and a log is the place where
personal data and secrets leak unnoticed: an exception's text names the address a mail server
refused, Django's "Not Found: /path" names a path, a request's repr carries its query string, a
connection error carries a database URL. :func:`redact` is the one reading of a line; it runs in
two places that share it:

- :class:`RedactFilter`, on every handler (the console handler of ``LOGGING`` and gunicorn's
  error log): a record's message, arguments, string extras, traceback text and stack;
- :func:`redact_event`, in structlog's chain (:mod:`privet.core.applog`): every value of the
  event, the formatted exception included, just before it is rendered.

What goes: email addresses (``[email]``); tokens and secrets (``[redacted]``): the configured
secrets by exact value (``SECRET_KEY``, ``PRIVET_ARCHIVE_KEYS`` and every setting named like a
secret), Django signed values (the rights verification and status links), Fernet tokens, JWTs,
``Authorization``/``Bearer`` credentials, ``password=``/``secret=``/``token=``/``key=`` values,
token-like query parameters and a URL's password. IP addresses become their keyed pseudonym
(``ip-ref:3f9a...``, the one the rate limits use), so lines about one client still correlate;
our own addresses (loopback, the unspecified address, the database and mail hosts, the addresses
gunicorn listens on) are not a person's and stay.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from privet.clients import client_network, normalise_ip
from privet.pseudonyms import ip_ref

# The attributes every LogRecord has; anything else on a record came in with ``extra=``.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_DONE = "_privet_redacted"  # on a record the filter has seen (with which listening addresses)
EMAIL_MARK = "[email]"
SECRET_MARK = "[redacted]"  # noqa: S105 (the mark, not a secret)
OWN_ADDRESSES = frozenset({"127.0.0.1", "::1", "0.0.0.0", "::"})  # noqa: S104 (values, not binds)
MIN_SECRET_LENGTH = 8  # a shorter configured value would redact ordinary words

# Settings whose value is a secret (or a list of them): matched by name, redacted by value.
_SECRET_SETTING = re.compile(r"(SECRET|_PASSWORD|_KEYS?|_KEY_FALLBACKS|_TOKEN)$")
# A name whose value is a credential, in "name=value", "name: value", "'name': 'value'".
_SECRET_NAME = r"[\w-]*?(?:password|passwd|secret|token|api[_-]?key|key|signature|sessionid)"  # noqa: S105
_SECRET_PAIR = re.compile(
    rf"""(?i)(?<![\w-])({_SECRET_NAME}["']?\s*(?:=|:\s)\s*["']?)(?!\[redacted\])[^\s"'&,;)}}\]]+""")
# A query parameter that carries a credential (OAuth's "code" and "state", which binds an
# authorisation to its link and browser; a link's "t", "sig", "auth").
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:[\w-]*?(?:token|key|secret|password|signature|auth)[\w-]*|code|sig|t|state)=)"
    r"(?!\[redacted\])[^&#\s\"'<>]+")
_AUTHORIZATION = re.compile(
    r"""(?i)\b((?:http_)?(?:proxy[_-])?authorization["']?\s*[:=]\s*["']?)"""
    r"""(?:(bearer|basic|digest|token)\s+)?+(?!\[redacted\])[^\s"',;]+""")
_BEARER = re.compile(r"(?i)\b(bearer\s+)(?!\[redacted\])[\w.~+/=-]{8,}")
_URL_PASSWORD = re.compile(r"(?<=://)([^\s:/@]+):(?!\[redacted\])[^\s@/]+@")
_FERNET = re.compile(r"gAAAAA[\w=-]{20,}")
_JWT = re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*")
# Django's signing: "value:signature" (Signer) and "value:timestamp:signature" (dumps), the
# value possibly compressed (".eJy..."); the signature is an unpadded base64 SHA-256 (43 chars).
_SIGNED = re.compile(r"(?<![\w.:-])[\w.-]+(?::[0-9A-Za-z]{1,10})?:[\w-]{43}(?![\w-])")
_EMAIL = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
# A product token right before a dotted number: a User-Agent's version ("Chrome/141.0.0.0").
_BROWSER_VERSION = re.compile(r"(?:Chrome|Chromium|CriOS|Safari|Firefox|FxiOS|Edg|EdgA|OPR|"
                              r"Version|AppleWebKit|Gecko|Mobile)/$")


def is_browser_version(text: str, start: int) -> bool:
    """Whether what begins at ``start`` follows a product token (``Chrome/141.0.0.0``): a
    browser's version that reads like an IPv4 address, not an address."""
    return _BROWSER_VERSION.search(text, 0, start) is not None


# Anything that may be an IPv4 or IPv6 address (optionally bracketed); ipaddress decides.
_IP_CANDIDATE = re.compile(r"\[?(?<![\w.:])[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*(?![\w.:])\]?")


def pseudonymise_addresses(text: str, keep: frozenset[str] = frozenset(),
                           own: frozenset[str] = frozenset()) -> str:
    """``text`` with every IP address replaced by ``ip-ref:<pseudonym>``, except the
    ``host:port`` strings in ``keep`` (the listening addresses) and the addresses in ``own``."""
    kept = sorted(keep, key=len, reverse=True)
    for index, listen in enumerate(kept):
        text = text.replace(listen, f"\x00{index}\x00")

    def replace(match: re.Match) -> str:
        candidate = match.group(0)
        core = candidate.rstrip(":.")  # "ip=127.0.0.1: Invalid request": the colon is prose
        address = normalise_ip(core)
        if not address or address in own:
            return candidate
        if is_browser_version(match.string, match.start()):
            return candidate
        try:
            reference = ip_ref(client_network(address))
        except ImproperlyConfigured:  # no SECRET_KEY yet: no pseudonym, and still no address
            reference = "unknown"
        return f"ip-ref:{reference}{candidate[len(core):]}"

    text = _IP_CANDIDATE.sub(replace, text)
    for index, listen in enumerate(kept):
        text = text.replace(f"\x00{index}\x00", listen)
    return text


def redact(text: str, keep: frozenset[str] = frozenset()) -> str:
    """``text`` without emails, tokens, secrets and raw client addresses (see the module's
    docstring); ``keep``: ``host:port`` strings left as they are (gunicorn's listening
    addresses). Applying it twice changes nothing more."""
    secrets, own = _configured()
    if secrets is not None:
        text = secrets.sub(SECRET_MARK, text)
    text = _URL_PASSWORD.sub(rf"\1:{SECRET_MARK}@", text)
    text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)}{m.group(2) + ' ' if m.group(2) else ''}"
                                        f"{SECRET_MARK}", text)
    text = _BEARER.sub(rf"\1{SECRET_MARK}", text)
    text = _SECRET_PARAM.sub(rf"\1{SECRET_MARK}", text)
    text = _SECRET_PAIR.sub(rf"\1{SECRET_MARK}", text)
    text = _FERNET.sub(SECRET_MARK, text)
    text = _JWT.sub(SECRET_MARK, text)
    text = _SIGNED.sub(SECRET_MARK, text)
    text = _EMAIL.sub(EMAIL_MARK, text)
    return pseudonymise_addresses(text, keep, own)


def redact_value(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """A value of a log event, redacted: strings by :func:`redact`, containers item by item,
    numbers as they are, anything else as the redacted text of its ``repr`` (a request's repr
    carries its query string)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value, keep)
    if isinstance(value, dict):
        return {k: redact_pair(str(k), v, keep) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item, keep) for item in value]
    return redact(repr(value), keep)


def redact_pair(name: str, value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """An event's field: all of it when its name says it holds a credential."""
    if value and re.fullmatch(_SECRET_NAME, name, re.IGNORECASE) and not isinstance(value, bool):
        return SECRET_MARK
    return redact_value(value, keep)


def redact_event(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: every field of the event redacted (run it after ``format_exc_info``,
    so the traceback is text by then)."""
    return {key: value if key.startswith("_") else redact_pair(key, value)
            for key, value in event_dict.items() if key != _DONE}


class RedactFilter(logging.Filter):
    """Rewrites a record with :func:`redact` before any handler formats it: message (with its
    arguments), traceback text, stack, string extras. The record keeps ``exc_info`` so a
    structlog formatter can still tell an exception is there (it redacts what it renders);
    other formatters use the redacted ``exc_text``."""

    def __init__(self, name: str = "", keep: Iterable[str] = ()):
        super().__init__(name)
        self.keep = frozenset(keep)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _DONE, None) == self.keep:
            return True
        if not isinstance(record.msg, dict):  # a structlog event: its processor redacts it
            try:
                message = record.getMessage()
            except Exception:  # a bad format string: log what there is
                message = f"{record.msg!r} {record.args!r}"
            record.msg, record.args = redact(message, self.keep), ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.keep)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, self.keep)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.keep)
        for name, value in list(record.__dict__.items()):
            if name not in _RECORD_ATTRIBUTES and isinstance(value, str) and not name.startswith("_"):
                setattr(record, name, redact_pair(name, value, self.keep))
        setattr(record, _DONE, self.keep)
        return True


def _configured() -> tuple[re.Pattern | None, frozenset[str]]:
    """The configured secrets as one pattern, and our own addresses; nothing before Django's
    settings are there (a line logged while they load)."""
    from django.conf import settings

    try:
        if not settings.configured:
            return None, OWN_ADDRESSES
        values: list[str] = []
        for name in dir(settings):
            if name.isupper() and _SECRET_SETTING.search(name):
                values.extend(_strings(getattr(settings, name)))
        hosts = [db.get("HOST") or "" for db in settings.DATABASES.values()]
        values.extend(db.get("PASSWORD") or "" for db in settings.DATABASES.values())
        hosts.append(getattr(settings, "EMAIL_HOST", "") or "")
    except Exception:  # settings that do not load yet: redact what can be
        return None, OWN_ADDRESSES
    return _compiled(tuple(sorted(v for v in values if len(v) >= MIN_SECRET_LENGTH))), _own(tuple(hosts))


def _strings(value: Any) -> list[str]:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


@functools.lru_cache(maxsize=8)
def _compiled(values: tuple[str, ...]) -> re.Pattern | None:
    if not values:
        return None
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


@functools.lru_cache(maxsize=8)
def _own(hosts: tuple[str, ...]) -> frozenset[str]:
    own = set(OWN_ADDRESSES)
    for host in hosts:
        try:
            own.add(str(ipaddress.ip_address(host.strip("[]"))))
        except ValueError:
            continue
    return frozenset(own)
