"""The tier PKI: a province root down to a village, and what an authority refuses to issue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.algorithms import Algorithm, PrivateKey, generate_key
from signing.pki import (
    DIVISION_CODE_OID,
    SEAL_PURPOSE_OID,
    Authority,
    CertificatePurpose,
    IssuanceRefused,
    division_code_of,
    make_csr,
    purpose_of,
)
from signing.trust import ChainRejected, TrustStore
from wuji.divisions import DivisionCode, Tier

PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE = (
    "430000000000",
    "430900000000",
    "430981000000",
    "430981006000",
    "430981006001",
)
CA, TLS, SEAL = CertificatePurpose.CA, CertificatePurpose.TLS, CertificatePurpose.SEAL


@dataclass
class Tiers:
    """A five-tier PKI built from scratch: one CA per tier above the village, keyed by code."""

    authorities: dict[str, Authority]
    tls: dict[str, tuple[PrivateKey, x509.Certificate]]  # every tier's own TLS certificate

    @property
    def root(self) -> Authority:
        return self.authorities[PROVINCE]

    def issuer_of(self, code: str) -> Authority:
        """The CA that certifies `code`'s TLS and seals: its own, or its township's for a village."""
        division = DivisionCode.parse(code)
        own = division.parent if division.tier is Tier.VILLAGE else division
        assert own is not None  # a village always has a township
        return self.authorities[own.value]


def child_authority(parent: Authority, code: str, name: str = "", now: datetime | None = None) -> Authority:
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    certificate = parent.issue(make_csr(key, code, CA, name), CA, valid_days=1000, now=now)
    return Authority(key, certificate, parent.full_chain())  # type: ignore[arg-type]


def end_entity(
    issuer: Authority,
    code: str,
    purpose: CertificatePurpose,
    algorithm: Algorithm = Algorithm.ECDSA_P256_SHA256,
    **issue_options: object,
) -> tuple[PrivateKey, x509.Certificate]:
    key = generate_key(algorithm)
    names = {"holder": "样例村民委员会", "department": "村委会"} if purpose is SEAL else {}
    return key, issuer.issue(make_csr(key, code, purpose, **names), purpose, **issue_options)  # type: ignore[arg-type]


def build_tiers() -> Tiers:
    """Province 湖南 → 益阳 → 沅江 → 琼湖街道 → a village, all issued a week ago."""
    week_ago = datetime.now(UTC) - timedelta(days=7)
    root = Authority.create_root(PROVINCE, "湖南省", now=week_ago)
    city = child_authority(root, CITY, "益阳市", week_ago)
    county = child_authority(city, COUNTY, "沅江市", week_ago)
    township = child_authority(county, TOWNSHIP, "琼湖街道", week_ago)
    authorities = {a.code.value: a for a in (root, city, county, township)}
    tls = {code: end_entity(authorities[code], code, TLS, now=week_ago) for code in authorities}
    tls[VILLAGE] = end_entity(township, VILLAGE, TLS, now=week_ago)
    return Tiers(authorities, tls)


@pytest.fixture(scope="module")
def tiers() -> Tiers:
    return build_tiers()


def test_each_tier_ca_is_certified_by_its_parent(tiers):
    for code, authority in tiers.authorities.items():
        assert division_code_of(authority.certificate) == code
        assert purpose_of(authority.certificate) is CA
        parent = DivisionCode.parse(code).parent
        expected_chain = [] if parent is None else tiers.authorities[parent.value].full_chain()
        assert authority.chain == expected_chain
        assert authority.full_chain()[-1] == tiers.root.certificate
    assert tiers.authorities[TOWNSHIP].code.tier is Tier.TOWNSHIP


def test_division_code_is_in_the_subject_and_a_non_critical_utf8_extension(tiers):
    _, certificate = tiers.tls[VILLAGE]
    extension = certificate.extensions.get_extension_for_oid(DIVISION_CODE_OID)
    assert not extension.critical
    assert extension.value.value == asn1.encode_der(VILLAGE)  # DER UTF8String
    assert certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == VILLAGE
    assert certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "CN"


def test_tls_certificate_names_the_node_for_dialers(tiers):
    _, certificate = tiers.tls[COUNTY]
    assert purpose_of(certificate) is TLS
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert f"n{COUNTY}.wuji" in names.get_values_for_type(x509.DNSName)
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(usages) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}


@pytest.mark.parametrize("algorithm", [Algorithm.ED25519, Algorithm.ECDSA_P256_SHA256])
def test_township_certifies_a_village_seal_naming_holder_and_department(tiers, algorithm):
    key, certificate = end_entity(tiers.authorities[TOWNSHIP], VILLAGE, SEAL, algorithm)
    assert purpose_of(certificate) is SEAL
    assert division_code_of(certificate) == VILLAGE
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "样例村民委员会"
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "村委会"
    assert list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        SEAL_PURPOSE_OID
    ]
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.content_commitment and not usage.value.key_cert_sign
    assert certificate.public_key() == key.public_key()


def test_certificate_never_outlives_its_issuer(tiers):
    township = tiers.authorities[TOWNSHIP]
    _, certificate = end_entity(township, VILLAGE, TLS, valid_days=100_000)
    assert certificate.not_valid_after_utc == township.certificate.not_valid_after_utc


def test_only_a_province_runs_a_root():
    with pytest.raises(IssuanceRefused, match="only a province"):
        Authority.create_root(CITY, "益阳市")


def test_ca_for_a_grandchild_is_refused(tiers):
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    with pytest.raises(IssuanceRefused, match="direct children") as refused:
        tiers.authorities[CITY].issue(make_csr(key, TOWNSHIP, CA), CA)
    assert TOWNSHIP in str(refused.value) and "not a direct child" in str(refused.value)


def test_ca_for_a_village_is_refused(tiers):
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    with pytest.raises(IssuanceRefused, match="village") as refused:
        tiers.authorities[TOWNSHIP].issue(make_csr(key, VILLAGE, CA), CA)
    assert "never a CA" in str(refused.value)


def test_tls_for_a_child_that_is_not_a_village_is_refused(tiers):
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    with pytest.raises(IssuanceRefused, match="must enroll its own CA"):
        tiers.authorities[COUNTY].issue(make_csr(key, TOWNSHIP, TLS), TLS)


def test_certificate_for_a_code_outside_the_subtree_is_refused(tiers):
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    with pytest.raises(IssuanceRefused, match="outside its subtree"):
        tiers.authorities[COUNTY].issue(make_csr(key, "430903000000", TLS), TLS)
    with pytest.raises(IssuanceRefused, match="outside its subtree"):
        tiers.authorities[CITY].issue(make_csr(key, "430100000000", CA), CA)


def test_csr_with_a_bad_signature_is_refused(tiers):
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    der = bytearray(make_csr(key, VILLAGE, TLS).public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01  # the last byte of the signature
    tampered = x509.load_der_x509_csr(bytes(der))
    with pytest.raises(IssuanceRefused, match="signature does not verify"):
        tiers.authorities[TOWNSHIP].issue(tampered, TLS)


def test_csr_without_a_division_code_is_refused(tiers):
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    bare = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, VILLAGE)]))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(IssuanceRefused, match="division code"):
        tiers.authorities[TOWNSHIP].issue(bare, TLS)


def test_tls_and_ca_keys_must_be_p256(tiers):
    ed_key = generate_key(Algorithm.ED25519)
    with pytest.raises(ValueError, match="P-256"):
        make_csr(ed_key, VILLAGE, TLS)
    # a seal CSR may hold Ed25519, but it cannot be turned into a TLS certificate
    seal_csr = make_csr(ed_key, VILLAGE, SEAL, holder="样例村民委员会", department="村委会")
    with pytest.raises(IssuanceRefused, match="P-256"):
        tiers.authorities[TOWNSHIP].issue(seal_csr, TLS)


def test_seal_request_must_name_holder_and_department():
    with pytest.raises(ValueError, match="holder"):
        make_csr(generate_key(Algorithm.ED25519), VILLAGE, SEAL)


def test_village_authority_issues_nothing(tiers: Tiers) -> None:
    township = tiers.authorities[TOWNSHIP]
    village_key, village_certificate = tiers.tls[VILLAGE]
    impostor = Authority(village_key, village_certificate, township.full_chain())  # type: ignore[arg-type]
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    with pytest.raises(IssuanceRefused, match="issue none"):
        impostor.issue(make_csr(key, VILLAGE, TLS), TLS)


def test_expired_authority_refuses_to_issue(tiers):
    county = tiers.authorities[COUNTY]
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    later = county.certificate.not_valid_after_utc + timedelta(days=1)
    with pytest.raises(IssuanceRefused, match="expired"):
        county.issue(make_csr(key, COUNTY, TLS), TLS, now=later)


def test_division_code_must_agree_with_the_subject(tiers):
    county = tiers.authorities[COUNTY]
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    now = datetime.now(UTC)
    forged = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, "430981006000")]))
        .issuer_name(county.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.UnrecognizedExtension(DIVISION_CODE_OID, asn1.encode_der(COUNTY)), critical=False)
        .sign(county.key, hashes.SHA256())
    )
    with pytest.raises(ValueError, match="disagrees"):
        division_code_of(forged)


def test_crl_lists_revoked_serials_with_number_and_issuer(tiers):
    county = tiers.authorities[COUNTY]
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    crl = county.make_crl([(1234, when)], number=7)
    assert crl.is_signature_valid(county.key.public_key())
    assert crl.issuer == county.certificate.subject
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    entry = crl.get_revoked_certificate_by_serial_number(1234)
    assert entry is not None and entry.revocation_date_utc == when
    assert crl.get_revoked_certificate_by_serial_number(4321) is None


def test_only_a_province_certifies_its_own_catalogue_release_key(tiers):
    _, certificate = end_entity(tiers.root, PROVINCE, CertificatePurpose.CATALOG)
    assert purpose_of(certificate) is CertificatePurpose.CATALOG
    assert TrustStore([tiers.root.certificate]).verify_chain(certificate, [], CertificatePurpose.CATALOG)
    with pytest.raises(IssuanceRefused, match="only a province certifies"):
        end_entity(tiers.authorities[COUNTY], COUNTY, CertificatePurpose.CATALOG)
    with pytest.raises(IssuanceRefused, match="only a province certifies"):
        end_entity(tiers.root, CITY, CertificatePurpose.CATALOG)
    _, seal = end_entity(tiers.root, PROVINCE, SEAL)
    with pytest.raises(ChainRejected, match="not for catalog"):  # a seal key cannot sign releases
        TrustStore([tiers.root.certificate]).verify_chain(seal, [], CertificatePurpose.CATALOG)


def test_ca_certificates_allow_only_the_tiers_below_them(tiers):
    expected = {PROVINCE: 3, CITY: 2, COUNTY: 1, TOWNSHIP: 0}
    for code, authority in tiers.authorities.items():
        constraints = authority.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical
        assert constraints.value.path_length == expected[code]


def test_a_ca_minted_below_a_township_is_refused(tiers):
    """A township's CA key signs a CA certificate by hand: its pathLen 0 forbids any CA below it."""
    township = tiers.authorities[TOWNSHIP]
    rogue_key = generate_key(Algorithm.ECDSA_P256_SHA256)
    now = datetime.now(UTC)

    def certificate(subject_key, issuer_name, signer, ca: bool) -> x509.Certificate:
        authority = x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "伪造"),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, VILLAGE),
            ]
        )
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(subject_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.UnrecognizedExtension(DIVISION_CODE_OID, asn1.encode_der(VILLAGE)), False)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), False)
            .add_extension(authority, False)
            .add_extension(
                x509.KeyUsage(ca, False, False, False, False, ca, ca, False, False)
                if ca
                else x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                False,
            )
            .sign(signer, hashes.SHA256())
        )

    rogue_ca = certificate(rogue_key, township.certificate.subject, township.key, ca=True)
    leaf_key = generate_key(Algorithm.ECDSA_P256_SHA256)
    leaf = certificate(leaf_key, rogue_ca.subject, rogue_key, ca=False)
    with pytest.raises(ChainRejected, match=r"(?i)path ?len|basic ?constraints|path length"):
        TrustStore([tiers.root.certificate]).verify_chain(leaf, [rogue_ca, *township.full_chain()[:-1]], TLS)
