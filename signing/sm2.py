"""SM2 signatures with SM3 (GB/T 32918.2, GM/T 0003.2/0009): a thin seam over gmssl-pyx.

SM2 is the signature algorithm Chinese law recognises for electronic seals (GB/T 38540).
`cryptography` has SM3 but no SM2, so this module wraps gmssl-pyx, a C extension that statically
links GmSSL 3.2 (https://github.com/yetsing/gmssl_pyx, Apache-2.0). The package is imported
lazily: when it is missing, `available()` says so and how to install it, and `sign`, `verify`,
`generate_keypair` and `public_from_private` raise `SM2Unavailable`.

What a signature is here (GB/T 32918.2 §6.1, GM/T 0009 §8):
- e = SM3(Z ‖ M) with Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) on sm2p256v1, the
  signer ID defaulting to `1234567812345678` (GM/T 0009); GmSSL computes Z itself.
- the signature is DER: SEQUENCE { INTEGER r, INTEGER s }; GmSSL rejects trailing bytes,
  non-minimal integers and long-form lengths, and r or s outside [1, n-1].
- keys: a 32-byte big-endian private scalar d in [1, n-2] (GB/T 32918.1 §6.1) and a 65-byte
  uncompressed public point 04 ‖ x ‖ y; only the uncompressed form is accepted.

One step goes below gmssl-pyx's Python API: it has no "public key from private key" function,
so `public_from_private` calls three functions of GmSSL's own public C API (gmssl/sm2.h,
gmssl/sm2_z256.h) that the gmssl-pyx extension exports: `sm2_z256_from_bytes`,
`sm2_key_set_private_key` (which computes d·G in GmSSL's constant-time code) and
`sm2_z256_point_to_bytes`. No curve arithmetic is written here. Because that relies on the
extension's exported symbols rather than on its Python API, the backend is accepted only after a
known-answer self-test (the GM/T 0003.5 / GB/T 32918.5 Annex A key pair and signature); if a
future build hides or changes those symbols, `available()` returns False with the reason.

GmSSL prints a short trace to the C library's stderr (file:line:function) whenever a verification
fails; a tampered document then put "/project/GmSSL/src/sm2_sign.c:265:sm2_fast_verify():" on the
terminal of whoever checked it. `verify` points that stream at /dev/null while GmSSL runs
(`_QuietC`); the result is still a plain False.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

SIGNER_ID_DEFAULT = b"1234567812345678"

_MODULE = "gmssl_pyx"
_DISTRIBUTION = "gmssl-pyx"
_INSTALL = "pip install 'gmssl-pyx>=2.1,<3'"

# sm2p256v1 group order n (GB/T 32918.5 §4); a private key is d in [1, n-2].
_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
# ENTL is the ID length in bits, in two bytes: at most 65535 bits, i.e. 8191 whole bytes.
_MAX_ID_BYTES = 8191
# SM2_KEY is 128 bytes in GmSSL 3.2 (a 96-byte Jacobian point, then the 32-byte scalar);
# the buffer is larger so a layout change cannot write past it (the self-test then fails).
_SM2_KEY_BUFFER = 512

# Known answer: GM/T 0003.5-2012 / GB/T 32918.5-2017 Annex A, signature example on sm2p256v1
# (ID "1234567812345678", message "message digest").
_KAT_PRIVATE = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
_KAT_PUBLIC = bytes.fromhex(
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
_KAT_MESSAGE = b"message digest"
_KAT_SIGNATURE = bytes.fromhex(
    "3046"
    "022100F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "022100B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)


class SM2Unavailable(Exception):
    """No usable SM2 backend on this machine; the message says why and what to install."""


@dataclass(frozen=True)
class _Backend:
    ext: ModuleType
    lib: ctypes.CDLL
    description: str


def _bind_c_api(ext: ModuleType) -> ctypes.CDLL:
    lib = ctypes.CDLL(ext.__file__)  # the extension is already loaded: same handle
    lib.sm2_z256_from_bytes.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.sm2_z256_from_bytes.restype = None
    lib.sm2_key_set_private_key.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.sm2_key_set_private_key.restype = ctypes.c_int
    lib.sm2_z256_point_to_bytes.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.sm2_z256_point_to_bytes.restype = ctypes.c_int
    return lib


def _derive_public(lib: ctypes.CDLL, private: bytes) -> bytes:
    """d·G by GmSSL (the caller has checked 1 <= d <= n-2)."""
    scalar = (ctypes.c_uint64 * 4)()
    key = ctypes.create_string_buffer(_SM2_KEY_BUFFER)
    point = ctypes.create_string_buffer(64)
    try:
        lib.sm2_z256_from_bytes(scalar, private)
        if lib.sm2_key_set_private_key(key, scalar) != 1:
            raise ValueError("SM2 private key rejected by GmSSL")
        if lib.sm2_z256_point_to_bytes(key, point) != 1:  # public_key is SM2_KEY's first member
            raise ValueError("GmSSL could not encode the SM2 public key")
        return b"\x04" + point.raw
    finally:
        ctypes.memset(scalar, 0, ctypes.sizeof(scalar))
        ctypes.memset(key, 0, ctypes.sizeof(key))


class _QuietC:
    """The C library's `stderr` stream pointed at /dev/null while GmSSL runs, put back after.
    Python's own sys.stderr writes to the file descriptor, not to that stream, and is unaffected;
    verifications in several threads share one swap (the last to leave puts it back). Where the
    stream cannot be reached (not a glibc-like libc), GmSSL's lines go through as before."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._saved: int | None = None
        self._slot: ctypes.c_void_p | None = None
        self._null: int | None = None
        try:
            libc = ctypes.CDLL(None)
            libc.fopen.restype = ctypes.c_void_p
            libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
            slot = ctypes.c_void_p.in_dll(libc, "stderr")
            null = libc.fopen(os.devnull.encode(), b"w")
        except (OSError, ValueError, AttributeError):
            return
        if null:
            self._slot, self._null = slot, null

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        if self._slot is None:
            yield
            return
        with self._lock:
            if self._inside == 0:
                self._saved, self._slot.value = self._slot.value, self._null
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
                if self._inside == 0:
                    self._slot.value = self._saved


