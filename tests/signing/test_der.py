"""The strict DER reader time-stamp tokens are read with: what DER allows is read, anything else is
refused with a reason, and a damaged token is refused as malformed, never with a stray exception."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from asn1crypto import cms, core
from cryptography.hazmat.primitives import serialization

from signing.der import (
    INTEGER,
    SEQUENCE,
    DerError,
    generalized_time,
    integer,
    oid,
    oid_contents,
    parse,
)
from signing.timestamps import TimestampRejected, read_token, verify_token
from signing.trust import TrustStore
from tests.signing.test_pki import build_tiers
from tests.signing.test_timestamps import province_tsa

DATA = b"the signature of a sealed result"


@pytest.fixture(scope="module")
def stamped() -> tuple[bytes, TrustStore]:
    tiers = build_tiers()
    token = province_tsa(tiers).stamp(hashlib.sha256(DATA).digest(), nonce=99)
    return token, TrustStore([tiers.root.certificate])


def test_a_sequence_is_read_field_by_field():
    encoded = core.Sequence.load(bytes.fromhex("3006020105020180")).dump()  # SEQUENCE { 5, -128 }
    fields = parse(encoded).expect(SEQUENCE, "pair").fields("pair")
    assert integer(fields.take(INTEGER, "first"), "first") == 5
    assert integer(fields.take(INTEGER, "second"), "second") == -128
    fields.end()


@pytest.mark.parametrize(
    ("encoding", "problem"),
    [
        ("3080020105 0000", "indefinite length"),
        ("308103020105", "not minimally encoded"),  # a long-form length for 3 bytes
        ("3003020105 00", "follow the encoding"),
        ("300102", "truncated"),  # a child with no length byte
        ("3005020105", "runs past"),
        ("1f0100", "multi-byte tag"),
        ("30", "truncated"),
        ("", "truncated"),
    ],
)
def test_malformed_encodings_are_refused(encoding, problem):
    with pytest.raises(DerError, match=problem):
        element = parse(bytes.fromhex(encoding.replace(" ", "")))
        list(element.children())


@pytest.mark.parametrize("value", ["020200 05", "0202ff80", "0200"])
def test_integers_must_be_minimal(value):
    with pytest.raises(DerError, match="INTEGER"):
        integer(parse(bytes.fromhex(value.replace(" ", ""))), "value")


def test_object_identifiers_read_as_encoded():
    for dotted in ("1.2.840.113549.1.9.16.1.4", "2.25.126439335398916702282658546578452400510", "2.999.1"):
        encoded = core.ObjectIdentifier(dotted).dump()
        assert oid(parse(encoded), "oid") == dotted
        assert oid_contents(dotted) == encoded[2:]
    with pytest.raises(DerError, match="minimally"):
        oid(parse(bytes.fromhex("06032a8001")), "oid")  # an arc with a leading zero group
    with pytest.raises(DerError, match="truncated"):
        oid(parse(bytes.fromhex("06022a86")), "oid")


def test_generalized_time_in_der_form_only():
    def read(text: str) -> datetime:
        return generalized_time(parse(b"\x18" + bytes([len(text)]) + text.encode()), "time")

    assert read("20261205161539Z") == datetime(2026, 12, 5, 16, 15, 39, tzinfo=UTC)
    assert read("20261205161539.25Z") == datetime(2026, 12, 5, 16, 15, 39, 250000, tzinfo=UTC)
    for wrong in ("20261205161539", "20261205161539+0800", "20261205161539.250Z", "20261305161539Z"):
        with pytest.raises(DerError):
            read(wrong)


def test_a_token_reads_as_asn1crypto_reads_it(stamped):
    der, _ = stamped
    token = read_token(der)
    signed = cms.ContentInfo.load(der)["content"]  # asn1crypto's reading of the same bytes
    tst = signed["encap_content_info"]["content"].parsed
    assert token.signature == signed["signer_infos"][0]["signature"].native
    assert token.signer.serial_number == signed["signer_infos"][0]["sid"].chosen["serial_number"].native
    assert (token.gen_time, token.serial) == (tst["gen_time"].native, tst["serial_number"].native)
    assert token.imprint == tst["message_imprint"]["hashed_message"].native == hashlib.sha256(DATA).digest()
    assert token.imprint_algorithm == "sha256" and token.content_digest_ok and token.names_signer


def test_every_truncation_of_a_token_is_refused_as_malformed(stamped):
    der, _ = stamped
    for length in range(len(der)):
        with pytest.raises(TimestampRejected, match=r"malformed|not a time-stamp token"):
            read_token(der[:length])
    with pytest.raises(TimestampRejected, match="follow the encoding"):
        read_token(der + b"\x00")


def test_a_token_damaged_anywhere_is_refused_or_does_not_verify(stamped):
    """Every byte flipped in turn: the reader refuses it or yields a token, never another error;
    a token damaged in what the checks cover (the TSTInfo, the signed attributes, the signature,
    the TSA's certificate) does not verify."""
    der, trust = stamped
    token = read_token(der)
    content = cms.ContentInfo.load(der)["content"]["encap_content_info"]["content"].contents
    covered = [
        _span(der, part)
        for part in (
            content,
            token.signed_attributes[1:],
            token.signature,
            token.signer.public_bytes(serialization.Encoding.DER),
        )
    ]
    for position in range(len(der)):
        damaged = der[:position] + bytes([der[position] ^ 0x01]) + der[position + 1 :]
        try:
            verify_token(read_token(damaged), DATA, trust)
        except TimestampRejected:
            continue
        assert not any(position in span for span in covered), f"a flip at {position} still verifies"


def _span(data: bytes, part: bytes) -> range:
    start = data.index(part)
    assert data.count(part) == 1
    return range(start, start + len(part))


def test_a_repeated_signed_attribute_is_refused(stamped):
    der, _ = stamped
    info = cms.ContentInfo.load(der)
    signer = info["content"]["signer_infos"][0]
    attributes = list(signer["signed_attrs"])
    signer["signed_attrs"] = cms.CMSAttributes([*attributes, attributes[1]])  # message-digest twice
    with pytest.raises(TimestampRejected, match="appears twice"):
        read_token(info.dump(force=True))
