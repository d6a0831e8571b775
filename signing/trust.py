"""Trust anchors (信任锚) and revocation lists (吊销列表): deciding whether a certificate chain holds.

`TrustStore.verify_chain` first lets `cryptography.x509.verification` build and check the path
(signatures, validity, CA constraints, key algorithms) from the leaf to one of the province roots
the store was given, then applies wuji's own rules to every link: codes descend from their
issuer's, a CA sits exactly one tier below its issuer, a village is never a CA, the leaf is
certified for the purpose asked, and nothing on the path was revoked. The same path is used for
every leaf: Ed25519 and SM2 seal keys are fine as leaves, since the library only looks at the keys
that verify a signature (issuers). A chain with SM2 signatures (an SM2 province's seal tree,
docs/architecture.md §8) the library cannot check: `_own_path` walks it (issuer name and signature,
keyCertSign, pathLen) and the same rules follow; SM2 CRLs are checked with the SM2 issuer key.

Revocation lists count only once their signature has been checked against the CA certificate that
issued them. `add_crl` checks a CRL at once when its issuer is known (a root, or a CA certificate
on a path this store has validated); otherwise the CRL waits, untrusted, until `verify_chain`
validates a path through its issuer. The lists a document brings (embedded, or revocation values)
are handed to `verify_chain` (`brought`): kept if a CA on the validated path signed them, dropped
otherwise, so a document handed in by anyone cannot park lists in a node's store. Per
issuer only the CRL with the highest CRL number is kept.
A CRL is not refused for being past its next update: the revocations it lists stay true, and
checking a document at its signing time needs exactly those.

Verdicts are cached, since a node verifies the same few chains again and again (every document
sealed by one seal carries the same chain, every connection of a child the same TLS chain). A
validated path is remembered with the span in which all its certificates are valid, so a later
check at any moment inside that span skips the library and the tier rules; outside it, the chain
is checked afresh. Such a verdict depends only on the roots, the chain and the purpose, so it is
shared by every store of the process holding the same roots (nodes build a store per check, with
the CRLs of the moment). Revocation is never cached across stores: each store looks it up on every
call, from its own list of the revocations its CRLs hold on the path, rebuilt whenever it has
accepted a CRL since; and the first time a store meets a cached path it learns the path's issuers,
adopting the pending CRLs they signed, exactly as after a check of its own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from signing.memo import by_identity
from signing.pki import CertificatePurpose, division_code_of, purpose_of, utc
from signing.sm2x509 import crl_signature_holds, is_sm2_signed, signature_holds, sm2_public_key_of
from wuji.divisions import DivisionCode, Tier

# The library's Web PKI defaults, except that an end-entity certificate needs no subjectAltName
# (seal certificates have none) and may carry any extended key usage (wuji checks the purpose).
# The division-code extension is non-critical, so both policies let it through untouched.
_CA_POLICY = ExtensionPolicy.webpki_defaults_ca()
_END_ENTITY_POLICY = (
    ExtensionPolicy.webpki_defaults_ee()
    .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
)

_IssuerKey = tuple[bytes, bytes]  # (subject DER, SubjectPublicKeyInfo DER) of a CA certificate
_ChainKey = tuple[object, ...]  # (roots, purpose, leaf, *intermediates): certificates compare by DER
_Revocation = tuple[x509.Certificate, x509.Certificate, datetime]  # (revoked, its issuer, date)
_CACHED_CHAINS = 1024  # a node sees a few dozen chains; the bound only stops a flood of new ones


@dataclass(frozen=True)
class _Verdict:
    """A path that passed every check except revocation, and the span in which that holds."""

    path: list[x509.Certificate]
    valid_from: datetime  # the latest notBefore on the path
    valid_to: datetime  # the earliest notAfter on the path


@dataclass
class _Seen:
    """What one store made of a verdict: its issuers are learned; its revocations as of a CRL state."""

    verdict: _Verdict  # kept, so the id this is filed under stays unique
    crl_generation: int = -1
    revocations: list[_Revocation] | None = None


_shared_lock = threading.Lock()
_shared: dict[_ChainKey, _Verdict] = {}  # every store's verdicts, by roots and chain content
# signature checks that depend on nothing but the bytes, shared by every store of the process:
# roots that signed themselves, and (CRL, issuer) fingerprints → whether the issuer signed the CRL
_self_signed_roots: set[bytes] = set()
_crl_verdicts: dict[tuple[bytes, bytes], bool] = {}


class ChainRejected(Exception):
    """A certificate chain is refused; `reason` names the certificate and the problem in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CertificateOutOfDate(ChainRejected):
    """A certificate on the chain was not valid at the moment asked: expired, or not yet valid."""


