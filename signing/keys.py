"""Private keys (私钥) on disk: always encrypted with the node passphrase, files mode 0600.

Keys are encrypted PKCS#8 PEM (PBES2: PBKDF2-HMAC-SHA256 at `KDF_ROUNDS` rounds, AES-256-CBC), so a
stolen disk does not give the keys away to a fast guesser. `cryptography` writes PKCS#8 only with
`BestAvailableEncryption` (2,048 rounds, too few), so the structure is encoded here with asn1crypto;
any PKCS#8 reader (OpenSSL, `cryptography`) loads it. A key written with fewer rounds still loads
and is re-encrypted in place when it is read. SM2 keys, which `cryptography` cannot serialise, are
PKCS#8 too (an ECPrivateKey on sm2p256v1), sealed with AES-256-GCM under a key derived from the
passphrase by scrypt, in a PEM block of their own. Every write is atomic (a temporary file in the same folder,
then `os.replace`), and key files are created 0600 from the start, never chmod-ed afterwards, so
there is no moment when a key is readable by others.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from asn1crypto import algos, core, pem
from asn1crypto import keys as asn1_keys
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from signing.algorithms import AlgorithmUnavailable, PrivateKey, algorithm_of
from signing.sm2x509 import SM2_CURVE_OID, SM2PrivateKey

PASSPHRASE_ENV = "WUJI_KEY_PASSPHRASE"
PASSPHRASE_FILE_ENV = "WUJI_KEY_PASSPHRASE_FILE"

# PBKDF2-HMAC-SHA256 rounds for new key files (OWASP's figure for a stolen disk). Tests lower this
# module constant for the nodes they run in-process, so the suite does not spend its time here.
KDF_ROUNDS = 600_000

log = logging.getLogger(__name__)

_KEY_MODE = 0o600
_PEM_MODE = 0o644
_FOLDER_MODE = 0o700
_SM2_PEM = "WUJI ENCRYPTED SM2 PRIVATE KEY"
_SCRYPT = {"length": 32, "n": 2**15, "r": 8, "p": 1}


class KeyFileError(Exception):
    """A key file cannot be used; the message names the file and what to do about it."""


def passphrase_from_environment(environ: Mapping[str, str] | None = None) -> bytes:
    """The key passphrase from $WUJI_KEY_PASSPHRASE, else from the file $WUJI_KEY_PASSPHRASE_FILE names."""
    env = os.environ if environ is None else environ
    if env.get(PASSPHRASE_ENV):
        return env[PASSPHRASE_ENV].encode("utf-8")
    file_name = env.get(PASSPHRASE_FILE_ENV)
    if not file_name:
        raise KeyFileError(
            f"没有密钥口令：请把口令放在环境变量 {PASSPHRASE_ENV} 中，或把存有口令的文件路径放在 "
            f"{PASSPHRASE_FILE_ENV} 中 (no key passphrase: set {PASSPHRASE_ENV} to the passphrase, "
            f"or {PASSPHRASE_FILE_ENV} to a file holding it)"
        )
    path = Path(file_name)
    try:
        passphrase = path.read_bytes().rstrip(b"\r\n")
    except OSError as error:
        raise KeyFileError(
            f"读不了 {PASSPHRASE_FILE_ENV} 指向的口令文件 {path}（{error.strerror}）"
            f"(cannot read the passphrase file {path} named by {PASSPHRASE_FILE_ENV})"
        ) from error
    if not passphrase:
        raise KeyFileError(
            f"{PASSPHRASE_FILE_ENV} 指向的口令文件 {path} 是空的 (the passphrase file {path} is empty)"
        )
    return passphrase


def _wrong_passphrase(path: Path) -> str:
    return (
        f"密钥口令不对：打不开密钥文件 {path}。请确认 {PASSPHRASE_ENV}（或 {PASSPHRASE_FILE_ENV} 指向的文件）"
        f"是这个节点入网时用的口令 (wrong passphrase for key file {path}: check {PASSPHRASE_ENV} or "
        f"{PASSPHRASE_FILE_ENV})"
    )


def save_private_key(key: PrivateKey, path: Path, passphrase: bytes) -> None:
    """Write `key` encrypted under `passphrase` to `path` (mode 0600; parent folder created 0700)."""
    if not passphrase:
        raise KeyFileError(f"refusing to write {path} unencrypted: the key passphrase is empty")
    if isinstance(key, SM2PrivateKey):
        _write_atomically(Path(path), _seal_sm2(key, passphrase), _KEY_MODE)
        return
    _write_atomically(Path(path), _encrypted_pem(key, passphrase, KDF_ROUNDS), _KEY_MODE)


def derived_secret(key: PrivateKey, purpose: str) -> bytes:
    """32 bytes for `purpose`, derived from `key` (HKDF-SHA256): the same each time the key is loaded,
    and telling nothing of the key or of the secret for any other purpose."""
    if isinstance(key, SM2PrivateKey):
        material = key.scalar
    else:
        material = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    return HKDF(hashes.SHA256(), 32, salt=None, info=purpose.encode()).derive(material)


def load_private_key(path: Path, passphrase: bytes) -> PrivateKey:
    """Read an encrypted key; KeyFileError if missing, open to others, not a key, or the wrong passphrase."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as error:
        raise KeyFileError(f"key file {path} does not exist: enroll the node to create it") from error
    if mode & 0o077:
        raise KeyFileError(
            f"key file {path} is readable by group or others (mode {stat.S_IMODE(mode):04o}): "
            f"run `chmod 600 {path}`"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise KeyFileError(f"cannot read key file {path}: {error.strerror}") from error
    if f"-----BEGIN {_SM2_PEM}-----".encode() in data:
        return _open_sm2(data, passphrase, path)
    try:
        key = serialization.load_pem_private_key(data, passphrase)
    except TypeError as error:  # an unencrypted key, given a passphrase
        raise KeyFileError(
            f"key file {path} is not encrypted; wuji keeps keys encrypted: re-create it with a passphrase"
        ) from error
    except ValueError as error:
        if b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data:
            raise KeyFileError(_wrong_passphrase(path)) from error
        raise KeyFileError(f"{path} is not a PEM private key") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyFileError(f"key file {path} holds a {type(key).__name__}: wuji uses ECDSA P-256 or Ed25519")
    try:
        algorithm_of(key)
    except AlgorithmUnavailable as error:
        raise KeyFileError(f"key file {path} holds an unsupported key: {error}") from error
    rounds = kdf_rounds(data)
    if rounds is not None and rounds < KDF_ROUNDS:
        _upgrade(key, path, passphrase, rounds)
    return key


def kdf_rounds(data: bytes) -> int | None:
    """The PBKDF2 rounds an encrypted PKCS#8 PEM was written with (None if it is not PBES2/PBKDF2)."""
    try:
        _, _, der = pem.unarmor(data)
        scheme = asn1_keys.EncryptedPrivateKeyInfo.load(der)["encryption_algorithm"]
        return int(scheme.kdf_iterations) if scheme.kdf == "pbkdf2" else None
    except (ValueError, TypeError, KeyError):
        return None


def _upgrade(key: PrivateKey, path: Path, passphrase: bytes, rounds: int) -> None:
    """Re-encrypt a key written with too few KDF rounds; a read-only folder only earns a warning."""
    try:
        save_private_key(key, path, passphrase)
    except OSError as error:
        log.warning("key file %s uses %d KDF rounds and cannot be re-encrypted: %s", path, rounds, error)
        return
    log.info("key file %s re-encrypted with %d KDF rounds (was %d)", path, KDF_ROUNDS, rounds)


def _encrypted_pem(
    key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey, passphrase: bytes, rounds: int
) -> bytes:
    """RFC 5958 EncryptedPrivateKeyInfo with RFC 8018 PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC).

    SM2 keys never come here: `cryptography` cannot serialise them (_seal_sm2 writes those)."""
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, iv = secrets.token_bytes(16), secrets.token_bytes(16)
    secret = PBKDF2HMAC(hashes.SHA256(), 32, salt, rounds).derive(passphrase)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(secret), modes.CBC(iv)).encryptor()
    kdf = {
        "salt": algos.Pbkdf2Salt(name="specified", value=core.OctetString(salt)),
        "iteration_count": rounds,
        "prf": {"algorithm": "sha256"},
    }
    info = asn1_keys.EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": {
                "algorithm": "pbes2",
                "parameters": {
                    "key_derivation_func": {"algorithm": "pbkdf2", "parameters": kdf},
                    "encryption_scheme": {"algorithm": "aes256_cbc", "parameters": core.OctetString(iv)},
                },
            },
            "encrypted_data": encryptor.update(padded) + encryptor.finalize(),
        }
    )
    return pem.armor("ENCRYPTED PRIVATE KEY", info.dump())


