"""Private keys (私钥) on disk: always encrypted with the node passphrase, files mode 0600.

Keys are PKCS#8 PEM with `BestAvailableEncryption`. Every write is atomic (a temporary file in
the same folder, then `os.replace`), and key files are created 0600 from the start, never
chmod-ed afterwards, so there is no moment when a key is readable by others.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from signing.algorithms import AlgorithmUnavailable, PrivateKey, algorithm_of

PASSPHRASE_ENV = "WUJI_KEY_PASSPHRASE"
PASSPHRASE_FILE_ENV = "WUJI_KEY_PASSPHRASE_FILE"

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
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    _write_atomically(Path(path), data, _KEY_MODE)


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
    return key


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