class CertificateRevoked(ChainRejected):
    """A certificate on the chain was revoked at or before the moment asked."""


class TrustStore:
    """The province roots this node trusts (nothing implicitly) and the CRLs it knows."""

    def __init__(
        self,
        roots: Iterable[x509.Certificate] = (),
        crls: Iterable[x509.CertificateRevocationList] = (),
    ) -> None:
        self._lock = threading.Lock()
        self._roots: list[x509.Certificate] = []
        self._store: Store | None = None
        self._issuers: dict[_IssuerKey, x509.Certificate] = {}  # CA certificates known to be genuine
        self._crls: dict[_IssuerKey, x509.CertificateRevocationList] = {}  # verified, newest per issuer
        self._pending: dict[bytes, x509.CertificateRevocationList] = {}  # issuer not seen yet, by DER
        # CRL objects already judged here (kept or older than the one kept), by identity: documents
        # embed the lists they were sealed with, the same parsed objects on every check
        self._judged_crls: dict[int, x509.CertificateRevocationList] = {}
        self._roots_key: tuple[bytes, ...] = ()  # the roots' DER, sorted: part of every verdict's key
        # The same chain objects are usually asked about again (SealedDocument parses each PEM
        # once), so they are found by identity before paying for hashing five certificates' DER;
        # each entry keeps the objects, so their ids cannot be reused while it exists.
        self._by_identity: dict[tuple[int, ...], tuple[tuple[x509.Certificate, ...], _Verdict]] = {}
        self._seen: dict[int, _Seen] = {}  # by id of the verdict
        self._crl_generation = 0  # counts accepted CRLs, so a revocation list can go stale
        for root in roots:
            self.add_root(root)
        for crl in crls:
            self.add_crl(crl)

    @property
    def roots(self) -> list[x509.Certificate]:
        return list(self._roots)

    @property
    def crls(self) -> list[x509.CertificateRevocationList]:
        """The CRLs whose signatures have been verified (newest per issuer); pending ones are not listed."""
        with self._lock:
            return list(self._crls.values())

    def crl_of(self, issuer: x509.Certificate) -> x509.CertificateRevocationList | None:
        """The verified CRL this store holds from `issuer` (a CA certificate), if any."""
        with self._lock:
            return self._crls.get(_issuer_key(issuer))

    def add_root(self, root: x509.Certificate) -> None:
        """Trust a province's self-signed root CA certificate; ChainRejected if it is not one."""
        try:
            if not _self_signed(root):
                raise ValueError("")
            purpose = purpose_of(root)
            code = DivisionCode.parse(division_code_of(root))
        except (ValueError, TypeError, InvalidSignature) as error:
            raise ChainRejected(
                f"{_describe(root)} is not a wuji root: {str(error) or 'it is not self-signed'}"
            ) from error
        if purpose is not CertificatePurpose.CA or code.tier is not Tier.PROVINCE:
            raise ChainRejected(f"{_describe(root)} is not a province's root CA certificate")
        with self._lock:
            if root in self._roots:
                return
            self._roots.append(root)
            self._roots_key = tuple(sorted(r.public_bytes(serialization.Encoding.DER) for r in self._roots))
            self._store = None
            self._by_identity.clear()
            self._seen.clear()
            self._learn_issuer(root)

    def add_crl(self, crl: x509.CertificateRevocationList) -> None:
        """Know a CRL: used once its signature verifies against its issuer's CA certificate."""
        with self._lock:
            if self._judged_crls.get(id(crl)) is crl:
                return
            for issuer in self._issuers.values():
                if crl_signed_by(crl, issuer):
                    self._accept_crl(issuer, crl)
                    if len(self._judged_crls) >= _CACHED_CHAINS:
                        self._judged_crls.clear()
                    self._judged_crls[id(crl)] = crl
                    return
            self._pending[crl.public_bytes(serialization.Encoding.DER)] = crl

    def verify_chain(
        self,
        leaf: x509.Certificate,
        intermediates: Sequence[x509.Certificate],
        purpose: CertificatePurpose,
        *,
        at: datetime | None = None,
        check_revocation: bool = True,
        revoked_before: datetime | None = None,
        brought: Iterable[x509.CertificateRevocationList] = (),
    ) -> list[x509.Certificate]:
        """The validated path leaf → root, or ChainRejected saying which certificate fails and why.

        `at` is the moment the chain must be valid at (now by default; a seal's signing time).
        A certificate counts as revoked if a known CRL of its issuer lists it with a revocation
        date at or before `revoked_before` (default `at`); an issuer with no known CRL is not an error.
        `brought`: the lists a document carries, which anyone may hand in (the 核验 page): those a CA
        on the validated path signed become known before revocation is looked up, the others are
        dropped (none waits here for its issuer to turn up, as `add_crl`'s may).
        """
        moment = utc(at or datetime.now(UTC))
        purpose = CertificatePurpose(purpose)
        chain = (leaf, *intermediates)
        verdict = self._cached(purpose, chain, moment)
        if verdict is None:
            verdict = self._validate(purpose, chain, moment)
        seen = self._meet(verdict)
        if brought:
            self._adopt_brought(verdict.path, brought)
        if check_revocation:
            self._check_revocation(seen, utc(revoked_before) if revoked_before else moment)
        return list(verdict.path)

    def _adopt_brought(
        self, path: Sequence[x509.Certificate], crls: Iterable[x509.CertificateRevocationList]
    ) -> None:
        """Know those of `crls` a CA of the validated `path` signed (its issuers are known: `_meet`)."""
        with self._lock:
            for crl in crls:
                if self._judged_crls.get(id(crl)) is crl:
                    continue
                issuer = next((ca for ca in path[1:] if crl_signed_by(crl, ca)), None)
                if issuer is None:
                    continue
                self._accept_crl(issuer, crl)
                if len(self._judged_crls) >= _CACHED_CHAINS:
                    self._judged_crls.clear()
                self._judged_crls[id(crl)] = crl

    def _cached(
        self, purpose: CertificatePurpose, chain: tuple[x509.Certificate, ...], moment: datetime
    ) -> _Verdict | None:
        """The remembered verdict on this chain, if `moment` lies strictly inside its span."""
        identity = (id(purpose), *map(id, chain))
        with self._lock:
            found = self._by_identity.get(identity)
            roots_key = self._roots_key
        if found is not None and all(a is b for a, b in zip(found[0], chain, strict=True)):
            verdict: _Verdict | None = found[1]
        else:
            with _shared_lock:
                verdict = _shared.get((roots_key, purpose, *chain))
            if verdict is not None:
                with self._lock:
                    self._remember(identity, chain, verdict)
        if verdict is None or not verdict.valid_from < moment < verdict.valid_to:
            return None
        return verdict

    def _remember(
        self, identity: tuple[int, ...], chain: tuple[x509.Certificate, ...], verdict: _Verdict
    ) -> None:
        """File a verdict under the chain objects' identity (caller holds the lock)."""
        if len(self._by_identity) >= _CACHED_CHAINS:
            self._by_identity.clear()
        self._by_identity[identity] = (chain, verdict)

    def _meet(self, verdict: _Verdict) -> _Seen:
        """This store's record of a verdict; the first time, learn the path's issuers (and so
        adopt the pending CRLs they signed), as a check of this store's own would have."""
        with self._lock:
            seen = self._seen.get(id(verdict))
            if seen is None or seen.verdict is not verdict:
                for issuer in verdict.path[1:]:
                    self._learn_issuer(issuer)
                if len(self._seen) >= _CACHED_CHAINS:
                    self._seen.clear()
                seen = self._seen[id(verdict)] = _Seen(verdict)
            return seen

    def _validate(
        self, purpose: CertificatePurpose, chain: tuple[x509.Certificate, ...], moment: datetime
    ) -> _Verdict:
        leaf, intermediates = chain[0], list(chain[1:])
        if any(is_sm2_signed(certificate) for certificate in chain):
            path = self._own_path(leaf, intermediates, moment)
        else:
            path = self._library_path(leaf, intermediates, moment)
        for certificate in path:  # the library checks this too; the root's validity is wuji's rule
            problem = _validity_problem(certificate, moment)
            if problem:
                raise CertificateOutOfDate(problem)
        _check_tiers(path)
        _check_purpose(leaf, purpose)
        verdict = _Verdict(
            path=path,
            valid_from=max(certificate.not_valid_before_utc for certificate in path),
            valid_to=min(certificate.not_valid_after_utc for certificate in path),
        )
        with self._lock:
            roots_key = self._roots_key
            self._remember((id(purpose), *map(id, chain)), chain, verdict)
        with _shared_lock:
            if len(_shared) >= _CACHED_CHAINS:
                _shared.clear()
            _shared[(roots_key, purpose, *chain)] = verdict
        return verdict

    # -- path building (the library) -----------------------------------------------------------

    def _library_path(
        self, leaf: x509.Certificate, intermediates: list[x509.Certificate], moment: datetime
    ) -> list[x509.Certificate]:
        with self._lock:
            if not self._roots:
                raise ChainRejected(
                    f"no trusted roots: this trust store is empty, so {_describe(leaf)} cannot chain"
                )
            if self._store is None:
                self._store = Store(self._roots)
            store = self._store
        leaf_is_ca = _is_ca(leaf)
        verifier = (
            PolicyBuilder()
            .store(store)
            .time(moment)
            .extension_policies(
                ca_policy=_CA_POLICY, ee_policy=_CA_POLICY if leaf_is_ca else _END_ENTITY_POLICY
            )
            .build_client_verifier()
        )
        try:
            return list(verifier.verify(leaf, intermediates).chain)
        except VerificationError as error:
            raise self._explain(leaf, intermediates, moment, error) from error

    def _own_path(
        self, leaf: x509.Certificate, intermediates: list[x509.Certificate], moment: datetime
    ) -> list[x509.Certificate]:
        """The path for a chain the library cannot check (SM2 signatures, GB/T 20518): walk up by
        issuer name and signature to a trusted root; every issuer must be a CA allowed to sign
        certificates, and no more CA certificates may follow below it than its pathLen allows (RFC
        5280 §4.2.1.9), as the library checks for P-256 chains. Validity, tiers, purpose and
        revocation are checked by the caller as for any chain."""
        with self._lock:
            roots = list(self._roots)
        if not roots:
            raise ChainRejected(
                f"no trusted roots: this trust store is empty, so {_describe(leaf)} cannot chain"
            )
        candidates = [*intermediates, *roots]
        path, current = [leaf], leaf
        for _ in range(len(candidates) + 1):  # bounded: a crafted chain may loop
            if current in roots:
                return path
            issuer = next((c for c in candidates if c not in path and signature_holds(current, c)), None)
            if issuer is None:
                raise self._explain(leaf, intermediates, moment, None)
            if not _is_ca(issuer) or not _may_sign_certificates(issuer):
                raise ChainRejected(f"{_describe(issuer)} is not a CA allowed to sign certificates")
            below = sum(1 for certificate in path[1:] if not _self_signed_name(certificate))
            limit = _path_length(issuer)
            if limit is not None and below > limit:
                raise ChainRejected(
                    f"{_describe(issuer)} allows {limit} CA certificate(s) below it (pathLen), "
                    f"but {below} follow"
                )
            path.append(issuer)
            current = issuer
        raise ChainRejected(f"{_describe(leaf)}: no path to a trusted root")

    def _explain(
        self,
        leaf: x509.Certificate,
        intermediates: list[x509.Certificate],
        moment: datetime,
        error: VerificationError | None,
    ) -> ChainRejected:
        """Walk up from the leaf by issuer name and signature to find the specific failure."""
        candidates = [*self._roots, *intermediates]
        current = leaf
        for _ in range(len(candidates) + 1):  # bounded: a crafted chain may loop
            problem = _validity_problem(current, moment)
            if problem:
                return CertificateOutOfDate(problem)
            if current in self._roots:
                break
            if _issued_by(current, current):
                return ChainRejected(
                    f"no trusted root for province {_province(current)}: the chain ends at the self-signed "
                    f"{_describe(current)}, which this trust store does not hold"
                )
            issuers = [c for c in candidates if _issued_by(current, c)]
            if issuers:
                current = issuers[0]
                continue
            namesakes = [c for c in candidates if c.subject == current.issuer]
            if namesakes:
                return ChainRejected(
                    f"{_describe(current)} does not verify with the key of {_describe(namesakes[0])}"
                )
            province = _province(current)
            if not any(_province(root) == province for root in self._roots):
                return ChainRejected(f"no trusted root for province {province}")
            return ChainRejected(
                f"incomplete chain: {_issuer_name(current)}, which issued {_describe(current)}, is missing"
            )
        return ChainRejected(f"{_describe(leaf)} failed path validation: {error or 'no issuer found'}")

    # -- revocation ------------------------------------------------------------------------------

    def _learn_issuer(self, issuer: x509.Certificate) -> None:
        """Record a genuine CA certificate and adopt the pending CRLs it signed (caller holds the lock)."""
        self._issuers.setdefault(_issuer_key(issuer), issuer)
        for der, crl in list(self._pending.items()):
            if crl_signed_by(crl, issuer):
                del self._pending[der]
                self._accept_crl(issuer, crl)

    def _accept_crl(self, issuer: x509.Certificate, crl: x509.CertificateRevocationList) -> None:
        key = _issuer_key(issuer)
        current = self._crls.get(key)
        if current is None or _crl_number(crl) > _crl_number(current):
            self._crls[key] = crl
            self._crl_generation += 1

    def _check_revocation(self, seen: _Seen, cutoff: datetime) -> None:
        with self._lock:
            if seen.crl_generation != self._crl_generation:
                seen.revocations = self._revocations_on(seen.verdict.path)
                seen.crl_generation = self._crl_generation
            revocations = seen.revocations or []
        for subject, issuer, revoked_on in revocations:
            if revoked_on <= cutoff:
                raise CertificateRevoked(
                    f"{_describe(subject, with_serial=True)} was revoked on "
                    f"{_when(revoked_on)} by {_describe(issuer)}"
                )

    def _revocations_on(self, path: list[x509.Certificate]) -> list[_Revocation]:
        """Every certificate on the path its issuer's known CRL lists, leaf first (caller holds the lock)."""
        found = []
        for subject, issuer in pairwise(path):
            crl = self._crls.get(_issuer_key(issuer))
            if crl is None:
                continue
            entry = crl.get_revoked_certificate_by_serial_number(subject.serial_number)
            if entry is not None:
                found.append((subject, issuer, entry.revocation_date_utc))
        return found


