"""gunicorn's error log, in the application log's format and with the same redaction.

The policy says technical logs hold no raw IP address, but gunicorn writes the client's
(``Invalid request from ip=203.0.113.9: Invalid HTTP request line``) for every malformed
request, and an exception's text may carry one too. :class:`PrivetGunicornLogger` is
gunicorn's ``logger_class`` for ``privet serve``: its error log goes through
:class:`privet.core.redact.RedactFilter` (an address becomes the keyed pseudonym the rate limits
use, ``ip-ref:3f9a...``, so lines about one client can still be told apart and matched; emails,
tokens and secrets go) and is rendered like every other line (:mod:`privet.core.applog`). The
addresses the server listens on (``Listening at: http://127.0.0.1:8000``) are ours, not a
person's, and stay as they are.
"""

from __future__ import annotations

import logging.handlers

from django.conf import settings
from gunicorn.glogging import Logger

from privet.core.applog import formatter
from privet.core.redact import RedactFilter, pseudonymise_addresses

__all__ = ["PrivetGunicornLogger", "pseudonymise_addresses"]


class PrivetGunicornLogger(Logger):
    """gunicorn's logger, its error log redacted and formatted like the application's."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for old in [f for f in self.error_log.filters if isinstance(f, RedactFilter)]:
            self.error_log.removeFilter(old)  # a configuration reload runs setup again
        self.error_log.addFilter(RedactFilter(keep=cfg.bind or ()))
        for handler in self.error_log.handlers:
            if not isinstance(handler, logging.handlers.SysLogHandler):  # syslog keeps its own
                handler.setFormatter(formatter(settings.PRIVET_LOG_FORMAT))
