"""Chain verification: the library's path checks plus wuji's tier rules, purposes and revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.algorithms import Algorithm, generate_key
from signing.pki import (
    DIVISION_CODE_OID,
    Authority,
    CertificatePurpose,
    IssuanceRefused,
    division_code_of,
    make_csr,
)
from signing.trust import ChainRejected, TrustStore
from tests.signing.test_pki import (
    CITY,
    COUNTY,
    PROVINCE,
    TOWNSHIP,
    VILLAGE,
    Tiers,
    build_tiers,
    child_authority,
    end_entity,
)

CA, TLS, SEAL = CertificatePurpose.CA, CertificatePurpose.TLS, CertificatePurpose.SEAL
ALL_TIERS = [PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE]


@pytest.fixture(scope="module")
def tiers() -> Tiers:
    return build_tiers()


@pytest.fixture
def trust(tiers) -> TrustStore:
    return TrustStore([tiers.root.certificate])


def codes(path: list[x509.Certificate]) -> list[str]:
    return [division_code_of(certificate) for certificate in path]


def craft(
    issuer: Authority, code: str, *, ca: bool, extra: x509.ExtensionType | None = None
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A certificate built by hand with the issuer's key, bypassing Authority's rules."""
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    issuer_key = issuer.key
    # cryptography's builder takes P-256 keys, not SM2: these trees are ECDSA's
    assert isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                    x509.NameAttribute(NameOID.COMMON_NAME, code),
                    x509.NameAttribute(NameOID.SERIAL_NUMBER, code),
                ]
            )
        )
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.UnrecognizedExtension(DIVISION_CODE_OID, asn1.encode_der(code)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
        builder = builder.add_extension(usage, critical=True).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
    if extra is not None:
        builder = builder.add_extension(extra, critical=True)
    return key, builder.sign(issuer_key, hashes.SHA256())


def rejection(trust: TrustStore, leaf, intermediates, purpose=TLS, **options) -> str:
    with pytest.raises(ChainRejected) as rejected:
        trust.verify_chain(leaf, intermediates, purpose, **options)
    assert str(rejected.value) == rejected.value.reason
    return rejected.value.reason


@pytest.mark.parametrize("code", ALL_TIERS)
def test_each_tier_tls_certificate_verifies_to_the_province_root(tiers, trust, code):
    _, certificate = tiers.tls[code]
    chain = tiers.issuer_of(code).full_chain()
    path = trust.verify_chain(certificate, chain, TLS)
    assert path == [certificate, *chain]
    assert codes(path)[-1] == PROVINCE


@pytest.mark.parametrize("algorithm", [Algorithm.ED25519, Algorithm.ECDSA_P256_SHA256])
@pytest.mark.parametrize("code", [VILLAGE, COUNTY, PROVINCE])
def test_seal_certificates_verify_for_either_algorithm(tiers, trust, code, algorithm):
    issuer = tiers.issuer_of(code)
    _, seal = end_entity(issuer, code, SEAL, algorithm)
    path = trust.verify_chain(seal, issuer.full_chain(), SEAL)
    assert path[0] == seal and path[-1] == tiers.root.certificate


def test_a_ca_certificate_verifies_as_a_ca(tiers, trust):
    township = tiers.authorities[TOWNSHIP]
    assert codes(trust.verify_chain(township.certificate, township.chain, CA)) == [
        TOWNSHIP,
        COUNTY,
        CITY,
        PROVINCE,
    ]


def test_a_village_acting_as_a_ca_is_refused(tiers: Tiers, trust: TrustStore) -> None:
    township = tiers.authorities[TOWNSHIP]
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    with pytest.raises(IssuanceRefused, match="never a CA"):
        township.issue(make_csr(key, VILLAGE, CA), CA)

    village_key, village_ca = craft(township, VILLAGE, ca=True)
    village = Authority(village_key, village_ca, township.full_chain())
    _, leaf = craft(village, "430981006003", ca=False)
    reason = rejection(trust, leaf, village.full_chain())
    # the township's pathLen 0 stops it in path validation; were it absent, the tier rule would
    assert "430981006003" in reason
    assert "path length constraint violated" in reason or (
        f"certificate {VILLAGE} (村) is a CA certificate" in reason and "village may never be a CA" in reason
    )


def test_a_code_outside_its_issuers_subtree_is_refused(tiers, trust):
    county = tiers.authorities[COUNTY]
    _, stray = craft(county, "430903000000", ca=False)
    reason = rejection(trust, stray, county.full_chain())
    assert reason == f"430903000000 is not within its issuer {COUNTY}'s subtree"


def test_a_ca_skipping_a_tier_is_refused(tiers, trust):
    city = tiers.authorities[CITY]
    _, township_ca = craft(city, TOWNSHIP, ca=True)
    reason = rejection(trust, township_ca, city.full_chain(), CA)
    assert reason == f"CA certificate {TOWNSHIP} (乡镇) must be issued by its parent {COUNTY}, not by {CITY}"


def test_an_end_entity_certificate_from_an_ancestor_that_is_not_its_ca_is_refused(tiers, trust):
    county = tiers.authorities[COUNTY]
    _, township_tls = craft(county, TOWNSHIP, ca=False)
    reason = rejection(trust, township_tls, county.full_chain())
    assert f"end-entity certificate {TOWNSHIP} was issued by {COUNTY}" in reason


def test_an_expired_certificate_is_refused(tiers, trust):
    township = tiers.authorities[TOWNSHIP]
    past = datetime.now(UTC) - timedelta(days=400)
    _, old = end_entity(township, VILLAGE, TLS, valid_days=30, now=past)
    reason = rejection(trust, old, township.full_chain())
    expiry = old.not_valid_after_utc
    assert reason == f"certificate {VILLAGE} (村) expired on {expiry:%Y-%m-%d %H:%M} UTC"


def test_a_certificate_not_yet_valid_is_refused(tiers, trust):
    township = tiers.authorities[TOWNSHIP]
    _, certificate = tiers.tls[VILLAGE]
    before = certificate.not_valid_before_utc - timedelta(days=1)
    reason = rejection(trust, certificate, township.full_chain(), at=before)
    assert reason.startswith(f"certificate {VILLAGE} (村) is not valid before ")


def test_a_revoked_certificate_is_refused_once_its_issuers_crl_is_known(tiers, trust):
    township = tiers.authorities[TOWNSHIP]
    _, certificate = end_entity(township, VILLAGE, TLS)
    chain = township.full_chain()
    assert trust.verify_chain(certificate, chain, TLS)  # no CRL known: not an error

    revoked_at = datetime.now(UTC) - timedelta(hours=1)
    trust.add_crl(township.make_crl([(certificate.serial_number, revoked_at)], number=1))
    reason = rejection(trust, certificate, chain)
    assert f"certificate {VILLAGE} (村, serial 0x{certificate.serial_number:x}) was revoked on" in reason
    assert f"{revoked_at:%Y-%m-%d %H:%M} UTC" in reason
    assert trust.verify_chain(certificate, chain, TLS, check_revocation=False)


def test_revoking_a_ca_refuses_everything_below_it(tiers):
    county = tiers.authorities[COUNTY]
    township = tiers.authorities[TOWNSHIP]
    crl = county.make_crl([(township.certificate.serial_number, datetime.now(UTC))], number=1)
    trust = TrustStore([tiers.root.certificate], [crl])
    _, village_tls = tiers.tls[VILLAGE]
    reason = rejection(trust, village_tls, township.full_chain())
    assert f"certificate {TOWNSHIP} (乡镇, serial 0x{township.certificate.serial_number:x})" in reason


def test_a_seal_revoked_after_signing_still_verifies_at_signing_time(tiers, trust):
    township = tiers.authorities[TOWNSHIP]
    _, seal = end_entity(
        township, VILLAGE, SEAL, Algorithm.ED25519, now=datetime.now(UTC) - timedelta(days=1)
    )
    chain = township.full_chain()
    signed_at = datetime.now(UTC) - timedelta(hours=2)
    revoked_at = datetime.now(UTC) - timedelta(hours=1)
    trust.add_crl(township.make_crl([(seal.serial_number, revoked_at)], number=1))

    path = trust.verify_chain(seal, chain, SEAL, at=signed_at, revoked_before=signed_at)
    assert path[0] == seal
    assert "was revoked on" in rejection(trust, seal, chain, SEAL)  # sealing now is refused
    sealed_later = revoked_at + timedelta(minutes=1)
    assert "was revoked on" in rejection(trust, seal, chain, SEAL, at=sealed_later)


def test_a_tls_certificate_is_not_a_seal(tiers, trust):
    _, certificate = tiers.tls[VILLAGE]
    reason = rejection(trust, certificate, tiers.issuer_of(VILLAGE).full_chain(), SEAL)
    assert reason == f"certificate {VILLAGE} (村) is certified for tls, not for seal"


def test_a_seal_is_not_a_tls_certificate(tiers, trust):
    _, seal = end_entity(tiers.authorities[COUNTY], COUNTY, SEAL)
    reason = rejection(trust, seal, tiers.authorities[COUNTY].full_chain(), TLS)
    assert reason == f"certificate {COUNTY} (县) is certified for seal, not for tls"


def test_a_chain_from_another_provinces_root_is_refused(tiers, trust):
    guangdong = Authority.create_root("440000000000", "广东省")
    _, tls = end_entity(guangdong, "440000000000", TLS)
    assert rejection(trust, tls, []) == "no trusted root for province 440000000000"
    reason = rejection(trust, tls, [guangdong.certificate])
    assert reason.startswith("no trusted root for province 440000000000: the chain ends at the self-signed")

    partner = TrustStore([tiers.root.certificate, guangdong.certificate])  # roots exchanged
    assert codes(partner.verify_chain(tls, [], TLS)) == ["440000000000", "440000000000"]


def test_a_missing_intermediate_is_named(tiers, trust):
    _, certificate = tiers.tls[VILLAGE]
    chain = tiers.authorities[TOWNSHIP].full_chain()
    reason = rejection(trust, certificate, chain[1:])
    assert reason == f"incomplete chain: CA {TOWNSHIP}, which issued certificate {VILLAGE} (村), is missing"


def test_a_certificate_signed_by_an_impostor_key_is_refused(tiers: Tiers, trust: TrustStore) -> None:
    township = tiers.authorities[TOWNSHIP]
    impostor = Authority(generate_key(Algorithm.ECDSA_P256_SHA256), township.certificate, township.chain)  # type: ignore[arg-type]
    _, forged = craft(impostor, VILLAGE, ca=False)
    reason = rejection(trust, forged, township.full_chain())
    assert (
        reason == f"certificate {VILLAGE} (村) does not verify with the key of certificate {TOWNSHIP} (乡镇)"
    )


def test_other_library_refusals_name_the_certificate_and_keep_the_library_text(tiers, trust):
    township = tiers.authorities[TOWNSHIP]
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00")
    _, odd = craft(township, VILLAGE, ca=False, extra=unknown)
    reason = rejection(trust, odd, township.full_chain())
    assert reason.startswith(f"certificate {VILLAGE} (村) failed path validation: validation failed")


def test_a_forged_crl_is_never_used(tiers: Tiers, trust: TrustStore) -> None:
    township = tiers.authorities[TOWNSHIP]
    _, certificate = end_entity(township, VILLAGE, TLS)
    impostor = Authority(generate_key(Algorithm.ECDSA_P256_SHA256), township.certificate, township.chain)  # type: ignore[arg-type]
    trust.add_crl(impostor.make_crl([(certificate.serial_number, datetime.now(UTC))], number=99))
    assert trust.verify_chain(certificate, township.full_chain(), TLS)
    assert trust.crls == []


def test_a_crl_waits_until_its_issuer_is_seen_and_a_newer_one_replaces_it(tiers, trust):
    township = tiers.authorities[TOWNSHIP]
    chain = township.full_chain()
    _, first = end_entity(township, VILLAGE, TLS)
    _, second = end_entity(township, VILLAGE, TLS)
    now = datetime.now(UTC)
    older = township.make_crl([(first.serial_number, now)], number=1)
    newer = township.make_crl([(first.serial_number, now), (second.serial_number, now)], number=2)

    trust.add_crl(older)
    assert trust.crls == []  # the township's CA certificate is not known yet: pending, not trusted
    assert "was revoked" in rejection(trust, first, chain)
    assert trust.crls == [older]
    assert trust.verify_chain(second, chain, TLS)

    trust.add_crl(newer)
    assert trust.crls == [newer]
    assert "was revoked" in rejection(trust, second, chain)
    trust.add_crl(older)  # an older list does not bring back an older state
    assert trust.crls == [newer]


def test_only_province_roots_are_accepted_as_roots(tiers):
    with pytest.raises(ChainRejected, match="not a wuji root"):
        TrustStore([tiers.authorities[CITY].certificate])
    _, tls = tiers.tls[PROVINCE]
    with pytest.raises(ChainRejected):
        TrustStore().add_root(tls)


def test_an_empty_store_trusts_nothing(tiers):
    _, certificate = tiers.tls[COUNTY]
    assert "no trusted roots" in rejection(TrustStore(), certificate, tiers.authorities[COUNTY].full_chain())


def test_a_fresh_chain_built_elsewhere_in_the_province_verifies(tiers, trust):
    other_city = child_authority(tiers.root, "430100000000", "长沙市")
    _, tls = end_entity(other_city, "430100000000", TLS)
    assert codes(trust.verify_chain(tls, other_city.full_chain(), TLS)) == [
        "430100000000",
        "430100000000",
        PROVINCE,
    ]


# -- the verdict cache: a repeated chain skips path building, never revocation or validity ----------


def test_a_certificate_revoked_after_its_chain_was_cached_is_refused(tiers, trust):
    township = tiers.authorities[TOWNSHIP]
    _, seal = end_entity(township, VILLAGE, SEAL, now=datetime.now(UTC) - timedelta(days=1))
    chain = township.full_chain()
    signed_at = datetime.now(UTC) - timedelta(hours=2)
    assert trust.verify_chain(seal, chain, SEAL)
    assert trust.verify_chain(seal, chain, SEAL, at=signed_at)  # served from the cache

    revoked_at = datetime.now(UTC) - timedelta(hours=1)
    trust.add_crl(township.make_crl([(seal.serial_number, revoked_at)], number=1))
    reason = rejection(trust, seal, chain, SEAL)
    assert f"certificate {VILLAGE} (村, serial 0x{seal.serial_number:x}) was revoked on" in reason
    # the same cached chain still holds for a document sealed before the revocation
    assert trust.verify_chain(seal, chain, SEAL, at=signed_at, revoked_before=signed_at)


def test_revoking_a_ca_refuses_a_cached_chain_below_it(tiers, trust):
    county, township = tiers.authorities[COUNTY], tiers.authorities[TOWNSHIP]
    _, village_tls = tiers.tls[VILLAGE]
    assert trust.verify_chain(village_tls, township.full_chain(), TLS)
    trust.add_crl(county.make_crl([(township.certificate.serial_number, datetime.now(UTC))], number=7))
    reason = rejection(trust, village_tls, township.full_chain())
    assert f"certificate {TOWNSHIP} (乡镇, serial 0x{township.certificate.serial_number:x})" in reason


def test_a_different_chain_is_not_served_from_the_cache(tiers: Tiers, trust: TrustStore) -> None:
    township = tiers.authorities[TOWNSHIP]
    chain = township.full_chain()
    _, genuine = craft(township, VILLAGE, ca=False)
    assert trust.verify_chain(genuine, chain, TLS)

    impostor = Authority(generate_key(Algorithm.ECDSA_P256_SHA256), township.certificate, township.chain)  # type: ignore[arg-type]
    _, forged = craft(impostor, VILLAGE, ca=False)
    assert "does not verify with the key of" in rejection(trust, forged, chain)
    assert "incomplete chain" in rejection(trust, genuine, chain[1:])
    assert "is certified for tls, not for seal" in rejection(trust, genuine, chain, SEAL)


def test_a_cached_chain_is_checked_afresh_outside_its_validity(tiers, trust):
    township = tiers.authorities[TOWNSHIP]
    _, certificate = end_entity(township, VILLAGE, TLS, valid_days=30)
    chain = township.full_chain()
    assert trust.verify_chain(certificate, chain, TLS)
    later = certificate.not_valid_after_utc + timedelta(days=1)
    assert rejection(trust, certificate, chain, at=later).startswith(f"certificate {VILLAGE} (村) expired on")
    earlier = certificate.not_valid_before_utc - timedelta(days=1)
    assert "is not valid before" in rejection(trust, certificate, chain, at=earlier)


def test_a_fresh_store_revokes_a_chain_another_store_has_cached(tiers):
    """Nodes build a store per check with the CRLs of the moment: a verdict shared between stores
    must still meet the new store's CRLs, including one waiting for its issuer to be seen."""
    township = tiers.authorities[TOWNSHIP]
    _, certificate = end_entity(township, VILLAGE, TLS)
    chain = township.full_chain()
    assert TrustStore([tiers.root.certificate]).verify_chain(certificate, chain, TLS)

    crl = township.make_crl([(certificate.serial_number, datetime.now(UTC) - timedelta(minutes=1))], number=1)
    fresh = TrustStore([tiers.root.certificate], [crl])  # the township's CA is unknown: the CRL waits
    assert fresh.crls == []
    assert "was revoked on" in rejection(fresh, certificate, chain)
    assert fresh.crls == [crl]
    assert TrustStore([tiers.root.certificate]).verify_chain(certificate, chain, TLS)  # no CRL: fine


def test_a_store_with_other_roots_is_not_served_another_stores_verdict(tiers):
    guangdong = Authority.create_root("440000000000", "广东省")
    _, tls = end_entity(guangdong, "440000000000", TLS)
    partner = TrustStore([tiers.root.certificate, guangdong.certificate])
    assert partner.verify_chain(tls, [], TLS)
    assert (
        rejection(TrustStore([tiers.root.certificate]), tls, [])
        == "no trusted root for province 440000000000"
    )
