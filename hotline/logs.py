"""Logging for every hotline process, set up in one place: HOTLINE_LOG_LEVEL and HOTLINE_LOG_FORMAT.

`text` writes `time level logger: message`; `json` writes one JSON object per line (time, level, logger,
message, the record's extra fields, and the traceback under `exception`), for log shippers.

What hotline's own code logs names rows by id, never a reported URL or a reporter's address. Libraries
are less careful (Scrapy and HTTP clients put URLs in their warnings and exception messages), so every
record above DEBUG has its URLs replaced by `<url>` before it is written: a reported URL can only reach
the logs at DEBUG. That also keeps passwords inside database and broker URLs out of them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from hotline.config import Settings

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
# scheme://anything-up-to-whitespace-or-quote: http(s) URLs, and database or broker URLs with passwords.
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s'\"<>]+")
URL_MASK = "<url>"
# Attributes every LogRecord has; anything else on a record came from `extra=` and goes into the JSON.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "color_message"}


def mask_urls(text: str) -> str:
    return _URL.sub(URL_MASK, text)


def _masked(record: logging.LogRecord, text: str) -> str:
    return text if record.levelno <= logging.DEBUG else mask_urls(text)


class TextFormatter(logging.Formatter):
    """`time level logger: message`, URLs masked above DEBUG (message, arguments and traceback)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return _masked(record, super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, (int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Masked field by field: masking the encoded line could cut through an escaped quote.
        masked = {key: _masked(record, value) if isinstance(value, str) else value for key, value in entry.items()}
        return json.dumps(masked, ensure_ascii=False)


class _QuietLibraries(logging.Filter):
    """Libraries that say a lot at INFO an operator never acts on: only their warnings, unless DEBUG."""

    NAMES = ("scrapy", "scrapy-playwright", "playwright", "twisted", "filelock", "hpack", "alembic.runtime.plugins",
             "httpx", "urllib3", "asyncio", "multipart")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or logging.getLogger().level <= logging.DEBUG:
            return True
        return not any(record.name == name or record.name.startswith(name + ".") for name in self.NAMES)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is when the record is emitted (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class HotlineHandler(_StderrHandler):
    """The handler hotline installs on the root logger; replaced, never stacked, when set up again."""


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send every log record of this process to standard error at `level`, as `fmt` (text or json)."""
    level, fmt = level.upper(), fmt.lower()
    if level not in LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r} is not text or json")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, HotlineHandler)]:
        root.removeHandler(handler)
    handler = HotlineHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.setLevel(level)  # also for loggers that set themselves lower (Scrapy sets DEBUG)
    # A filter on the handler, not logger levels: libraries reset their own loggers' levels (Scrapy does).
    handler.addFilter(_QuietLibraries())
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # Python warnings become log records (py.warnings), in the same format


def configure_from_settings(settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log_format)
