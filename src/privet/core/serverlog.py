"""gunicorn's error log, with every client address pseudonymised.

The policy says technical logs hold no raw IP address, but gunicorn writes the client's
(``Invalid request from ip=203.0.113.9: Invalid HTTP request line``) for every malformed
request, and an exception's text may carry one too. :class:`PrivetGunicornLogger` is
gunicorn's ``logger_class`` for ``privet serve``: it replaces each IP address in a line of its
error log (message and traceback) with the keyed pseudonym the rate limits use
(:func:`privet.clients.client_ref`: ``ip-ref:3f9a...``), so lines about one client can still be
told apart and matched. The addresses the server listens on (``Listening at:
http://127.0.0.1:8000``) are ours, not a person's, and stay as they are.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

from privet.clients import client_network, normalise_ip
from privet.pseudonyms import ip_ref

# Anything that may be an IPv4 or IPv6 address (optionally bracketed); ipaddress decides.
_CANDIDATE = re.compile(r"\[?(?<![\w.:])[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*(?![\w.:])\]?")


def pseudonymise_addresses(text: str, keep: frozenset[str] = frozenset()) -> str:
    """``text`` with every IP address replaced by ``ip-ref:<pseudonym>``, except the
    ``host:port`` strings in ``keep`` (the listening addresses)."""
    kept = sorted(keep, key=len, reverse=True)
    for index, listen in enumerate(kept):
        text = text.replace(listen, f"\x00{index}\x00")

    def replace(match: re.Match) -> str:
        candidate = match.group(0)
        core = candidate.rstrip(":.")  # "ip=127.0.0.1: Invalid request": the colon is prose
        address = normalise_ip(core)
        if not address:
            return candidate
        return f"ip-ref:{ip_ref(client_network(address))}{candidate[len(core):]}"

    text = _CANDIDATE.sub(replace, text)
    for index, listen in enumerate(kept):
        text = text.replace(f"\x00{index}\x00", listen)
    return text


class PseudonymiseAddresses(logging.Filter):
    """Rewrites a record's message (and traceback) with :func:`pseudonymise_addresses`."""

    def __init__(self, keep: frozenset[str]):
        super().__init__()
        self.keep = keep

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = record.exc_text = None
        if record.stack_info:
            message += "\n" + record.stack_info
            record.stack_info = None
        record.msg, record.args = pseudonymise_addresses(message, self.keep), None
        return True


class PrivetGunicornLogger(Logger):
    """gunicorn's logger, with :class:`PseudonymiseAddresses` on its error log."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for old in [f for f in self.error_log.filters if isinstance(f, PseudonymiseAddresses)]:
            self.error_log.removeFilter(old)  # a configuration reload runs setup again
        self.error_log.addFilter(PseudonymiseAddresses(frozenset(cfg.bind or ())))
