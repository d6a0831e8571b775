"""RFC 3161 time-stamp tokens: made by the province's service, accepted by `openssl ts -verify`,
and refused when they stamp other data or come from a service nobody certified for time-stamping."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from signing.pki import CertificatePurpose
from signing.timestamps import TimeStampAuthority, TimestampRejected, read_token, verify_token
from signing.trust import TrustStore
from tests.signing.test_pki import COUNTY, PROVINCE, Tiers, build_tiers, end_entity

TIMESTAMP = CertificatePurpose.TIMESTAMP
DATA = b"the signature of a sealed result"


@pytest.fixture(scope="module")
def tiers() -> Tiers:
    return build_tiers()


def province_tsa(tiers: Tiers) -> TimeStampAuthority:
    """The province's time-stamping unit, its key certified by the province root a week ago."""
    key, certificate = end_entity(tiers.root, PROVINCE, TIMESTAMP, now=datetime.now(UTC) - timedelta(days=7))
    return TimeStampAuthority(key, [certificate, tiers.root.certificate])  # type: ignore[arg-type]


def test_a_token_attests_the_time_of_the_data_it_stamps(tiers):
    tsa = province_tsa(tiers)
    before = datetime.now(UTC).replace(microsecond=0)
    token = read_token(tsa.stamp(hashlib.sha256(DATA).digest(), nonce=7))
    attested = verify_token(token, DATA, TrustStore([tiers.root.certificate]))
    assert before <= attested <= datetime.now(UTC)
    assert token.tsa_code == PROVINCE


def test_a_token_for_other_data_is_refused(tiers):
    token = read_token(province_tsa(tiers).stamp(hashlib.sha256(DATA).digest()))
    with pytest.raises(TimestampRejected, match="other data"):
        verify_token(token, DATA + b"!", TrustStore([tiers.root.certificate]))


def test_a_token_with_an_altered_time_is_refused(tiers):
    der = province_tsa(tiers).stamp(hashlib.sha256(DATA).digest(), at=datetime(2026, 3, 1, tzinfo=UTC))
    altered = der.replace(b"20260301", b"20250301")
    assert altered != der
    with pytest.raises(TimestampRejected):
        verify_token(read_token(altered), DATA, TrustStore([tiers.root.certificate]))


def test_only_a_certificate_for_time_stamping_may_sign_tokens(tiers: Tiers) -> None:
    key, seal_certificate = end_entity(
        tiers.authorities[COUNTY], COUNTY, CertificatePurpose.SEAL, now=datetime.now(UTC) - timedelta(days=1)
    )
    chain = [seal_certificate, *tiers.authorities[COUNTY].full_chain()]
    token = read_token(TimeStampAuthority(key, chain).stamp(hashlib.sha256(DATA).digest()))  # type: ignore[arg-type]
    with pytest.raises(TimestampRejected, match="certified for seal, not for timestamp"):
        verify_token(token, DATA, TrustStore([tiers.root.certificate]))


def test_a_token_of_an_untrusted_province_is_refused(tiers):
    other = build_tiers()
    token = read_token(province_tsa(other).stamp(hashlib.sha256(DATA).digest()))
    with pytest.raises(TimestampRejected, match="time-stamping certificate is refused"):
        verify_token(token, DATA, TrustStore([tiers.root.certificate]))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
def test_openssl_ts_verify_accepts_the_token(tiers, tmp_path: Path):
    token = province_tsa(tiers).stamp(hashlib.sha256(DATA).digest(), nonce=12345)
    (tmp_path / "token.der").write_bytes(token)
    (tmp_path / "data").write_bytes(DATA)
    (tmp_path / "root.pem").write_bytes(tiers.root.certificate.public_bytes(serialization.Encoding.PEM))
    verified = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-data",
            str(tmp_path / "data"),
            "-in",
            str(tmp_path / "token.der"),
            "-token_in",
            "-CAfile",
            str(tmp_path / "root.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert "Verification: OK" in verified.stdout
    (tmp_path / "data").write_bytes(DATA + b"!")
    refused = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-data",
            str(tmp_path / "data"),
            "-in",
            str(tmp_path / "token.der"),
            "-token_in",
            "-CAfile",
            str(tmp_path / "root.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
