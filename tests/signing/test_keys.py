"""Keys on disk (encrypted, 0600) and the signature algorithms."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization

from signing import algorithms, keys
from signing.algorithms import Algorithm, AlgorithmUnavailable, generate_key
from signing.keys import (
    PASSPHRASE_ENV,
    PASSPHRASE_FILE_ENV,
    KeyFileError,
    load_private_key,
    passphrase_from_environment,
    save_pem,
    save_private_key,
)

PASSPHRASE = b"correct horse battery staple"
USABLE = [Algorithm.ED25519, Algorithm.ECDSA_P256_SHA256]


def mode_of(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def public_der(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize("algorithm", USABLE)
def test_key_round_trips_encrypted_in_a_0600_file(tmp_path, algorithm):
    key = generate_key(algorithm)
    path = tmp_path / "pki" / "tls.key"
    save_private_key(key, path, PASSPHRASE)
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = load_private_key(path, PASSPHRASE)
    assert public_der(loaded) == public_der(key)
    assert algorithms.algorithm_of(loaded) is algorithm
    assert [p.name for p in path.parent.iterdir()] == ["tls.key"]  # no temporary file left behind


def test_overwriting_a_key_keeps_it_private(tmp_path):
    path = tmp_path / "ca.key"
    path.write_bytes(b"old")
    path.chmod(0o644)
    save_private_key(generate_key(Algorithm.ED25519), path, PASSPHRASE)
    assert mode_of(path) == 0o600


def test_wrong_passphrase_is_named(tmp_path):
    path = tmp_path / "tls.key"
    save_private_key(generate_key(Algorithm.ECDSA_P256_SHA256), path, PASSPHRASE)
    with pytest.raises(KeyFileError, match="wrong passphrase") as error:
        load_private_key(path, b"not it")
    assert str(error.value).startswith(f"密钥口令不对：打不开密钥文件 {path}。请确认 {PASSPHRASE_ENV}")


def test_key_readable_by_others_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "tls.key"
    save_private_key(generate_key(Algorithm.ED25519), path, PASSPHRASE)
    path.chmod(0o640)
    with pytest.raises(KeyFileError, match="readable by group or others") as error:
        load_private_key(path, PASSPHRASE)
    assert f"chmod 600 {path}" in str(error.value) and "0640" in str(error.value)


def test_missing_key_file_is_named(tmp_path):
    with pytest.raises(KeyFileError, match="does not exist"):
        load_private_key(tmp_path / "absent.key", PASSPHRASE)


def test_a_file_that_is_not_a_key_is_named(tmp_path):
    path = tmp_path / "tls.key"
    save_pem(path, b"hello")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="not a PEM private key"):
        load_private_key(path, PASSPHRASE)


def test_an_unencrypted_key_is_refused(tmp_path):
    path = tmp_path / "plain.key"
    pem = generate_key(Algorithm.ED25519).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    save_pem(path, pem)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="not encrypted"):
        load_private_key(path, PASSPHRASE)


def test_an_empty_passphrase_is_refused(tmp_path):
    with pytest.raises(KeyFileError, match="empty"):
        save_private_key(generate_key(Algorithm.ED25519), tmp_path / "k.key", b"")


def test_pem_files_are_public_and_written_whole(tmp_path):
    path = tmp_path / "certs" / "tls.pem"
    save_pem(path, b"first")
    save_pem(path, b"second")
    assert path.read_bytes() == b"second"
    assert mode_of(path) == 0o644 & ~_umask()
    assert [p.name for p in path.parent.iterdir()] == ["tls.pem"]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_passphrase_from_environment_variable():
    assert passphrase_from_environment({PASSPHRASE_ENV: "秘密"}) == "秘密".encode()


def test_passphrase_from_file_without_its_trailing_newline(tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_bytes(b"from a file\n")
    assert passphrase_from_environment({PASSPHRASE_FILE_ENV: str(secret)}) == b"from a file"


def test_passphrase_missing_names_both_variables(tmp_path):
    with pytest.raises(KeyFileError) as error:
        passphrase_from_environment({})
    said = str(error.value)  # Chinese first: the township's operator read English alone
    assert said.startswith(f"没有密钥口令：请把口令放在环境变量 {PASSPHRASE_ENV} 中")
    assert PASSPHRASE_FILE_ENV in said
    with pytest.raises(KeyFileError, match=r"读不了 .* 指向的口令文件 .*cannot read the passphrase file"):
        passphrase_from_environment({PASSPHRASE_FILE_ENV: str(tmp_path / "absent")})


@pytest.mark.parametrize("algorithm", USABLE)
def test_signatures_round_trip_and_a_flipped_byte_fails(algorithm):
    key = generate_key(algorithm)
    data = "办结通知书".encode()
    signature = algorithms.sign(key, data)
    assert algorithms.verify(key.public_key(), signature, data)
    flipped = bytes([signature[-1] ^ 0x01])
    assert not algorithms.verify(key.public_key(), signature[:-1] + flipped, data)
    assert not algorithms.verify(key.public_key(), signature, data + b".")
    assert not algorithms.verify(generate_key(algorithm).public_key(), signature, data)
    assert not algorithms.verify(key.public_key(), b"not a signature", data)


def test_certificate_hash_fits_the_key():
    assert algorithms.certificate_hash(generate_key(Algorithm.ECDSA_P256_SHA256)).name == "sha256"
    assert algorithms.certificate_hash(generate_key(Algorithm.ED25519)) is None


def test_sm2_keys_sign_and_verify_by_name():
    from signing.algorithms import algorithm_of, sign, verify

    key = generate_key(Algorithm("sm2-sm3"))
    assert algorithm_of(key) is Algorithm.SM2_SM3
    signature = sign(key, b"data")
    assert verify(key.public_key(), signature, b"data")
    assert not verify(key.public_key(), signature, b"other data")


def test_other_curves_are_not_wuji_algorithms():
    from cryptography.hazmat.primitives.asymmetric import ec

    with pytest.raises(AlgorithmUnavailable, match="P-256"):
        algorithms.algorithm_of(ec.generate_private_key(ec.SECP384R1()))


def test_new_keys_use_pbkdf2_sha256_with_many_rounds(tmp_path, monkeypatch):
    monkeypatch.setattr(keys, "KDF_ROUNDS", 600_000)
    path = tmp_path / "tls.key"
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    save_private_key(key, path, PASSPHRASE)
    assert keys.kdf_rounds(path.read_bytes()) == 600_000
    # any PKCS#8 reader opens it, not only wuji
    opened = serialization.load_pem_private_key(path.read_bytes(), PASSPHRASE)
    assert public_der(opened) == public_der(key)


@pytest.mark.parametrize("algorithm", USABLE)
def test_an_old_weakly_encrypted_key_loads_and_is_re_encrypted(tmp_path, algorithm):
    key = generate_key(algorithm)
    path = tmp_path / "ca.key"
    old = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(old)
    assert keys.kdf_rounds(old) == 2048
    loaded = load_private_key(path, PASSPHRASE)
    assert public_der(loaded) == public_der(key)
    assert keys.kdf_rounds(path.read_bytes()) == keys.KDF_ROUNDS > 2048
    assert mode_of(path) == 0o600
    assert public_der(load_private_key(path, PASSPHRASE)) == public_der(key)
