"""An SM2 province (`--seal-algorithm sm2`): its SM2 seal tree beside the P-256 link tree, enrolled
over real gRPC, seals made at every tier, SM2 CRLs, and OpenSSL's view of the chain."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from node.store.models import RevocationList
from signing.algorithms import Algorithm
from signing.pki import CertificatePurpose, IssuanceRefused, make_csr
from signing.seals import STEP_REVOCATION
from signing.seals import verify as verify_sealed
from signing.ses import SES_Signature, SESeal
from signing.sm2x509 import (
    SM2PrivateKey,
    build_certificate,
    is_sm2_signed,
    is_sm2_signed_crl,
    sm2_public_key_of,
)
from signing.trust import ChainRejected, TrustStore
from tests.conftest import node_databases
from tests.harness import (
    GD_CHAIN,
    GD_CITY,
    GD_COUNTY,
    GD_PROVINCE,
    GD_TOWNSHIP,
    GD_VILLAGE,
    FederationHarness,
    wait_for,
)
from wuji.divisions import Tier
from wuji.v1 import desk_pb2

_PEM = serialization.Encoding.PEM
DISTID = "distid:1234567812345678"  # GM/T 0009's default signer ID, which wuji signs with


@pytest.fixture(scope="module")
def guangdong(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FederationHarness]:
    """广东, five tiers, sealing with SM2: every node enrolled for real over its parent's gRPC port."""
    databases = contextlib.ExitStack()
    harness = FederationHarness(
        tmp_path_factory.mktemp("sm2-tree"), database_for=node_databases(request, databases)
    )
    try:
        harness.start(GD_PROVINCE, seal_algorithm="sm2")
        harness.start_chain(GD_CHAIN[1:])
        yield harness
    finally:
        harness.stop_all()
        databases.close()


def test_an_sm2_province_enrols_its_tree_with_an_sm2_seal_ca_beside_each_p256_ca(guangdong):
    nodes = [guangdong.nodes[code] for code in GD_CHAIN]
    seal_root = nodes[0].identity.seal_authority.certificate
    trust = TrustStore(nodes[0].identity.document_roots)
    for node, parent in zip(nodes[:-1], [None, *nodes[:-2]], strict=True):
        identity = node.identity
        assert sm2_public_key_of(identity.authority.certificate) is None  # links stay ECDSA P-256
        seal_ca = identity.seal_authority.certificate
        assert sm2_public_key_of(seal_ca) is not None and is_sm2_signed(seal_ca)
        expected_issuer = (
            seal_ca.subject if parent is None else parent.identity.seal_authority.certificate.subject
        )
        assert seal_ca.issuer == expected_issuer
        assert seal_ca.subject != identity.authority.certificate.subject  # issuer names tell the trees apart
        path_length = seal_ca.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length
        assert path_length == Tier.TOWNSHIP - node.here.tier
        path = trust.verify_chain(seal_ca, identity.seal_authority.chain, CertificatePurpose.CA)
        assert path[-1] == seal_root
        assert identity.seal_roots == [seal_root]
    village = nodes[-1].identity
    assert village.seal_authority is None and village.seal_roots == [seal_root]


def test_a_county_seals_in_sm2_by_default_with_its_seal_ca_as_maker(guangdong):
    county = guangdong.nodes[GD_COUNTY]
    with county.sessions.begin() as session:
        county.seals.create(session, "南山区民政局", "民政局", "业务专用章")
        seal = county.seals.seal_for(session, "民政局")
    assert seal is not None and seal.algorithm is Algorithm.SM2_SM3
    assert seal.chain == county.identity.seal_authority.full_chain()
    maker = x509.load_der_x509_certificate(SESeal.load(seal.ses_seal)["cert"].native)
    assert maker == county.identity.seal_authority.certificate

    document = seal.apply('{"result": "准予"}'.encode(), timestamp=county.timestamping.stamp)
    check = verify_sealed(document.to_bytes(), guangdong.nodes[GD_VILLAGE].trust_store())
    assert check.valid, f"{check.step}: {check.reason}"
    assert check.standard == "GB/T 38540 SES_Signature valid"
    # the P-256 link root alone does not vouch for an SM2 seal: only the SM2 seal root does
    link_only = verify_sealed(document.to_bytes(), TrustStore(guangdong.nodes[GD_VILLAGE].identity.roots))
    assert not link_only.valid


