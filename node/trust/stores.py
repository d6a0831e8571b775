"""The trust store a node checks documents with: rebuilt only when what it is made of changes.

A node checks every sealed result, licence and revocation list that arrives against its roots,
the partner provinces' anchors and the CRLs it holds, as they stand in its database at that moment.
Reading and parsing them, and building a store, for every document cost far more than verifying
the document. Here one query reads the anchors' and CRLs' bytes; when they are the bytes the last
store was built from, that store is used again. Such a store is what a fresh one would become (it
only learns CA certificates on paths it validated itself), and it still looks revocation up on
every check (signing/trust.py). A CRL a document carried (checked against its issuer before it
counts) stays known to the store for later documents, as it would once stored here.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache

from cryptography import x509
from sqlalchemy import literal, select, union_all
from sqlalchemy.orm import Session

from node.store.models import RevocationList, TrustAnchor
from signing.trust import TrustStore

_Key = tuple[tuple[bytes, ...], tuple[bytes, ...]]  # (anchors' DER, CRLs' DER), in a stable order


class TrustStores:
    """Hands out the store for the database's current anchors and CRLs (one per process is enough)."""

    def __init__(self, roots: Sequence[x509.Certificate]) -> None:
        self._roots = list(roots)
        self._lock = threading.Lock()
        self._current: tuple[_Key, TrustStore] | None = None

    def store(self, session: Session) -> TrustStore:
        anchors: list[bytes] = []
        crls: list[bytes] = []
        query = union_all(
            select(literal("a").label("kind"), TrustAnchor.root_der.label("der")),
            select(literal("a").label("kind"), TrustAnchor.seal_root_der.label("der")).where(
                TrustAnchor.seal_root_der.is_not(None)
            ),
            select(literal("c").label("kind"), RevocationList.der.label("der")),
        )
        for kind, der in session.execute(query):
            (anchors if kind == "a" else crls).append(der)
        key = (tuple(sorted(anchors)), tuple(sorted(crls)))
        current = self._current
        if current is not None and current[0] == key:
            return current[1]
        store = TrustStore(
            [*self._roots, *(_certificate(der) for der in key[0])], [_crl(der) for der in key[1]]
        )
        with self._lock:
            self._current = (key, store)
        return store


@lru_cache(maxsize=256)
def _certificate(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)


@lru_cache(maxsize=512)
def _crl(der: bytes) -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl(der)