_quiet_c = functools.cache(_QuietC)


@functools.cache
def _load() -> _Backend | str:
    """The backend, or the reason there is none (computed once per process)."""
    try:
        ext = importlib.import_module(_MODULE)
    except ImportError as missing:
        return f"{_DISTRIBUTION} is not installed ({missing}): {_INSTALL}"
    try:
        version = metadata.version(_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        version = getattr(ext, "__version__", "unknown version")
    try:
        lib = _bind_c_api(importlib.import_module(f"{_MODULE}.gmsslext"))
        derived = _derive_public(lib, _KAT_PRIVATE)
        verified = ext.sm2_verify(_KAT_PUBLIC[1:], _KAT_MESSAGE, _KAT_SIGNATURE, SIGNER_ID_DEFAULT)
    except (AttributeError, OSError, ImportError, ValueError, TypeError) as broken:
        return f"{_DISTRIBUTION} {version} cannot be used for SM2 ({broken}): {_INSTALL}"
    if derived != _KAT_PUBLIC:
        return f"{_DISTRIBUTION} {version} derives a wrong SM2 public key (GM/T 0003.5): {_INSTALL}"
    if verified is not True:
        return f"{_DISTRIBUTION} {version} rejects the GM/T 0003.5 SM2 signature: {_INSTALL}"
    return _Backend(ext=ext, lib=lib, description=f"{_DISTRIBUTION} {version} (GmSSL 3.2)")


def _backend() -> _Backend:
    loaded = _load()
    if isinstance(loaded, str):
        raise SM2Unavailable(loaded)
    return loaded


def available() -> tuple[bool, str]:
    """(True, which backend) or (False, why not and what to install)."""
    loaded = _load()
    if isinstance(loaded, str):
        return False, loaded
    return True, loaded.description


def _as_bytes(value: Any, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"{what} must be bytes, not {type(value).__name__}")


def _check_private(private: Any) -> bytes:
    private = _as_bytes(private, "SM2 private key")
    if len(private) != 32:
        raise ValueError(f"SM2 private key must be 32 bytes, got {len(private)}")
    if not 1 <= int.from_bytes(private, "big") <= _N - 2:
        raise ValueError("SM2 private key is out of range: it must be in [1, n-2]")
    return private


def _check_signer_id(signer_id: Any) -> bytes:
    signer_id = _as_bytes(signer_id, "SM2 signer ID")
    if not 1 <= len(signer_id) <= _MAX_ID_BYTES:
        raise ValueError(f"SM2 signer ID must be 1 to {_MAX_ID_BYTES} bytes, got {len(signer_id)}")
    return signer_id


def generate_keypair() -> tuple[bytes, bytes]:
    """A fresh key pair: (32-byte private scalar, 65-byte uncompressed public point 04‖x‖y)."""
    public_xy, private = _backend().ext.sm2_key_generate()
    return bytes(private), b"\x04" + bytes(public_xy)


def public_from_private(private: bytes) -> bytes:
    """The 65-byte uncompressed public point of a 32-byte private scalar (ValueError if invalid)."""
    backend = _backend()
    return _derive_public(backend.lib, _check_private(private))


def sign(
    private: bytes, data: bytes, signer_id: bytes = SIGNER_ID_DEFAULT, *, public: bytes | None = None
) -> bytes:
    """DER-encoded SM2 signature of SM3(Z ‖ data), Z from `signer_id` and the signer's public key.

    `public`, when the caller already holds it, must be the key's own (see `public_from_private`);
    otherwise it is derived for every signature."""
    backend = _backend()
    private = _check_private(private)
    data = _as_bytes(data, "data")
    signer_id = _check_signer_id(signer_id)
    if public is None:
        public = _derive_public(backend.lib, private)
    return bytes(backend.ext.sm2_sign(private, public[1:], data, signer_id))


def verify(public: bytes, signature: bytes, data: bytes, signer_id: bytes = SIGNER_ID_DEFAULT) -> bool:
    """True only for a valid signature; False (never an exception) for anything bad or malformed.

    Raises `SM2Unavailable` when there is no backend: "cannot check" is not "invalid".
    """
    backend = _backend()
    try:
        public = _as_bytes(public, "SM2 public key")
        signature = _as_bytes(signature, "SM2 signature")
        data = _as_bytes(data, "data")
        signer_id = _check_signer_id(signer_id)
    except (TypeError, ValueError):
        return False
    if len(public) != 65 or public[0] != 0x04:
        return False
    if not 8 <= len(signature) <= 72 or signature[0] != 0x30:
        return False
    try:
        with _quiet_c()():  # GmSSL's trace of a failed check is no news for whoever verifies
            return backend.ext.sm2_verify(public[1:], data, signature, signer_id) is True
    except Exception:  # gmssl-pyx raises InvalidValueError/GmsslInnerError for points off the curve
        return False