def test_a_village_sm2_seal_is_certified_and_made_by_its_townships_seal_ca(guangdong):
    village = guangdong.nodes[GD_VILLAGE]
    with village.sessions.begin() as session:
        village.seals.create(session, "样例社区居民委员会", "居委会", "公章")
        seal = village.seals.seal_for(session, "居委会")
    assert seal is not None and seal.algorithm is Algorithm.SM2_SM3
    township_seal_ca = guangdong.nodes[GD_TOWNSHIP].identity.seal_authority.certificate
    assert seal.certificate.issuer == township_seal_ca.subject
    assert seal.ses_seal, "the township makes the village seal's SESeal"
    maker = x509.load_der_x509_certificate(SESeal.load(seal.ses_seal)["cert"].native)
    assert maker == township_seal_ca

    document = seal.apply(b'{"proof": "1"}', timestamp=village.timestamping.stamp)
    assert SES_Signature.load(document.ses_signature)["timeStamp"].native
    check = verify_sealed(document.to_bytes(), guangdong.nodes[GD_CITY].trust_store())
    assert check.valid, f"{check.step}: {check.reason}"
    assert check.standard == "GB/T 38540 SES_Signature valid"


def test_seal_cas_follow_the_tier_rules(guangdong):
    township = guangdong.nodes[GD_TOWNSHIP].identity.seal_authority
    county = guangdong.nodes[GD_COUNTY].identity.seal_authority
    key = SM2PrivateKey.generate()
    # a township's seal CA certifies no CA below it (pathLen 0), nor anything outside its subtree
    with pytest.raises(IssuanceRefused, match="village"):
        township.issue(make_csr(key, GD_VILLAGE, CertificatePurpose.CA, "x"), CertificatePurpose.CA)
    with pytest.raises(IssuanceRefused, match="outside its subtree"):
        county.issue(make_csr(key, "440306001000", CertificatePurpose.CA, "x"), CertificatePurpose.CA)
    # a city seal CA made (by hand, past those checks) to certify a county's seal: every verifier
    # refuses it, as it would a P-256 one
    city = guangdong.nodes[GD_CITY].identity.seal_authority
    county_seal = county.certify_sm2(
        key.public_key(), GD_COUNTY, CertificatePurpose.SEAL, "x", holder="h", department="d"
    )
    forged = build_certificate(
        subject=county_seal.subject,
        issuer=city.certificate.subject,
        public_key=key.public_key(),
        serial=x509.random_serial_number(),
        not_before=county_seal.not_valid_before_utc,
        not_after=county_seal.not_valid_after_utc,
        extensions=[(extension.value, extension.critical) for extension in county_seal.extensions],
        signer=city.key,
    )
    trust = TrustStore(guangdong.nodes[GD_PROVINCE].identity.document_roots)
    trust.verify_chain(county_seal, county.full_chain()[:-1], CertificatePurpose.SEAL)
    with pytest.raises(ChainRejected, match=f"was issued by {GD_CITY}"):
        trust.verify_chain(forged, city.full_chain()[:-1], CertificatePurpose.SEAL)


