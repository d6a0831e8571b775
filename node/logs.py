"""How `wuji node run` logs: readable lines for a terminal, or one JSON object per line for collectors.

A log call that concerns a case names it with `extra={"case_id": ...}`; the JSON form then carries
it as a field, so a log collector can gather everything that happened to one case across nodes.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

LOG_FORMATS = ("text", "json")


def case(case_id: str | None) -> dict[str, str]:
    """The `extra=` of a log call about a case."""
    return {"case_id": case_id} if case_id else {}


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, node, and case_id if given."""

    def __init__(self, node_code: str) -> None:
        super().__init__()
        self._node = node_code

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "node": self._node,
        }
        case_id = getattr(record, "case_id", None)
        if case_id:
            entry["case_id"] = str(case_id)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(node_code: str, level: str, log_format: str) -> None:
    """Send the process's log records to stderr in the chosen format."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonLogFormatter(node_code))
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s {node_code} %(levelname)s %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # APScheduler logs every run of every job at INFO (a line every few seconds): only its trouble
    logging.getLogger("apscheduler").setLevel(max(root.level, logging.WARNING))
