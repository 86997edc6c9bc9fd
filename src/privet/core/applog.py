"""Application logs as structured events: one JSON object per line in production, readable lines
in the demo and in development.

Privet's code and the libraries it runs log through the standard library
(``logging.getLogger(...)``); structlog's :class:`~structlog.stdlib.ProcessorFormatter` turns each
record into an event (time, level, logger, process, message, the record's extras, the traceback
as text) and renders it. ``structlog.get_logger()`` works too and takes the same way out. The last
step before rendering is :func:`privet.core.redact.redact_event`, so no rendered line carries an
email, a token, a secret or a client's raw address, whoever logged it.

``PRIVET_LOG_FORMAT`` (``json`` or ``console``) chooses; the default is ``json``, or ``console``
under ``PRIVET_DEMO``/``PRIVET_DEBUG``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from django.core.exceptions import ImproperlyConfigured

from privet.core.redact import redact_event

FORMATS = ("json", "console")

_SHARED: list[Any] = [
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.CallsiteParameterAdder([structlog.processors.CallsiteParameter.PROCESS]),
]


def _stack_as_text(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A stdlib record's ``stack_info`` under the key structlog's renderers know (``stack``)."""
    if isinstance(event_dict.get("stack_info"), str):
        event_dict["stack"] = event_dict.pop("stack_info")
    return event_dict


def formatter(style: str = "json") -> logging.Formatter:
    """The formatter of every handler: ``style`` is ``json`` or ``console``. Referenced from
    ``LOGGING`` (``"()": "privet.core.applog.formatter"``) and by gunicorn's logger."""
    if style not in FORMATS:
        raise ImproperlyConfigured(
            f"PRIVET_LOG_FORMAT={style!r} is not a log format; use one of {', '.join(FORMATS)}.")
    _configure_structlog()
    renderer = (structlog.processors.JSONRenderer(sort_keys=False) if style == "json"
                else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(),
                                                   exception_formatter=structlog.dev.plain_traceback))
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _stack_as_text,
            structlog.processors.format_exc_info,  # the traceback as text, so it is redacted too
            redact_event,
            renderer,
        ],
    )


def _configure_structlog() -> None:
    """structlog's own loggers hand their events to the standard library, so they meet the same
    handlers, filter and formatter as every other record."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
