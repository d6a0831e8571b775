"""Signature algorithms (签名算法) wuji names in certificates, seals and messages.

Every seal and signed message names its algorithm, so a verifier never guesses. Ed25519 and ECDSA
P-256 come from `cryptography`; SM2/SM3 (GB/T 38540) is a named seam that raises
`AlgorithmUnavailable` until a maintained SM2 backend is wired in here.
"""

from __future__ import annotations

from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519


class Algorithm(StrEnum):
    """A signature algorithm, by the name written into seals and envelopes."""

    ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
    ED25519 = "ed25519"
    SM2_SM3 = "sm2-sm3"  # 国密 SM2 with SM3: no backend yet


class AlgorithmUnavailable(Exception):
    """The algorithm is named but cannot be used here (no backend, or an unsupported curve)."""


PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

_SM2_MISSING = (
    "SM2/SM3 is not available: wuji has no SM2 backend yet (cryptography has SM3 but no SM2); "
    "use ecdsa-p256-sha256 or ed25519"
)


def generate_key(algorithm: Algorithm) -> PrivateKey:
    """A fresh private key for `algorithm`."""
    match Algorithm(algorithm):
        case Algorithm.ECDSA_P256_SHA256:
            return ec.generate_private_key(ec.SECP256R1())
        case Algorithm.ED25519:
            return ed25519.Ed25519PrivateKey.generate()
        case Algorithm.SM2_SM3:
            raise AlgorithmUnavailable(_SM2_MISSING)


def algorithm_of(key: PrivateKey | PublicKey) -> Algorithm:
    """The algorithm a key signs with; AlgorithmUnavailable for any other key (e.g. EC P-384, RSA)."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return Algorithm.ED25519
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return Algorithm.ECDSA_P256_SHA256
        raise AlgorithmUnavailable(f"EC curve {key.curve.name} is not supported: wuji uses P-256 (secp256r1)")
    raise AlgorithmUnavailable(f"{type(key).__name__} keys are not supported: use ECDSA P-256 or Ed25519")


def sign(key: PrivateKey, data: bytes) -> bytes:
    """Sign `data`: a DER ECDSA signature over SHA-256, or a plain Ed25519 signature."""
    algorithm_of(key)  # refuses curves other than P-256
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    return key.sign(data)


def verify(public_key: PublicKey, signature: bytes, data: bytes) -> bool:
    """True if `signature` is `public_key`'s over `data`; False (never an exception) for a bad one."""
    algorithm_of(public_key)  # refuses curves other than P-256
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def certificate_hash(key: PrivateKey) -> hashes.HashAlgorithm | None:
    """The hash to pass to an x509 builder's `.sign()`: SHA-256 for ECDSA, None for Ed25519."""
    return hashes.SHA256() if algorithm_of(key) is Algorithm.ECDSA_P256_SHA256 else None
