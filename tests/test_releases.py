"""Catalogue releases on a real database: signed at a province, delta-shipped, verified, applied once."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.catalogue import synthetic_items
from node.catalogue import items as catalog
from node.catalogue import releases
from node.catalogue.items import CatalogDocument
from node.catalogue.releases import ReleaseSigner
from node.errors import InvalidInput
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import CatalogPart, CatalogRelease, ServiceItem
from node.trust.certificates import CertificateOffice
from signing.algorithms import sign
from signing.pki import Authority
from signing.trust import TrustStore
from wuji.divisions import DivisionCode

PROVINCE = DivisionCode.parse("430000")


def make_items(count: int) -> list[dict[str, Any]]:
    return synthetic_items(count)


@pytest.fixture
def province_signer(tmp_path: Path) -> Iterator[tuple[Authority, ReleaseSigner, sessionmaker[Session]]]:
    authority = Authority.create_root(PROVINCE.value, "湖南省")
    engine = create_store_engine(f"sqlite:///{tmp_path / 'province.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        signer = ReleaseSigner.for_province(
            session, tmp_path, b"test passphrase", CertificateOffice(authority)
        )
    yield authority, signer, sessions
    engine.dispose()


@pytest.fixture
def child(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_store_engine(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def publish(sessions: sessionmaker[Session], signer: ReleaseSigner, items: list[dict[str, Any]]) -> int:
    document = CatalogDocument("测试目录", [catalog.checked_item(item, "test") for item in items])
    with sessions.begin() as session:
        release = releases.publish(session, document, PROVINCE.value, signer)
        assert release is not None
        return release.version


def test_delta_of_a_one_item_change_to_10000_items_is_under_5_percent_and_applies(province_signer, tmp_path):
    authority, signer, province = province_signer
    items = make_items(10_000)
    publish(province, signer, items)
    items[1234]["promised_days"] -= 1
    publish(province, signer, items)
    with province() as session:
        full = releases.delta_message(session, 0, catalog.release(session, 2))
        delta = releases.delta_message(session, 1, catalog.release(session, 2))
    ratio = delta.ByteSize() / full.ByteSize()
    print(f"delta {delta.ByteSize()} B / full release {full.ByteSize()} B = {ratio:.4%}")
    assert len(delta.changed_items) == 1 and ratio < 0.05

    engine = create_store_engine(f"sqlite:///{tmp_path / 'child.db'}")
    migrate(engine)
    child = session_factory(engine)
    trust = TrustStore([authority.certificate])
    with province() as session:
        first = releases.delta_message(session, 0, catalog.release(session, 1))
    parts = releases.split(first)
    assert len(parts) > 100 and all(part.ByteSize() < 2 * releases.PART_BYTES for part in parts)
    assert len(releases.split(delta)) == 1
    for part in parts[:-1]:  # the parts are kept, nothing is applied until the last one
        with child.begin() as session:
            assert releases.receive_part(session, part, trust, PROVINCE) is None
    with child() as session:
        assert catalog.current_version(session) == 0
    with child.begin() as session:
        assert releases.receive_part(session, parts[-1], trust, PROVINCE) is not None
    with child.begin() as session:
        releases.receive_part(session, delta, trust, PROVINCE)
    with child() as session:
        assert catalog.current_version(session) == 2
        assert session.get(ServiceItem, "T-01234").promised_days == items[1234]["promised_days"]
        assert session.get(ServiceItem, "T-01234").release_version == 2
        assert session.get(ServiceItem, "T-00000").release_version == 1  # untouched by the delta
        assert catalog.digest_of(catalog.held_items(session).values()) == catalog.release(session, 2).digest
        assert session.scalar(select(func.count()).select_from(CatalogPart)) == 0
    engine.dispose()


def test_a_refused_release_changes_nothing(province_signer, child):
    authority, signer, province = province_signer
    items = make_items(5)
    publish(province, signer, items)
    items[0]["statutory_days"] += 1
    publish(province, signer, items)
    trust = TrustStore([authority.certificate])
    with province() as session:
        v1 = releases.delta_message(session, 0, catalog.release(session, 1))
        v2 = releases.delta_message(session, 1, catalog.release(session, 2))
    with child.begin() as session:
        releases.receive(session, v1, trust, PROVINCE)

    stranger = Authority.create_root("440000", "广东省")  # signs the right manifest with the wrong key
    unsigned = copy.deepcopy(v2)
    unsigned.signature = b""
    wrong_key = copy.deepcopy(v2)
    wrong_key.signature = sign(stranger.key, releases.manifest_of(v2).to_bytes())
    skipped_base = copy.deepcopy(v2)
    skipped_base.base_version = 7
    cases = [
        (unsigned, "is not signed"),
        (wrong_key, "bad signature"),
        (skipped_base, "delta from release 7"),
    ]
    for message, reason in cases:
        with pytest.raises(InvalidInput, match=reason), child.begin() as session:
            releases.receive(session, message, trust, PROVINCE)
        with child() as session:
            assert catalog.current_version(session) == 1
            assert session.scalar(select(func.count()).select_from(CatalogRelease)) == 1
            assert session.get(ServiceItem, "T-00000").statutory_days == items[0]["statutory_days"] - 1

    with child.begin() as session:  # the genuine delta still applies afterwards, exactly once
        assert releases.receive(session, v2, trust, PROVINCE) is not None
    with child.begin() as session:
        assert releases.receive(session, v2, trust, PROVINCE) is None


def test_parts_are_kept_until_the_last_one_and_a_forged_part_is_refused_on_arrival(province_signer, child):
    authority, signer, province = province_signer
    publish(province, signer, make_items(12))
    trust = TrustStore([authority.certificate])
    with province() as session:
        parts = releases.split(releases.delta_message(session, 0, catalog.release(session, 1)), 3000)
    assert len(parts) >= 3
    forged = copy.deepcopy(parts[1])
    forged.signature = sign(Authority.create_root("440000", "广东省").key, b"another manifest")
    with pytest.raises(InvalidInput, match="bad signature"), child.begin() as session:
        releases.receive_part(session, forged, trust, PROVINCE)
    for part in parts:
        with child.begin() as session:
            applied = releases.receive_part(session, part, trust, PROVINCE)
        with child() as session:
            kept = session.scalar(select(func.count()).select_from(CatalogPart))
            assert (catalog.current_version(session), kept) == ((1, 0) if applied else (0, part.part + 1))
    assert applied is not None and applied.version == 1
