"""Private keys (私钥) on disk: always encrypted with the node passphrase, files mode 0600.

Keys are encrypted PKCS#8 PEM (PBES2: PBKDF2-HMAC-SHA256 at `KDF_ROUNDS` rounds, AES-256-CBC), so a
stolen disk does not give the keys away to a fast guesser. `cryptography` writes PKCS#8 only with
`BestAvailableEncryption` (2,048 rounds, too few), so the structure is built here; any PKCS#8
reader (OpenSSL, `cryptography`) loads it. A key written with fewer rounds still loads and is
re-encrypted in place when it is read. Every write is atomic (a temporary file in the same folder,
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

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from signing.algorithms import AlgorithmUnavailable, PrivateKey, algorithm_of

PASSPHRASE_ENV = "WUJI_KEY_PASSPHRASE"
PASSPHRASE_FILE_ENV = "WUJI_KEY_PASSPHRASE_FILE"

# PBKDF2-HMAC-SHA256 rounds for new key files (OWASP's figure for a stolen disk). Tests lower this
# module constant for the nodes they run in-process, so the suite does not spend its time here.
KDF_ROUNDS = 600_000

log = logging.getLogger(__name__)

_KEY_MODE = 0o600
_PEM_MODE = 0o644
_FOLDER_MODE = 0o700


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
            f"no key passphrase: set {PASSPHRASE_ENV} to the passphrase, "
            f"or {PASSPHRASE_FILE_ENV} to a file holding it"
        )
    path = Path(file_name)
    try:
        passphrase = path.read_bytes().rstrip(b"\r\n")
    except OSError as error:
        raise KeyFileError(
            f"cannot read the passphrase file {path} named by {PASSPHRASE_FILE_ENV}: {error.strerror}"
        ) from error
    if not passphrase:
        raise KeyFileError(f"the passphrase file {path} named by {PASSPHRASE_FILE_ENV} is empty")
    return passphrase


def save_private_key(key: PrivateKey, path: Path, passphrase: bytes) -> None:
    """Write `key` encrypted under `passphrase` to `path` (mode 0600; parent folder created 0700)."""
    if not passphrase:
        raise KeyFileError(f"refusing to write {path} unencrypted: the key passphrase is empty")
    _write_atomically(Path(path), _encrypted_pem(key, passphrase, KDF_ROUNDS), _KEY_MODE)


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
    try:
        key = serialization.load_pem_private_key(data, passphrase)
    except TypeError as error:  # an unencrypted key, given a passphrase
        raise KeyFileError(
            f"key file {path} is not encrypted; wuji keeps keys encrypted: re-create it with a passphrase"
        ) from error
    except ValueError as error:
        if b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data:
            raise KeyFileError(
                f"wrong passphrase for key file {path}: check {PASSPHRASE_ENV} or {PASSPHRASE_FILE_ENV}"
            ) from error
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


def kdf_rounds(pem: bytes) -> int | None:
    """The PBKDF2 rounds an encrypted PKCS#8 PEM was written with (None if it is not PBES2/PBKDF2)."""
    try:
        der = base64.b64decode(b"".join(line for line in pem.splitlines() if not line.startswith(b"-----")))
        info = _children(der)  # EncryptedPrivateKeyInfo
        scheme = _children(info[0])  # AlgorithmIdentifier: PBES2 and its parameters
        if scheme[0] != _oid(_PBES2):
            return None
        derivation = _children(_children(scheme[1])[0])  # keyDerivationFunc
        if derivation[0] != _oid(_PBKDF2):
            return None
        iterations = _children(derivation[1])[1]
        return int.from_bytes(_value(iterations), "big")
    except (ValueError, IndexError):
        return None


def _upgrade(key: PrivateKey, path: Path, passphrase: bytes, rounds: int) -> None:
    """Re-encrypt a key written with too few KDF rounds; a read-only folder only earns a warning."""
    try:
        save_private_key(key, path, passphrase)
    except OSError as error:
        log.warning("key file %s uses %d KDF rounds and cannot be re-encrypted: %s", path, rounds, error)
        return
    log.info("key file %s re-encrypted with %d KDF rounds (was %d)", path, KDF_ROUNDS, rounds)


# -- encrypted PKCS#8 (RFC 5958 EncryptedPrivateKeyInfo with RFC 8018 PBES2) -----------------------

_PBES2 = "1.2.840.113549.1.5.13"
_PBKDF2 = "1.2.840.113549.1.5.12"
_HMAC_SHA256 = "1.2.840.113549.2.9"
_AES256_CBC = "2.16.840.1.101.3.4.1.42"


def _encrypted_pem(key: PrivateKey, passphrase: bytes, rounds: int) -> bytes:
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, iv = secrets.token_bytes(16), secrets.token_bytes(16)
    secret = PBKDF2HMAC(hashes.SHA256(), 32, salt, rounds).derive(passphrase)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(secret), modes.CBC(iv)).encryptor()
    sealed = encryptor.update(padded) + encryptor.finalize()
    pbkdf2 = _sequence(
        _oid(_PBKDF2),
        _sequence(_octets(salt), _integer(rounds), _sequence(_oid(_HMAC_SHA256), b"\x05\x00")),
    )
    scheme = _sequence(_oid(_PBES2), _sequence(pbkdf2, _sequence(_oid(_AES256_CBC), _octets(iv))))
    der = _sequence(scheme, _octets(sealed))
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    armour = [b"-----BEGIN ENCRYPTED PRIVATE KEY-----", *lines, b"-----END ENCRYPTED PRIVATE KEY-----"]
    return b"\n".join(armour) + b"\n"


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _sequence(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _octets(data: bytes) -> bytes:
    return _tlv(0x04, data)


def _integer(number: int) -> bytes:
    return _tlv(0x02, number.to_bytes(number.bit_length() // 8 + 1, "big"))


def _oid(dotted: str) -> bytes:
    numbers = [int(part) for part in dotted.split(".")]
    encoded = bytearray([40 * numbers[0] + numbers[1]])
    for number in numbers[2:]:
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        encoded += bytes(reversed(chunk))
    return _tlv(0x06, bytes(encoded))


def _split(der: bytes) -> tuple[bytes, bytes]:
    """The first DER element of `der` (whole, header included) and what follows it."""
    if len(der) < 2:
        raise ValueError("truncated DER")
    size, offset = der[1], 2
    if size & 0x80:
        count = size & 0x7F
        size, offset = int.from_bytes(der[2 : 2 + count], "big"), 2 + count
    if offset + size > len(der):
        raise ValueError("truncated DER")
    return der[: offset + size], der[offset + size :]


def _value(element: bytes) -> bytes:
    """The content octets of one DER element."""
    whole, _ = _split(element)
    size = whole[1]
    return whole[2 + (size & 0x7F if size & 0x80 else 0) :]


def _children(element: bytes) -> list[bytes]:
    """The elements inside a constructed DER element, each whole."""
    content, found = _value(element), []
    while content:
        child, content = _split(content)
        found.append(child)
    return found


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
