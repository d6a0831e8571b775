"""Catalogue figures: applying a 10,000-item release, and a one-item delta to it, at a child."""

from __future__ import annotations

import copy
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.catalogue import items as catalog
from node.catalogue import releases
from node.catalogue.items import CatalogDocument
from node.catalogue.releases import ReleaseSigner
from node.store.engine import create_store_engine, migrate, session_factory
from node.trust.certificates import CertificateOffice
from signing.pki import Authority
from signing.trust import TrustStore
from wuji.divisions import DivisionCode

PROVINCE = "430000000000"


@dataclass
class CatalogueFigures:
    items: int
    full_release_bytes: int
    delta_bytes: int
    full_apply_seconds: float
    delta_apply_seconds: float


def synthetic_items(count: int) -> list[dict[str, Any]]:
    """count distinct, fully described items shaped like the demo catalogue's MZ-0001."""
    template = catalog.load_document(catalog.demo_catalog_path()).by_code()["MZ-0001"]
    items = []
    for number in range(count):
        item = copy.deepcopy(template)
        basic = f"07{number:07d}000"
        item.update(
            code=f"T-{number:05d}",
            name=f"测试事项{number:05d}",
            basic_code=basic,
            implementation_code=f"{basic}43300",
            handling_code=f"{basic}4330001",
        )
        items.append(item)
    return items


def measure(count: int) -> CatalogueFigures:
    with tempfile.TemporaryDirectory(prefix="wuji-bench-catalogue-") as scratch:
        folder = Path(scratch)
        authority = Authority.create_root(PROVINCE, "湖南省")
        province_engine = create_store_engine(f"sqlite:///{folder / 'province.db'}")
        child_engine = create_store_engine(f"sqlite:///{folder / 'child.db'}")
        try:
            migrate(province_engine)
            migrate(child_engine)
            province, child = session_factory(province_engine), session_factory(child_engine)
            with province.begin() as session:
                signer = ReleaseSigner.for_province(
                    session, folder, b"bench passphrase", CertificateOffice(authority)
                )
            items = synthetic_items(count)
            for changed in (False, True):
                if changed:
                    items[count // 2]["promised_days"] -= 1
                with province.begin() as session:
                    checked = [catalog.checked_item(item, "bench") for item in items]
                    releases.publish(session, CatalogDocument("压测目录", checked), PROVINCE, signer)
            with province() as session:
                full = releases.delta_message(session, 0, catalog.release(session, 1))
                delta = releases.delta_message(session, 1, catalog.release(session, 2))
            trust = TrustStore([authority.certificate])
            started = time.perf_counter()
            for part in releases.split(full):
                with child.begin() as session:
                    releases.receive_part(session, part, trust, DivisionCode.parse(PROVINCE))
            full_seconds = time.perf_counter() - started
            started = time.perf_counter()
            with child.begin() as session:
                releases.receive_part(session, delta, trust, DivisionCode.parse(PROVINCE))
            delta_seconds = time.perf_counter() - started
            with child() as session:
                assert catalog.current_version(session) == 2
        finally:
            province_engine.dispose()
            child_engine.dispose()
    return CatalogueFigures(count, full.ByteSize(), delta.ByteSize(), full_seconds, delta_seconds)
