"""Signature algorithms (签名算法) wuji names in certificates, seals and messages.

Every seal and signed message names its algorithm, so a verifier never guesses. Ed25519 and ECDSA
P-256 come from `cryptography`; SM2 with SM3 (GB/T 32918, the algorithm of GB/T 38540 seals) from
GmSSL through signing/sm2.py, its keys held as `SM2PrivateKey`/`SM2PublicKey` (signing/sm2x509.py).
"""

from __future__ import annotations

from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from signing import sm2
from signing.memo import by_identity
from signing.sm2x509 import SM2PrivateKey, SM2PublicKey, sm2_public_key_of


class Algorithm(StrEnum):
    """A signature algorithm, by the name written into seals and envelopes."""

    ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
    ED25519 = "ed25519"
    SM2_SM3 = "sm2-sm3"  # 国密 SM2 with SM3 (GmSSL)


class AlgorithmUnavailable(Exception):
    """The algorithm is named but cannot be used here (no backend, or an unsupported curve)."""


PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | SM2PrivateKey
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | SM2PublicKey


def generate_key(algorithm: Algorithm) -> PrivateKey:
    """A fresh private key for `algorithm`."""
    match Algorithm(algorithm):
        case Algorithm.ECDSA_P256_SHA256:
            return ec.generate_private_key(ec.SECP256R1())
        case Algorithm.ED25519:
            return ed25519.Ed25519PrivateKey.generate()
        case Algorithm.SM2_SM3:
            usable, why = sm2.available()
            if not usable:
                raise AlgorithmUnavailable(f"SM2/SM3 is not available here: {why}")
            return SM2PrivateKey.generate()


ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())  # made once: verifying is done per document


def algorithm_of(key: PrivateKey | PublicKey) -> Algorithm:
    """The algorithm a key signs with; AlgorithmUnavailable for any other key (e.g. EC P-384, RSA)."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return Algorithm.ED25519
    if isinstance(key, SM2PrivateKey | SM2PublicKey):
        return Algorithm.SM2_SM3
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return Algorithm.ECDSA_P256_SHA256
        raise AlgorithmUnavailable(f"EC curve {key.curve.name} is not supported: wuji uses P-256 (secp256r1)")
    raise AlgorithmUnavailable(
        f"{type(key).__name__} keys are not supported: use ECDSA P-256, Ed25519 or SM2"
    )


@by_identity()
def public_key_of(certificate: x509.Certificate) -> PublicKey:
    """The certificate's key, an SM2 one included (which `cryptography` cannot load); read once
    per certificate object (a key is immutable)."""
    sm2_key = sm2_public_key_of(certificate)
    if sm2_key is not None:
        return sm2_key
    key = certificate.public_key()
    algorithm_of(key)  # type: ignore[arg-type]
    return key  # type: ignore[return-value]


def public_bytes(key: PublicKey) -> bytes:
    """A public key's SubjectPublicKeyInfo DER, to compare keys of any algorithm."""
    if isinstance(key, SM2PublicKey):
        return key.subject_public_key_info()
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(key: PrivateKey, data: bytes) -> bytes:
    """Sign `data`: a DER ECDSA signature over SHA-256, or a plain Ed25519 signature."""
    algorithm_of(key)  # refuses curves other than P-256
    if isinstance(key, SM2PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    return key.sign(data)


def verify(public_key: PublicKey, signature: bytes, data: bytes) -> bool:
    """True if `signature` is `public_key`'s over `data`; False (never an exception) for a bad one."""
    algorithm_of(public_key)  # refuses curves other than P-256
    if isinstance(public_key, SM2PublicKey):
        return public_key.verify(signature, data)
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ECDSA_SHA256)
        else:
            public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def certificate_hash(key: PrivateKey) -> hashes.SHA256 | None:
    """The hash to pass to an x509 builder's `.sign()`: SHA-256 for ECDSA, None for Ed25519."""
    return hashes.SHA256() if algorithm_of(key) is Algorithm.ECDSA_P256_SHA256 else None
