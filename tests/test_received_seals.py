"""A node checks the sealed results it receives against what it trusts at that moment: the trust
store it keeps between checks never hides a revocation stored since, whether by another transaction
or earlier in the same one, and a result time-stamped before the revocation still holds."""

from __future__ import annotations

import time

import pytest

from node.errors import InvalidInput
from tests.harness import CITY, COUNTY, PROVINCE

CONTENT = b'{"result": "\xe5\x87\x86\xe4\xba\x88"}'


@pytest.fixture
def county(federation):
    for code in (PROVINCE, CITY):
        federation.start(code)
    node = federation.start(COUNTY)
    with node.sessions.begin() as session:
        node.seals.create(session, "沅江市民政局", "民政局", "业务专用章")
        seal = node.seals.seal_for(session, "民政局")
    assert seal is not None
    return node, seal


def check(node, document: bytes) -> None:
    """As a link applies a conclusion that carries a sealed result."""
    with node.sessions.begin() as session:
        node.seals.check_received(session, "430981006001-000001", document)


def test_a_revocation_stored_after_a_check_refuses_the_next_check(county):
    node, seal = county
    stamped = seal.apply(CONTENT, timestamp=node.timestamping.stamp).to_bytes()
    unstamped = seal.apply(CONTENT).to_bytes()  # judged at the moment it is checked
    check(node, stamped)
    check(node, unstamped)
    time.sleep(1.1)  # revocation dates have whole seconds: keep the stamp strictly before

    node.revoke(format(seal.certificate.serial_number, "x"))

    with pytest.raises(InvalidInput, match="revoked"):
        check(node, unstamped)
    later = seal.apply(CONTENT, timestamp=node.timestamping.stamp).to_bytes()
    with pytest.raises(InvalidInput, match="revoked"):
        check(node, later)
    check(node, stamped)  # attested before the revocation: still valid


def test_a_revocation_stored_earlier_in_the_same_transaction_counts(county):
    node, seal = county
    unstamped = seal.apply(CONTENT).to_bytes()
    with node.sessions.begin() as session:
        node.seals.check_received(session, "430981006001-000001", unstamped)
        node.office.revoke(session, format(seal.certificate.serial_number, "x"))  # stores the CRL
        with pytest.raises(InvalidInput, match="revoked"):
            node.seals.check_received(session, "430981006001-000001", unstamped)