def test_a_revoked_sm2_seal_certificate_is_refused_with_the_reason(guangdong):
    county, village = guangdong.nodes[GD_COUNTY], guangdong.nodes[GD_VILLAGE]
    with county.sessions.begin() as session:
        county.seals.create(session, "南山区市场监督管理局", "市场监督管理局", "业务专用章")
        seal = county.seals.seal_for(session, "市场监督管理局")
    before = seal.apply(b'{"result": "before"}', timestamp=county.timestamping.stamp)
    time.sleep(1.1)  # certificate and CRL times have whole seconds: keep "before" strictly before

    revoked, _ = county.revoke(format(seal.certificate.serial_number, "x"))
    assert revoked >= 1
    key = f"{GD_COUNTY}:sm2"

    def village_knows_the_sm2_crl() -> x509.CertificateRevocationList | None:
        with village.readers() as session:
            stored = session.get(RevocationList, key)
            return x509.load_der_x509_crl(stored.der) if stored else None

    crl = wait_for(village_knows_the_sm2_crl, what="the county's SM2 CRL at the village")
    assert is_sm2_signed_crl(crl)
    assert crl.get_revoked_certificate_by_serial_number(seal.certificate.serial_number) is not None

    after = seal.apply(b'{"result": "after"}', timestamp=county.timestamping.stamp)
    refused = verify_sealed(after.to_bytes(), village.trust_store())
    assert not refused.valid and refused.step == STEP_REVOCATION
    assert "revoked" in refused.reason and GD_COUNTY in refused.reason
    earlier = verify_sealed(before.to_bytes(), village.trust_store())  # attested before the revocation
    assert earlier.valid, earlier.reason


def _openssl_with_sm2() -> str:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    probe = subprocess.run([openssl, "list", "-signature-algorithms"], capture_output=True, text=True)
    if "SM2" not in probe.stdout.upper():
        pytest.skip("this openssl has no SM2")
    return openssl


def test_openssl_verify_accepts_a_village_seal_chain_of_the_sm2_tree(guangdong, tmp_path: Path):
    """OpenSSL 3 computes SM2's Z with an empty signer ID unless given `-vfyopt distid:…`, and
    applies that option to the certificate it is asked about only, never to the intermediates
    above it: so each link is checked with its issuer as the (partial-chain) anchor."""
    openssl = _openssl_with_sm2()
    village = guangdong.nodes[GD_VILLAGE]
    with village.sessions.begin() as session:
        seal = village.seals.seal_for(session, "居委会") or village.seals.seal_for(session, "公章")
        if seal is None:
            village.seals.create(session, "样例社区居民委员会", "居委会", "公章")
            seal = village.seals.seal_for(session, "居委会")
    chain = [seal.certificate, *seal.chain]
    assert len(chain) == 5 and chain[-1] == guangdong.nodes[GD_PROVINCE].identity.seal_roots[0]
    files = []
    for index, certificate in enumerate(chain):
        files.append(tmp_path / f"{index}.pem")
        files[-1].write_bytes(certificate.public_bytes(_PEM))
    for subject, issuer in pairwise(files):
        partial = [] if issuer == files[-1] else ["-partial_chain"]
        accepted = subprocess.run(
            [openssl, "verify", "-vfyopt", DISTID, *partial, "-CAfile", str(issuer), str(subject)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert accepted.returncode == 0 and ": OK" in accepted.stdout, accepted.stdout + accepted.stderr
    # the signatures really are over Z with GM/T 0009's ID: without it the leaf does not verify
    plain = subprocess.run(
        [openssl, "verify", "-partial_chain", "-CAfile", str(files[1]), str(files[0])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain.returncode != 0


def test_a_seal_made_at_the_desk_without_an_algorithm_follows_the_provinces_choice(guangdong):
    made = guangdong.desk(GD_TOWNSHIP).CreateSeal(
        desk_pb2.CreateSealRequest(holder="粤海街道办事处", department="综合窗口", kind="业务专用章")
    )
    assert made.algorithm == "sm2-sm3"
    named = guangdong.desk(GD_TOWNSHIP).CreateSeal(
        desk_pb2.CreateSealRequest(
            holder="粤海街道办事处", department="档案室", kind="业务专用章", algorithm="ecdsa-p256-sha256"
        )
    )
    assert named.algorithm == "ecdsa-p256-sha256"