def _seal_sm2(key: SM2PrivateKey, passphrase: bytes) -> bytes:
    pkcs8 = asn1_keys.PrivateKeyInfo(
        {
            "version": 0,
            "private_key_algorithm": {
                "algorithm": "ec",
                "parameters": asn1_keys.ECDomainParameters(name="named", value=SM2_CURVE_OID),
            },
            "private_key": asn1_keys.ECPrivateKey(
                {"version": "ecPrivkeyVer1", "private_key": int.from_bytes(key.scalar, "big")}
            ),
        }
    ).dump()
    salt, nonce = os.urandom(16), os.urandom(12)
    secret = Scrypt(salt=salt, **_SCRYPT).derive(passphrase)
    sealed = salt + nonce + AESGCM(secret).encrypt(nonce, pkcs8, _SM2_PEM.encode())
    body = base64.encodebytes(sealed).decode("ascii")
    return f"-----BEGIN {_SM2_PEM}-----\n{body}-----END {_SM2_PEM}-----\n".encode("ascii")


def _open_sm2(data: bytes, passphrase: bytes, path: Path) -> SM2PrivateKey:
    try:
        text = data.decode("ascii")
        body = text.split(f"-----BEGIN {_SM2_PEM}-----", 1)[1].split(f"-----END {_SM2_PEM}-----", 1)[0]
        sealed = base64.b64decode(body)
        salt, nonce, ciphertext = sealed[:16], sealed[16:28], sealed[28:]
    except (ValueError, IndexError) as error:
        raise KeyFileError(f"{path} is not a readable SM2 key file") from error
    try:
        secret = Scrypt(salt=salt, **_SCRYPT).derive(passphrase)
        pkcs8 = AESGCM(secret).decrypt(nonce, ciphertext, _SM2_PEM.encode())
    except InvalidTag as error:
        raise KeyFileError(_wrong_passphrase(path)) from error
    info = asn1_keys.PrivateKeyInfo.load(pkcs8)
    scalar = info["private_key"].parsed["private_key"].native
    return SM2PrivateKey(int(scalar).to_bytes(32, "big"))


def save_pem(path: Path, data: bytes) -> None:
    """Write public PEM material (certificates, CRLs) atomically, mode 0644 (a new parent folder is 0700)."""
    _write_atomically(Path(path), data, _PEM_MODE)


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Write a sibling temporary file created with `mode`, flush it to disk, then rename it over `path`."""
    if not path.parent.exists():
        path.parent.mkdir(mode=_FOLDER_MODE, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