# -- wuji's rules on a validated path ------------------------------------------------------------


def _check_tiers(path: list[x509.Certificate]) -> None:
    """Codes descend from issuers, CAs sit one tier below their issuer, villages are never CAs."""
    codes: list[DivisionCode] = []
    for certificate in path:
        try:
            codes.append(DivisionCode.parse(division_code_of(certificate)))
        except ValueError as error:
            raise ChainRejected(
                f"{_describe(certificate)} carries no usable division code: {error}"
            ) from error
    root = codes[-1]
    if root.tier is not Tier.PROVINCE:
        raise ChainRejected(f"the root {_describe(path[-1])} is not a province's ({root.tier.label})")
    # From the root down, so the first bad link is the one reported.
    for index in range(len(path) - 2, -1, -1):
        subject, code, issuer = path[index], codes[index], codes[index + 1]
        if not code.is_in_subtree_of(issuer):
            raise ChainRejected(f"{code.value} is not within its issuer {issuer.value}'s subtree")
        if index > 0 or _is_ca(subject):
            issued = f" (it issued {codes[index - 1].value})" if index > 0 else ""
            if code.tier is Tier.VILLAGE:
                raise ChainRejected(
                    f"{_describe(subject)} is a CA certificate, but a village may never be a CA{issued}"
                )
            if code.parent != issuer:
                raise ChainRejected(
                    f"CA certificate {code.value} ({code.tier.label}) must be issued by its parent "
                    f"{code.parent.value if code.parent else '-'}, not by {issuer.value}"
                )
        elif not (code == issuer or (code.tier is Tier.VILLAGE and code.parent == issuer)):
            own = "its own CA or its township" if code.tier is Tier.VILLAGE else "its own CA"
            raise ChainRejected(
                f"end-entity certificate {code.value} was issued by {issuer.value}; only {own} may issue it"
            )


