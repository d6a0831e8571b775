"""How `wuji node run` logs: readable lines for a terminal, or one JSON object per line for collectors.

A log call that concerns a case names it with `extra={"case_id": ...}`; the JSON form then carries
it as a field, so a log collector can gather everything that happened to one case across nodes.
"""

from __future__ import annotations

import faulthandler
import json
import logging
import signal
import sys
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

LOG_FORMATS = ("text", "json")
# How long an INFO line may wait in the buffer. A busy node logs a line per arriving case: a write
# (and a release of the GIL, which the link's thread then waits to get back) for each cost a tenth
# of a hop's throughput.
FLUSH_SECONDS = 0.5
_BUFFER_BYTES = 1 << 16
# the time people read, as node.timeutil's CHINA_ZONE (a module beside this one, not imported by it)
CHINA_ZONE = ZoneInfo("Asia/Shanghai")


def case(case_id: str | None) -> dict[str, str]:
    """The `extra=` of a log call about a case."""
    return {"case_id": case_id} if case_id else {}


class ChinaTimeFormatter(logging.Formatter):
    """A text line stamped in Beijing time with its offset (2026-12-08 00:57:46.483+08:00), the time
    the front desk and the papers show: a stamp in UTC without a zone was read as the wrong date
    before 08:00 Beijing time."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, CHINA_ZONE).isoformat(" ", timespec="milliseconds")


def text_formatter(node_code: str) -> logging.Formatter:
    """The readable form of `wuji node run`'s log lines: time, node, level, logger, message."""
    return ChinaTimeFormatter(f"%(asctime)s {node_code} %(levelname)s %(name)s: %(message)s")


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, node, and case_id if given."""

    def __init__(self, node_code: str) -> None:
        super().__init__()
        self._node = node_code

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            # UTC for collectors, its offset (+00:00) written: never read as local time
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "node": self._node,
        }
        case_id = getattr(record, "case_id", None)
        if case_id:
            entry["case_id"] = str(case_id)
        for field in ("thread", "stack"):  # a stack dump's (log_stacks): which thread, and where it is
            if hasattr(record, f"dumped_{field}"):
                entry[field] = str(getattr(record, f"dumped_{field}"))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class BufferedLogHandler(logging.StreamHandler[TextIO]):
    """Writes records through a buffer: WARNING and above at once (with what waited before them),
    lower levels within FLUSH_SECONDS, everything when the handler is flushed or closed (at exit)."""

    def __init__(self, stream: TextIO, flush_seconds: float = FLUSH_SECONDS) -> None:
        super().__init__(stream)
        self._flush_seconds = flush_seconds
        self._waiting = threading.Event()
        self._flusher: threading.Thread | None = None
        self._closed = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + self.terminator)
            if record.levelno >= logging.WARNING:
                self.stream.flush()
            else:
                self._flush_soon()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created in Handler.__init__
            self.flush()
            self._closed = True
        self._waiting.set()  # the flusher sees it is closed and ends
        super().close()

    def flush(self) -> None:
        if not self._closed:
            super().flush()

    def _flush_soon(self) -> None:
        if not self._waiting.is_set():  # once per interval, not once per line
            self._waiting.set()
        if self._flusher is None:  # started by the first record, so a handler never used has none
            self._flusher = threading.Thread(target=self._flush_when_due, name="log flush", daemon=True)
            self._flusher.start()

    def _flush_when_due(self) -> None:
        while True:
            self._waiting.wait()
            if self._closed:
                return
            time.sleep(self._flush_seconds)  # gather what comes meanwhile
            self._waiting.clear()
            self.flush()


def buffered_file(path: Path) -> TextIO:
    """A log file, opened for a BufferedLogHandler (which writes it out in one go per interval)."""
    return path.open("w", buffering=_BUFFER_BYTES, encoding="utf-8", errors="backslashreplace")


def stderr_buffered() -> TextIO:
    """Standard error with a buffer of its own (sys.stderr writes at every line's end)."""
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):  # replaced by something without a descriptor
        return sys.stderr
    # the handler owns it until the process ends
    return open(
        descriptor, "w", buffering=_BUFFER_BYTES, encoding="utf-8", errors="backslashreplace", closefd=False
    )


def configure(node_code: str, level: str, log_format: str) -> None:
    """Send the process's log records to stderr in the chosen format."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    handler = BufferedLogHandler(stderr_buffered())
    if log_format == "json":
        handler.setFormatter(JsonLogFormatter(node_code))
    else:
        handler.setFormatter(text_formatter(node_code))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # APScheduler logs every run of every job at INFO (a line every few seconds), alembic its
    # plugins and each migration step (node/store/engine.py says what changed in a line): only trouble
    for chatty in ("apscheduler", "alembic"):
        logging.getLogger(chatty).setLevel(max(root.level, logging.WARNING))


def show_stacks_on_request(log_format: str) -> None:
    """`kill -USR1 <pid>` makes a node that seems stuck show what each of its threads is doing. As
    text, faulthandler writes the stacks to standard error (from C: even while a thread holds the
    GIL); as JSON, a record a thread (log_stacks), so the stream stays one JSON object per line."""
    if not hasattr(signal, "SIGUSR1"):
        return
    if log_format == "json":
        signal.signal(signal.SIGUSR1, lambda *_: log_stacks())
    else:
        faulthandler.register(signal.SIGUSR1, all_threads=True)


def log_stacks() -> None:
    """Every thread's stack as a WARNING record of its own (written at once), the thread's name in
    `dumped_thread` and the stack in `dumped_stack`: the JSON form's fields thread and stack."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    logger = logging.getLogger(__name__)
    for ident, frame in sys._current_frames().items():
        name = names.get(ident, f"{ident:#x}")
        stack = "".join(traceback.format_stack(frame))
        logger.warning(
            "stack of thread %s (asked for by SIGUSR1)",
            name,
            extra={"dumped_thread": name, "dumped_stack": stack},
        )
