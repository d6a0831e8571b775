"""Origin authentication: the origin signs each envelope once, relays pass it on, the destination verifies.

A link authenticates only its peer (mTLS); an envelope's `origin` names a node further away. So the
origin signs the envelope's lasting part (everything but the hop fields `seq`, `sender` and `route`)
with its node key and attaches its certificate chain; relays forward the bytes untouched and check
only topology (`topology_problem`); the destination checks signature, chain (tier rules, CRLs) and
that the certificate's division code is the claimed origin (`OriginVerifier`) before applying
anything. Who may act on a case then follows from a verified origin (docs/architecture.md §8).

Flooded messages (a licence revocation goes to every node) keep their origin's signature while each
hop re-addresses them to its neighbours, so for those the destination is not part of what is signed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from signing import algorithms
from signing.algorithms import PrivateKey, PublicKey
from signing.pki import CertificatePurpose, division_code_of
from signing.trust import ChainRejected, TrustStore
from wuji.divisions import DivisionCode, InvalidDivisionCode
from wuji.v1 import link_pb2

# bodies that every hop re-addresses to its neighbours under the origin's signature
FLOODED = frozenset({"licence_revoked", "peer_link_state"})

_CACHED_CHAINS = 4096
_AHEAD_FROM = 8  # envelopes in a batch worth handing to the verifying threads
_RECHECK_SECONDS = 300.0  # a remembered chain is checked again after this (trust may have changed)


# how the reason begins when the origin's chain was refused (revoked, out of date): such an envelope
# is kept in quarantine until its origin, enrolled again, sends it signed anew (inbox.settle_signed_again)
CERTIFICATE_REFUSED = "the origin's certificate is refused: "


class OriginRefused(Exception):
    """The envelope's origin is not proven; the message says why (it goes into the quarantine)."""


def signed_bytes(envelope: link_pb2.Envelope) -> bytes:
    """What the origin signs: the envelope without its hop fields and without the signature itself."""
    lasting = link_pb2.Envelope()
    lasting.CopyFrom(envelope)
    lasting.ClearField("seq")
    lasting.ClearField("sender")
    lasting.ClearField("route")
    lasting.ClearField("origin_signature")
    lasting.ClearField("origin_chain")
    if envelope.WhichOneof("body") in FLOODED:
        lasting.ClearField("destination")
    return lasting.SerializeToString(deterministic=True)


class OriginSigner:
    """Signs what this node originates with its node (TLS) key, attaching its certificate chain."""

    def __init__(
        self, key: PrivateKey, certificate: x509.Certificate, intermediates: Sequence[x509.Certificate]
    ) -> None:
        self.code = division_code_of(certificate)
        self._key = key
        self._chain = [c.public_bytes(serialization.Encoding.DER) for c in (certificate, *intermediates)]

    def signed_it(self, envelope: link_pb2.Envelope) -> bool:
        """True if the envelope carries this signer's certificate (its signature is not checked)."""
        return bool(envelope.origin_chain) and envelope.origin_chain[0] == self._chain[0]

    def sign(self, envelope: link_pb2.Envelope) -> link_pb2.Envelope:
        if envelope.origin != self.code:
            raise ValueError(f"node {self.code} cannot sign an envelope whose origin is {envelope.origin}")
        envelope.origin_signature = algorithms.sign(self._key, signed_bytes(envelope))
        del envelope.origin_chain[:]
        envelope.origin_chain.extend(self._chain)
        return envelope


@dataclass(frozen=True)
class _Verified:
    code: str
    public_key: PublicKey
    valid_to: datetime  # the chain's validity, capped at the next recheck
    generation: int