def _check_purpose(leaf: x509.Certificate, purpose: CertificatePurpose) -> None:
    try:
        actual = purpose_of(leaf)
    except ValueError as error:
        raise ChainRejected(f"{_describe(leaf)} has no usable purpose: {error}") from error
    if actual is not purpose:
        raise ChainRejected(f"{_describe(leaf)} is certified for {actual.value}, not for {purpose.value}")


# -- small helpers -------------------------------------------------------------------------------


def _describe(certificate: x509.Certificate, *, with_serial: bool = False) -> str:
    """'certificate 430981006001 (村)', or the subject when there is no division code."""
    serial = f"serial 0x{certificate.serial_number:x}"
    try:
        code = DivisionCode.parse(division_code_of(certificate))
    except ValueError:
        name = certificate.subject.rfc4514_string()
        return f"certificate {name} ({serial})" if with_serial else f"certificate {name}"
    details = f"{code.tier.label}, {serial}" if with_serial else code.tier.label
    return f"certificate {code.value} ({details})"


def _province(certificate: x509.Certificate) -> str:
    try:
        return DivisionCode.parse(division_code_of(certificate)).province.value
    except ValueError:
        return "?"


def _issuer_name(certificate: x509.Certificate) -> str:
    """The issuer's division code from the issuer name, else the whole name."""
    codes = certificate.issuer.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return f"CA {codes[0].value!s}" if codes else certificate.issuer.rfc4514_string()


