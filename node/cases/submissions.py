"""A form sent twice takes in one case, not two.

A village agent's double click, or a reload after a slow answer, sends the same application form
again. The front desk gives each form a random key; the case or bundle it took in is recorded under
that key in the same transaction (`record`), so a second sending either finds it (`find`) or, sent
at the same moment, fails on the key and is rolled back whole, and then finds it.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.orm import Session

from node.errors import InvalidInput
from node.store.models import FormSubmission

KEY_LENGTH = 32  # hex digits: 128 random bits


def new_key() -> str:
    return secrets.token_hex(KEY_LENGTH // 2)


def checked_key(key: str) -> str:
    """The key a form sent back, "" if it sent none (an older page, the gRPC API)."""
    key = key.strip()
    if key and (len(key) != KEY_LENGTH or not all(c in "0123456789abcdef" for c in key)):
        raise InvalidInput("申请表已失效，请重新打开申请页面 (malformed form key)")
    return key


def record(session: Session, key: str, now: datetime, case_id: str = "", bundle_id: str = "") -> None:
    """Note what the form with key took in; flushed at once, so a concurrent second sending fails
    here, on the key, and its transaction is rolled back."""
    if key:
        session.add(FormSubmission(key=key, case_id=case_id, bundle_id=bundle_id, made_at=now))
        session.flush()


def find(session: Session, key: str) -> FormSubmission | None:
    return session.get(FormSubmission, key) if key else None
