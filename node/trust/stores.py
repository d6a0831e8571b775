"""The trust store a node checks documents with: rebuilt only when what it is made of changes.

A node checks every sealed result, licence and revocation list that arrives against its roots,
the partner provinces' anchors and the CRLs it holds, as they stand in its database at that moment.
Reading and parsing them, and building a store, for every document cost far more than verifying
the document. Here one query reads which anchors and CRLs there are (a partner's province and when
its root was installed, a CRL's issuer and number); when they are what the last store was built
from, that store is used again. Such a store is what a fresh one would become (it
only learns CA certificates on paths it validated itself), and it still looks revocation up on
every check (signing/trust.py). A CRL a document carried (checked against its issuer before it
counts) stays known to the store for later documents, as it would once stored here.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from cryptography import x509
from sqlalchemy import Connection, Row, String, bindparam, cast, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from node.store.models import RevocationList, TrustAnchor
from node.trust import partners
from signing.trust import TrustStore

# what a store is built from, without the bytes: (partner anchors as (province, installed at),
# CRLs as (issuer, CRL number)); a CRL is stored only with a higher number than the one it replaces
_Key = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, int], ...]]


_anchors, _crls = TrustAnchor.__table__, RevocationList.__table__
_WHAT_IS_STORED = union_all(
    select(literal("a").label("kind"), _anchors.c.province, cast(_anchors.c.installed_at, String)),
    select(literal("c").label("kind"), _crls.c.issuer, cast(_crls.c.number, String)),
)
_LIST_OF = select(_crls.c.der).where(_crls.c.issuer == bindparam("issuer"))


class TrustStores:
    """Hands out the store for the database's current anchors and CRLs (one per process is enough)."""

    def __init__(self, roots: Sequence[x509.Certificate]) -> None:
        self._roots = list(roots)
        self._lock = threading.Lock()
        self._current: tuple[_Key, TrustStore] | None = None
        self._statements: dict[tuple[str, str], SQLCompiler] = {}  # by dialect and name

    def store(self, session: Session) -> TrustStore:
        anchors: list[tuple[str, str]] = []
        crls: list[tuple[str, int]] = []
        for kind, name, version in self._what_is_stored(session.connection()):
            if kind == "a":
                anchors.append((name, version))
            else:
                crls.append((name, int(version)))
        key = (tuple(sorted(anchors)), tuple(sorted(crls)))
        current = self._current
        if current is not None and current[0] == key:
            return current[1]
        if current is not None and _only_newer_lists(current[0], key):
            # A handler sends a new list with every sealed result, so lists change far more often
            # than anchors: the store learns the new ones (each replaces its issuer's older list)
            # instead of being rebuilt, which reread every anchor and list (~0.8 ms a result).
            store = current[1]
            for issuer, number in key[1]:
                if (issuer, number) not in current[0][1]:
                    for (der,) in self._rows(session.connection(), "list of", _LIST_OF, issuer=issuer):
                        store.add_crl(_crl(der))
            with self._lock:
                self._current = (key, store)
            return store
        # read the bytes only when something else changed
        roots = [*self._roots, *partners.anchors(session)]  # with their SM2 seal roots
        lists = session.scalars(select(RevocationList.der).order_by(RevocationList.issuer))
        store = TrustStore(roots, [_crl(der) for der in lists])
        with self._lock:
            self._current = (key, store)
        return store

    def _what_is_stored(self, connection: Connection) -> list[tuple[str, str, str]]:
        """The rows of _WHAT_IS_STORED, in the session's transaction."""
        return [
            (str(kind), str(name), str(version))
            for kind, name, version in self._rows(connection, "what is stored", _WHAT_IS_STORED)
        ]

    def _rows(
        self, connection: Connection, name: str, statement: ClauseElement, **values: object
    ) -> list[Row]:
        """A statement's rows, run on the driver's cursor in the session's transaction. Asked on
        every check, so each statement is compiled once per dialect: through SQLAlchemy's statement
        handling a query cost 25–50 µs, seven to ten times the query itself."""
        dialect = connection.dialect
        compiled = self._statements.get((dialect.name, name))
        if compiled is None:
            compiled = typing.cast(SQLCompiler, statement.compile(dialect=dialect))  # a SELECT's
            self._statements[(dialect.name, name)] = compiled
        parameters = compiled.construct_params(values) or {}
        arguments: Sequence[Any] | Mapping[str, Any] = (
            tuple(parameters[key] for key in compiled.positiontup or ()) if dialect.positional else parameters
        )
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.string, arguments)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def _only_newer_lists(before: _Key, now: _Key) -> bool:
    """The same anchors, and lists that only replace older ones of their issuers or add issuers
    (a database restored from a backup may go back: that store is rebuilt)."""
    if before[0] != now[0]:
        return False
    numbers = dict(now[1])
    return all(numbers.get(issuer, -1) >= number for issuer, number in before[1])


@lru_cache(maxsize=512)
def _crl(der: bytes) -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl(der)