class OriginVerifier:
    """Checks origin signatures; a chain is validated once and remembered by its bytes,
    so the usual cost of an envelope is one signature verification. `invalidate` when trust changes
    (a new CRL, a partner anchor added or removed)."""

    def __init__(self, on_validated: Callable[[x509.Certificate], None] | None = None) -> None:
        self._on_validated = on_validated  # told each origin certificate whose chain was validated
        self._lock = threading.Lock()
        # keyed by the certificates' bytes themselves: a digest of them (hashlib lets go of the GIL
        # for more than 2 KB) made the link's thread wait for the GIL back on every envelope
        self._chains: dict[tuple[bytes, ...], _Verified] = {}
        self._generation = 0
        self._ahead = threading.local()  # verdicts of the batch this thread is applying

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._chains.clear()

    def verify_ahead(self, envelopes: Sequence[link_pb2.Envelope], trust: Callable[[], TrustStore]) -> None:
        """Check the signatures of a batch's envelopes at once on worker threads (the library
        releases the GIL while it verifies), so that `verify` in this thread finds each verdict
        ready, with the signer its chain names. The rest is still checked there, envelope by envelope.

        Returns when every verdict is in. Left to finish while this thread applies the batch, the
        workers waited for the GIL after each signature (this thread gives it up only every few
        milliseconds), and applying waited for them: a tenth of a hop's throughput, measured."""
        ahead: dict[int, tuple[link_pb2.Envelope, _Verified, Future[bool]]] = {}
        self._ahead.verdicts = ahead
        if len(envelopes) < _AHEAD_FROM:
            return
        for envelope in envelopes:
            if not envelope.origin_signature or not envelope.origin_chain:
                continue
            try:
                signer = self._signer(envelope.origin_chain, trust)
            except OriginRefused:
                continue  # verify says why, in its turn
            verdict = _verifying().submit(_signature_holds, signer.public_key, envelope)
            ahead[id(envelope)] = (envelope, signer, verdict)
        wait([verdict for _, _, verdict in ahead.values()])

    def verify(self, envelope: link_pb2.Envelope, trust: Callable[[], TrustStore]) -> None:
        """OriginRefused unless `envelope` is signed by the node its `origin` names."""
        origin = envelope.origin
        if not envelope.origin_signature or not envelope.origin_chain:
            raise OriginRefused(
                f"envelope {envelope.message_id} is not signed by its origin {origin or '(empty)'}"
            )
        ahead = getattr(self._ahead, "verdicts", {}).pop(id(envelope), None)
        if ahead is not None and ahead[0] is envelope:
            _, signer, verdict = ahead  # its chain was looked up (and checked) for the verdict
        else:
            signer, verdict = self._signer(envelope.origin_chain, trust), None
        if signer.code != origin:
            raise OriginRefused(
                f"envelope {envelope.message_id} claims origin {origin or '(empty)'} "
                f"but is signed by {signer.code}"
            )
        holds = verdict.result() if verdict is not None else _signature_holds(signer.public_key, envelope)
        if not holds:
            raise OriginRefused(
                f"envelope {envelope.message_id}: the signature of its origin {origin} does not verify "
                "(altered on the way, or forged)"
            )

    def _signer(self, chain: Sequence[bytes], trust: Callable[[], TrustStore]) -> _Verified:
        key = tuple(chain)
        now = datetime.now(UTC)
        with self._lock:
            known = self._chains.get(key)
            generation = self._generation
        if known is not None and known.generation == generation and now < known.valid_to:
            return known
        try:
            certificates = [x509.load_der_x509_certificate(der) for der in chain]
        except ValueError as error:
            raise OriginRefused(f"the origin's certificate chain is malformed: {error}") from error
        try:
            path = trust().verify_chain(certificates[0], certificates[1:], CertificatePurpose.TLS)
        except ChainRejected as rejected:
            raise OriginRefused(f"{CERTIFICATE_REFUSED}{rejected.reason}") from rejected
        verified = _Verified(
            code=division_code_of(certificates[0]),
            public_key=certificates[0].public_key(),  # type: ignore[arg-type]
            valid_to=min([now + timedelta(seconds=_RECHECK_SECONDS), *(c.not_valid_after_utc for c in path)]),
            generation=generation,
        )
        with self._lock:
            if len(self._chains) >= _CACHED_CHAINS:
                self._chains.clear()
            if verified.generation == self._generation:
                self._chains[key] = verified
        if self._on_validated is not None:
            self._on_validated(certificates[0])
        return verified


def _signature_holds(public_key: PublicKey, envelope: link_pb2.Envelope) -> bool:
    return algorithms.verify(public_key, envelope.origin_signature, signed_bytes(envelope))


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _verifying() -> ThreadPoolExecutor:
    """The process's verifying threads, one per core, made when first needed."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="origin-verify")
        return _pool


def topology_problem(here: str, peer: str, role: str, origin: str) -> str | None:
    """Why a neighbour in `role` cannot be passing on a message from `origin`, or None if it can.

    From a child only origins in that child's subtree, from the parent only origins outside this
    node's subtree, from a partner province only that province's nodes.
    """
    try:
        source = DivisionCode.parse(origin)
    except InvalidDivisionCode as error:
        return f"bad origin: {error}"
    own, neighbour = DivisionCode.parse(here), DivisionCode.parse(peer)
    if role == "child" and not source.is_in_subtree_of(neighbour):
        return f"child {peer} passed on a message from {origin}, which is not in its subtree"
    if role == "parent" and source.is_in_subtree_of(own):
        return f"parent {peer} passed on a message from {origin}, which is in this node's own subtree"
    if role == "peer" and source.province != neighbour.province:
        return f"partner province {peer} relayed a message from {origin}, which is not in that province"
    return None
