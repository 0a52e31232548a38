"""structlog set-up: readable lines in a terminal, JSON in production; one correlation id per exchange.

Event names are stable snake_case (``notificatie_ontvangen``, ``exchange_geweigerd``); the correlation id is
bound with `bind_exchange` and appears on every line logged while that exchange is handled.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from aiohttp.http_exceptions import HttpProcessingError

__all__ = ["bind_exchange", "configure_logging", "get_logger", "new_correlation_id"]

_FORBIDDEN_KEYS = frozenset({"bsn", "onderwijsnummer", "password", "wachtwoord", "verificatiecode", "code", "secret"})


def _drop_secrets(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """Last line of defence: a key that names a secret never reaches the output."""
    for key in _FORBIDDEN_KEYS.intersection(event):
        event[key] = "[verborgen]"
    return event


_CHATTY = ("aiosqlite", "botocore", "boto3", "urllib3", "s3transfer")


class _Stderr(logging.StreamHandler):
    """A handler for the standard library's loggers (aiohttp's own errors, asyncio, libraries) that writes
    where structlog writes: the given stream, or sys.stderr as it is at the time of writing."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream or sys.stderr)
        self._fixed = stream

    def emit(self, record: logging.LogRecord) -> None:
        if self._fixed is None:
            self.stream = sys.stderr
        super().emit(record)


class _NoRequestBytes(logging.Filter):
    """aiohttp's error for a malformed request quotes up to 100 bytes of the offending line — which can be
    a header carrying a secret (an over-long or NUL-bearing ``X-Verificatiecode``). Such a line keeps the
    error's kind and status, never the bytes, and loses its traceback (aiohttp's parser, not ours)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = f"{record.getMessage()} ({type(error).__name__}, status {error.code})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def _route_stdlib(renderer: Any, level: str, stream: Any) -> None:
    """Every line of the standard library's loggers goes through the same processors and renderer as our
    own: with JSON logging configured, aiohttp's "Error handling request" (a NUL byte in a header, ...)
    is a JSON line too, with its traceback as a field."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_logger_name,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_secrets,  # type: ignore[list-item]  # structlog's processor type wants MutableMapping; ours take dict
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(old)
    handler = _Stderr(stream)
    handler.addFilter(_NoRequestBytes())
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(logging.getLevelNamesMapping()[level.upper()])
    for chatty in _CHATTY:  # a line per database operation or connection: never useful in our logs
        logging.getLogger(chatty).setLevel(logging.WARNING)


def configure_logging(fmt: str = "console", level: str = "info", stream: Any = None) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=(stream or sys.stderr).isatty())
    )
    _route_stdlib(renderer, level, stream)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_secrets,  # type: ignore[list-item]  # structlog's processor type wants MutableMapping; ours take dict
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        # resolved per logger, so a replaced sys.stderr (test capture, daemonising) is always honoured
        logger_factory=lambda *_: structlog.PrintLogger(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def bind_exchange(correlation_id: str, **extra: Any) -> Iterator[None]:
    tokens = structlog.contextvars.bind_contextvars(correlation_id=correlation_id, **extra)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
