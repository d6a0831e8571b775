"""Who is calling: the division code of an mTLS peer, checked against wuji's own chain rules.

gRPC's TLS layer has already checked the peer's chain up to one of our roots. Here the peer's
certificate is checked again with the tier rules (codes descend from their issuers, villages are
never CAs) and the revocation lists known to this node, and its code is returned.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import cast

import grpc
from cryptography import x509

from signing.pki import CertificatePurpose, division_code_of
from signing.trust import ChainRejected, TrustStore
from wuji.divisions import DivisionCode

# how a refused certificate's refusal begins (the caller reads it as its call's details)
PEER_REFUSED = "peer certificate refused: "


class Unauthenticated(Exception):
    """The caller presented no acceptable certificate; the message says why."""


class PeerAuthenticator:
    def __init__(self, trust: Callable[[], TrustStore]) -> None:
        self._trust = trust
        self._cache: dict[bytes, DivisionCode] = {}
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Forget verdicts (a new CRL arrived)."""
        with self._lock:
            self._cache.clear()

    def peer_code(self, context: grpc.ServicerContext) -> DivisionCode:
        # types-grpcio declares one bytes value per property; gRPC gives a list of bytes values
        auth = cast(Mapping[str, Sequence[bytes]], context.auth_context())
        leaf_pem = b"".join(auth.get("x509_pem_cert", []))
        if not leaf_pem:
            raise Unauthenticated("a client certificate is required (mTLS); enroll this node first")
        chain_pem = b"".join(auth.get("x509_pem_cert_chain", []))
        with self._lock:
            known = self._cache.get(leaf_pem + chain_pem)
        if known is not None:
            return known
        leaf = x509.load_pem_x509_certificate(leaf_pem)
        sent = x509.load_pem_x509_certificates(chain_pem) if chain_pem else []
        intermediates = [c for c in sent if c != leaf]
        try:
            self._trust().verify_chain(leaf, intermediates, CertificatePurpose.TLS)
        except ChainRejected as rejected:
            raise Unauthenticated(f"{PEER_REFUSED}{rejected.reason}") from rejected
        code = DivisionCode.parse(division_code_of(leaf))
        with self._lock:
            self._cache[leaf_pem + chain_pem] = code
        return code


def require_peer(authenticator: PeerAuthenticator, context: grpc.ServicerContext) -> DivisionCode:
    """The authenticated peer's code, or abort the call with UNAUTHENTICATED."""
    try:
        return authenticator.peer_code(context)
    except Unauthenticated as error:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, str(error))