def _validity_problem(certificate: x509.Certificate, moment: datetime) -> str:
    if moment > certificate.not_valid_after_utc:
        return f"{_describe(certificate)} expired on {_when(certificate.not_valid_after_utc)}"
    if moment < certificate.not_valid_before_utc:
        return f"{_describe(certificate)} is not valid before {_when(certificate.not_valid_before_utc)}"
    return ""


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    return signature_holds(certificate, issuer)


def _may_sign_certificates(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    except x509.ExtensionNotFound:
        return False


def _path_length(certificate: x509.Certificate) -> int | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length
    except x509.ExtensionNotFound:
        return None


def _self_signed_name(certificate: x509.Certificate) -> bool:
    return certificate.issuer == certificate.subject


def crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """Whether the CA certificate `issuer` issued and signed `crl`; the answer is remembered per
    process (a node meets the same list at its intake, in its stores and embedded in documents)."""
    if _crl_issuer_name(crl) != _subject_name(issuer):
        return False
    key = (crl.fingerprint(hashes.SHA256()), issuer.fingerprint(hashes.SHA256()))
    with _shared_lock:
        known = _crl_verdicts.get(key)
    if known is not None:
        return known
    try:
        valid = crl_signature_holds(crl, issuer)  # SM2-with-SM3 or ECDSA P-256
    except (TypeError, ValueError, UnsupportedAlgorithm):  # a key type that cannot have signed it
        valid = False
    with _shared_lock:
        if len(_crl_verdicts) >= _CACHED_CHAINS:
            _crl_verdicts.clear()
        _crl_verdicts[key] = valid
    return valid


@by_identity()
def _crl_issuer_name(crl: x509.CertificateRevocationList) -> bytes:
    return crl.issuer.public_bytes()  # cryptography builds a new Name on every access


@by_identity()
def _subject_name(certificate: x509.Certificate) -> bytes:
    return certificate.subject.public_bytes()


def _self_signed(root: x509.Certificate) -> bool:
    """Whether root signed itself; a yes is remembered per process, since every store a node builds
    (one per document checked) starts from the same roots."""
    fingerprint = root.fingerprint(hashes.SHA256())
    with _shared_lock:
        if fingerprint in _self_signed_roots:
            return True
    if not signature_holds(root, root):
        return False
    with _shared_lock:
        _self_signed_roots.add(fingerprint)
    return True


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


@by_identity()
@functools.lru_cache(maxsize=4096)
def _issuer_key(certificate: x509.Certificate) -> _IssuerKey:
    sm2_key = sm2_public_key_of(certificate)
    if sm2_key is not None:
        return certificate.subject.public_bytes(), sm2_key.subject_public_key_info()
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return certificate.subject.public_bytes(), spki


def _crl_number(crl: x509.CertificateRevocationList) -> int:
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        return -1


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
