"""The files of a refused application, kept for the person who sent it until they send it again.

A browser never fills in a file field, so a form that comes back under its refusal (a mistyped
identity number, a missing 户籍地) would need every scan chosen again — at a village point often
four or five, from a phone's photos. The desk keeps the files it read, in memory and for that
person only: the form names each one, and sending it again without choosing another takes the
kept file. One form per person (a person fills in one at a time; a newer refusal replaces it),
for HOLD_SECONDS, and at most MAX_HELD_BYTES across the node, the oldest given up first. A restart
forgets them: the form then asks for the files again, as it does for a file too large to keep.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

HOLD_SECONDS = 2 * 3600  # a citizen fetching a missing paper comes back within the morning
MAX_HELD_BYTES = 256 * 1024 * 1024  # four largest forms; a county hall's clerks each hold a few MB


@dataclass(frozen=True)
class ChosenFile:
    """A file as the form sent it."""

    file_name: str  # as the browser named it (a folder path from some clients is cut when stored)
    media_type: str
    content: bytes

    @property
    def shown_name(self) -> str:
        return self.file_name.replace("\\", "/").split("/")[-1]


@dataclass(frozen=True)
class _Held:
    token: str
    item_code: str
    files: Mapping[str, ChosenFile]  # by the form's field name (file_0 …, promise_signature)
    until: float
    size: int


class HeldFiles:
    """Each person's files of their last refused application (thread-safe: pages run in a pool)."""

    def __init__(
        self,
        hold_seconds: float = HOLD_SECONDS,
        max_bytes: int = MAX_HELD_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hold_seconds, self._max_bytes, self._clock = hold_seconds, max_bytes, clock
        self._lock = threading.Lock()
        self._by_person: dict[str, _Held] = {}  # in the order held: the oldest first

    def hold(self, username: str, item_code: str, files: Mapping[str, ChosenFile]) -> str:
        """Keep `files` for the form `username` sends again; the token the form carries for them,
        or "" when nothing is kept (no files, or more than the node keeps at all)."""
        size = sum(len(f.content) for f in files.values())
        with self._lock:
            self._by_person.pop(username, None)
            self._drop_expired()
            if not files or size > self._max_bytes:
                return ""
            while self._by_person and self._size() + size > self._max_bytes:
                del self._by_person[next(iter(self._by_person))]
            token = secrets.token_urlsafe(16)
            until = self._clock() + self._hold_seconds
            self._by_person[username] = _Held(token, item_code, dict(files), until, size)
            return token

    def kept(self, username: str, token: str, item_code: str) -> Mapping[str, ChosenFile]:
        """The files kept for this person's form of `item_code` under `token` ({} when none: another
        person's token, another item's form, or kept too long ago)."""
        with self._lock:
            held = self._by_person.get(username)
            if (
                held is None
                or not token
                or not secrets.compare_digest(held.token, token)
                or held.item_code != item_code
                or held.until < self._clock()
            ):
                return {}
            return held.files

    def release(self, username: str) -> None:
        """The form was taken in (or the person left): its files are the case's now, or nobody's."""
        with self._lock:
            self._by_person.pop(username, None)

    def _drop_expired(self) -> None:
        now = self._clock()
        for username in [u for u, held in self._by_person.items() if held.until < now]:
            del self._by_person[username]

    def _size(self) -> int:
        return sum(held.size for held in self._by_person.values())
