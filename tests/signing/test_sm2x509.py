"""SM2 certificates (GB/T 20518): built with asn1crypto, accepted by OpenSSL, held to the tier rules."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from signing.algorithms import Algorithm, generate_key
from signing.pki import Authority, CertificatePurpose, IssuanceRefused, division_code_of, make_csr, purpose_of
from signing.seals import Seal, SealInfo, verify
from signing.sm2x509 import SM2PrivateKey, build_certificate, is_sm2_signed, sm2_public_key_of
from signing.timestamps import TimeStampAuthority
from signing.trust import ChainRejected, TrustStore

PROVINCE, CITY, COUNTY = "440000000000", "440300000000", "440305000000"  # 广东 → 深圳 → 南山
CA, SEAL = CertificatePurpose.CA, CertificatePurpose.SEAL
_PEM = serialization.Encoding.PEM
DISTID = "distid:1234567812345678"  # GM/T 0009's default signer ID; OpenSSL 3 assumes none unless told


SM2Tree = tuple[Authority, Authority, Authority, SM2PrivateKey, x509.Certificate]


def sm2_tree() -> SM2Tree:
    """An SM2 province: root → city CA → county CA → a county seal key, all SM2, issued a day ago."""
    day_ago = datetime.now(UTC) - timedelta(days=1)
    root = Authority.create_root(PROVINCE, "广东省", algorithm=Algorithm.SM2_SM3, now=day_ago)
    authorities = [root]
    for code, name in ((CITY, "深圳市"), (COUNTY, "南山区")):
        key = SM2PrivateKey.generate()
        certificate = authorities[-1].certify_sm2(key.public_key(), code, CA, name, now=day_ago)
        authorities.append(Authority(key, certificate, authorities[-1].full_chain()))
    seal_key = SM2PrivateKey.generate()
    seal = authorities[-1].certify_sm2(
        seal_key.public_key(),
        COUNTY,
        SEAL,
        "南山区民政局",
        holder="南山区民政局",
        department="民政局",
        now=day_ago,
    )
    return root, authorities[1], authorities[2], seal_key, seal


@pytest.fixture(scope="module")
def tree() -> SM2Tree:
    return sm2_tree()


def test_an_sm2_certificate_names_its_key_curve_and_algorithm(tree):
    *_, seal_key, seal = tree
    assert is_sm2_signed(seal)
    assert seal.signature_algorithm_oid.dotted_string == "1.2.156.10197.1.501"
    assert sm2_public_key_of(seal) == seal_key.public_key()
    assert division_code_of(seal) == COUNTY and purpose_of(seal) is SEAL
    usage = seal.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment


def test_an_sm2_chain_verifies_with_the_tier_rules(tree):
    root, city, county, _, seal = tree
    path = TrustStore([root.certificate]).verify_chain(seal, [county.certificate, city.certificate], SEAL)
    assert [division_code_of(c) for c in path] == [COUNTY, COUNTY, CITY, PROVINCE]
    with pytest.raises(ChainRejected, match="incomplete chain"):
        TrustStore([root.certificate]).verify_chain(seal, [county.certificate], SEAL)
    with pytest.raises(ChainRejected, match="certified for seal, not for ca"):
        TrustStore([root.certificate]).verify_chain(seal, [county.certificate, city.certificate], CA)


def test_an_sm2_county_ca_signed_by_its_province_skipping_the_city_is_refused(tree: SM2Tree) -> None:
    root, *_ = tree
    from signing.pki import (
        _ca_extensions,
        _code_extension,
    )  # a forged certificate: the issuer refuses to make one
    from wuji.divisions import DivisionCode

    key = SM2PrivateKey.generate()
    subject = x509.Name(
        [
            x509.NameAttribute(x509.NameOID.COMMON_NAME, "南山区"),
            x509.NameAttribute(x509.NameOID.SERIAL_NUMBER, COUNTY),
        ]
    )
    now = datetime.now(UTC)
    forged = build_certificate(
        subject=subject,
        issuer=root.certificate.subject,
        public_key=key.public_key(),
        serial=7,
        not_before=now - timedelta(hours=1),
        not_after=now + timedelta(days=1),
        extensions=[
            (_code_extension(DivisionCode.parse(COUNTY)), False),
            *_ca_extensions(DivisionCode.parse(COUNTY)),
        ],
        signer=root.key,
    )
    with pytest.raises(ChainRejected, match="must be issued by its parent"):
        TrustStore([root.certificate]).verify_chain(forged, [], CA)


def test_an_altered_sm2_certificate_is_refused(tree):
    root, city, county, _, seal = tree
    der = bytearray(seal.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 1  # inside the signature
    altered = x509.load_der_x509_certificate(bytes(der))
    with pytest.raises(ChainRejected):
        TrustStore([root.certificate]).verify_chain(altered, [county.certificate, city.certificate], SEAL)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
def test_openssl_verify_accepts_every_link_of_an_sm2_chain_wuji_made(tree, tmp_path: Path):
    root, city, county, _, seal = tree
    files = {}
    for name, certificate in (
        ("root", root.certificate),
        ("city", city.certificate),
        ("county", county.certificate),
        ("seal", seal),
    ):
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_bytes(certificate.public_bytes(_PEM))

    def openssl_verify(issuer: str, subject: str, *options: str) -> subprocess.CompletedProcess[str]:
        partial = [] if issuer == "root" else ["-partial_chain"]
        return subprocess.run(
            ["openssl", "verify", *options, *partial, "-CAfile", str(files[issuer]), str(files[subject])],
            capture_output=True,
            text=True,
            check=False,
        )

    # OpenSSL 3.0 applies the signer ID to the certificate it is asked about, so each link is asked
    # about in turn, its issuer as the trust anchor
    for issuer, subject in (("root", "city"), ("city", "county"), ("county", "seal")):
        accepted = openssl_verify(issuer, subject, "-vfyopt", DISTID)
        assert accepted.returncode == 0 and ": OK" in accepted.stdout, accepted.stderr
    # without the standard signer ID the signature does not hold: it is really SM2 over Z ‖ TBS
    assert openssl_verify("county", "seal").returncode != 0


def test_an_sm2_seal_verifies_under_an_sm2_chain_with_an_attested_time(tree: SM2Tree) -> None:
    root, _city, county, seal_key, seal_certificate = tree
    now = datetime.now(UTC)
    info = SealInfo(
        "sm2-1", "南山区民政局", COUNTY, "民政局", "公章", now - timedelta(hours=1), now + timedelta(days=30)
    )
    seal = Seal(info, seal_key, seal_certificate, county.full_chain())
    # the province's time-stamping service: a P-256 key certified by the SM2 root
    tsa_key = generate_key(Algorithm.ECDSA_P256_SHA256)
    tsa_csr = make_csr(tsa_key, PROVINCE, CertificatePurpose.TIMESTAMP, "广东省 时间戳服务")
    tsa_certificate = root.issue(tsa_csr, CertificatePurpose.TIMESTAMP, now=now - timedelta(hours=2))
    tsa = TimeStampAuthority(tsa_key, [tsa_certificate, root.certificate])  # type: ignore[arg-type]
    document = seal.apply(b'{"result": "\xe5\x87\x86\xe4\xba\x88"}', timestamp=tsa.stamp)
    assert document.algorithm is Algorithm.SM2_SM3
    check = verify(document.to_bytes(), TrustStore([root.certificate]))
    assert check.valid, check.reason
    assert check.attested_time is not None and check.algorithm == "sm2-sm3"


def test_an_sm2_seal_key_under_a_p256_ca_verifies_with_the_library_path(tree):
    hunan = Authority.create_root("430000000000", "湖南省", now=datetime.now(UTC) - timedelta(days=1))
    key = SM2PrivateKey.generate()
    certificate = hunan.certify_sm2(
        key.public_key(),
        "430000000000",
        SEAL,
        "湖南省人民政府",
        holder="湖南省人民政府",
        department="办公厅",
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    assert not is_sm2_signed(certificate)
    now = datetime.now(UTC)
    info = SealInfo(
        "sm2-2",
        "湖南省人民政府",
        "430000000000",
        "办公厅",
        "公章",
        now - timedelta(hours=1),
        now + timedelta(days=1),
    )
    data = Seal(info, key, certificate, [hunan.certificate]).apply(b"{}").to_bytes()
    assert verify(data, TrustStore([hunan.certificate])).valid


def test_an_sm2_request_is_certified_only_when_its_own_key_signed_it(tree):
    _, _, county, _, _ = tree
    from cryptography.hazmat.primitives import serialization as s

    key = SM2PrivateKey.generate()
    request = make_csr(key, COUNTY, SEAL, "印章", holder="南山区民政局", department="民政局")
    certificate = county.issue(request, SEAL)
    assert sm2_public_key_of(certificate) == key.public_key() and purpose_of(certificate) is SEAL
    der = bytearray(request.public_bytes(s.Encoding.DER))
    der[-3] ^= 1  # inside the signature
    with pytest.raises(IssuanceRefused, match="signature does not verify"):
        county.issue(x509.load_der_x509_csr(bytes(der)), SEAL)
    with pytest.raises(IssuanceRefused, match="only seal keys and seal CAs may be SM2"):
        county.issue(make_csr(key, COUNTY, SEAL, "x", holder="h", department="d"), CertificatePurpose.TLS)


def test_an_sm2_ca_with_path_length_zero_cannot_have_a_ca_below_it(tree):
    """pathLen holds in SM2 chains as the library holds it in P-256 ones: a city CA made with
    pathLen 0 (the tier rules alone would let its county CA pass) is refused above a county CA."""
    root, city, county, _, seal = tree

    def with_path_length(path_length: int) -> x509.Certificate:
        extensions = []
        for extension in city.certificate.extensions:
            value = extension.value
            if isinstance(value, x509.BasicConstraints):
                value = x509.BasicConstraints(ca=True, path_length=path_length)
            extensions.append((value, extension.critical))
        return build_certificate(
            subject=city.certificate.subject,
            issuer=root.certificate.subject,
            public_key=city.key.public_key(),
            serial=x509.random_serial_number(),
            not_before=city.certificate.not_valid_before_utc,
            not_after=city.certificate.not_valid_after_utc,
            extensions=extensions,
            signer=root.key,
        )

    trust = TrustStore([root.certificate])
    assert trust.verify_chain(seal, [county.certificate, with_path_length(1)], SEAL)
    with pytest.raises(ChainRejected, match="pathLen"):
        trust.verify_chain(seal, [county.certificate, with_path_length(0)], SEAL)
