"""UTC instants: SQLite hands back naive datetimes, PostgreSQL aware ones; wuji always means UTC."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp

CLOCK_OFFSET_ENV = "WUJI_CLOCK_OFFSET_SECONDS"
# Shifts this node's notion of now: the fault harness uses it to advance a node's clock.
_offset = timedelta(seconds=float(os.environ.get(CLOCK_OFFSET_ENV, "0") or 0))


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(as_utc(moment))
    return stamp


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_timestamp(stamp: Timestamp) -> datetime:
    """The same instant as `stamp.ToDatetime(tzinfo=UTC)`, at a fifth of its cost (every envelope
    carries one)."""
    return _EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)


CHINA_ZONE = ZoneInfo("Asia/Shanghai")  # what people see; storage and the wire stay UTC


def shanghai(moment: datetime, seconds: bool = False) -> str:
    """An instant as people in China read it: Asia/Shanghai wall time, e.g. 2026-12-01 09:30."""
    local = as_utc(moment).astimezone(CHINA_ZONE)
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def drift_words(ahead: timedelta) -> str:
    """How far one clock is from another, as people say it: 快 15 分钟, 慢 2 天 3 小时."""
    days, rest = divmod(round(abs(ahead).total_seconds() / 60), 24 * 60)  # to the nearest minute
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} 天" * bool(days), f"{hours} 小时" * bool(hours), f"{minutes} 分钟" * bool(minutes)]
    return f"{'快' if ahead > timedelta(0) else '慢'} {' '.join(p for p in parts if p) or '不到 1 分钟'}"


# The two ways the signing layer words an instant (it knows no time zone): ISO with its offset
# (2026-12-06T11:30:00+00:00) and minutes with the zone's name (2026-12-06 11:30 UTC).
_UTC_INSTANT = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(?:\+00:00| UTC)")


def in_beijing_time(text: str, *, marked: bool = True) -> str:
    """A verification's words with the UTC instants the signing layer wrote in them given as people
    in China read them: `expired on 2026-12-06 11:30 UTC` → `expired on 2026-12-06 19:30（北京时间）`
    (without the mark where the zone is said once for several lines)."""

    def local(found: re.Match[str]) -> str:
        day, minutes, seconds = found.groups()
        moment = datetime.fromisoformat(f"{day}T{minutes}{seconds or ''}+00:00")
        wall = shanghai(moment, seconds=seconds is not None)
        return f"{wall}（北京时间）" if marked else wall

    return _UTC_INSTANT.sub(local, text)
