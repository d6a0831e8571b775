"""The files of a refused application, kept for the person who sent it until they send it again.

A browser never fills in a file field, so a form that comes back under its refusal (a mistyped
identity number, a missing 户籍地) would need every scan chosen again — at a village point often
four or five, from a phone's photos. The desk keeps the files it read, in memory and for that
person only: the form names each one, and sending it again without choosing another takes the
kept file. Each refused form is kept apart (an agent may have a second form open in another tab,
for the next citizen), at most FORMS_PER_PERSON of a person's, for HOLD_SECONDS, and at most
MAX_HELD_BYTES across the node, the oldest given up first. A restart forgets them: the form then
asks for the files again, as it does for a file too large to keep.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

HOLD_SECONDS = 2 * 3600  # a citizen fetching a missing paper comes back within the morning
MAX_HELD_BYTES = 256 * 1024 * 1024  # four largest forms; a county hall's clerks each hold a few MB
FORMS_PER_PERSON = 4  # forms open in tabs at once, each refused and not yet sent again


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
    username: str
    item_code: str
    files: Mapping[str, ChosenFile]  # by the form's field name (file_0 …, promise_signature)
    until: float
    size: int


class HeldFiles:
    """The files of refused application forms, by the token each form carries (thread-safe: pages
    run in a pool)."""

    def __init__(
        self,
        hold_seconds: float = HOLD_SECONDS,
        max_bytes: int = MAX_HELD_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hold_seconds, self._max_bytes, self._clock = hold_seconds, max_bytes, clock
        self._lock = threading.Lock()
        self._by_token: dict[str, _Held] = {}  # in the order held: the oldest first

    def hold(
        self, username: str, item_code: str, files: Mapping[str, ChosenFile], replacing: str = ""
    ) -> str:
        """Keep `files` for the form `username` sends again (in place of what its token `replacing`
        kept); the token the form carries for them, or "" when nothing is kept (no files, or more
        than the node keeps at all)."""
        size = sum(len(f.content) for f in files.values())
        with self._lock:
            self._forget(username, replacing)
            self._drop_expired()
            if not files or size > self._max_bytes:
                return ""
            mine = [token for token, held in self._by_token.items() if held.username == username]
            for token in mine[: max(len(mine) - FORMS_PER_PERSON + 1, 0)]:
                del self._by_token[token]
            while self._by_token and self._size() + size > self._max_bytes:
                del self._by_token[next(iter(self._by_token))]
            token = secrets.token_urlsafe(16)
            until = self._clock() + self._hold_seconds
            self._by_token[token] = _Held(username, item_code, dict(files), until, size)
            return token

    def kept(self, username: str, token: str, item_code: str) -> Mapping[str, ChosenFile]:
        """The files kept for this person's form of `item_code` under `token` ({} when none: another
        person's token, another item's form, or kept too long ago)."""
        with self._lock:
            held = self._by_token.get(token)
            if held is None or held.username != username or held.item_code != item_code:
                return {}
            return held.files if held.until >= self._clock() else {}

    def release(self, username: str, token: str) -> None:
        """The form was taken in: its files are the case's now."""
        with self._lock:
            self._forget(username, token)

    def release_all(self, username: str) -> None:
        """The person logged out: the files of their forms are nobody's."""
        with self._lock:
            for token in [t for t, held in self._by_token.items() if held.username == username]:
                del self._by_token[token]

    def _forget(self, username: str, token: str) -> None:
        held = self._by_token.get(token)
        if held is not None and held.username == username:
            del self._by_token[token]

    def _drop_expired(self) -> None:
        now = self._clock()
        for token in [t for t, held in self._by_token.items() if held.until < now]:
            del self._by_token[token]

    def _size(self) -> int:
        return sum(held.size for held in self._by_token.values())
