"""Offices named as their certificates name them: ancestors, children and partner provinces."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import select

from node.store.models import OfficeName
from node.trust import names
from node.trust.names import seal_ca_name
from signing.algorithms import Algorithm
from signing.pki import Authority
from tests.harness import CHAIN, COUNTY, GD_PROVINCE, PROVINCE, TOWNSHIP, VILLAGE, wait_for
from tests.test_cli import wuji
from tests.test_federation import COUNTY_ITEM, arrived, submit
from wuji.v1 import desk_pb2

NAMES = {
    PROVINCE: "湖南省政务服务中心",
    "430900000000": "益阳市政务服务中心",
    COUNTY: "沅江市政务服务中心",
    TOWNSHIP: "琼湖街道便民服务中心",
    VILLAGE: "韩家汊社区代办点",
    GD_PROVINCE: "广东省政务服务中心",
}


def kept_name(federation, code: str, named: str) -> str | None:
    with federation.nodes[code].readers() as session:
        return session.scalar(select(OfficeName.name).where(OfficeName.code == named))


def test_a_node_names_its_ancestors_its_children_and_partner_provinces_only(federation, monkeypatch):
    monkeypatch.setattr(names, "REFRESH_SECONDS", 0.0)  # read the register on every look
    for code in CHAIN[:-1]:
        federation.start(code, name=NAMES[code])
    township = federation.nodes[TOWNSHIP].names
    assert township.name_of(VILLAGE) == ""  # not enrolled yet
    federation.start(VILLAGE, name=NAMES[VILLAGE])
    assert township.name_of(VILLAGE) == NAMES[VILLAGE]  # its child, from the certificate it issued
    assert township.place(VILLAGE) == f"{NAMES[VILLAGE]}（{VILLAGE}）"

    village = federation.nodes[VILLAGE].names
    for ancestor in CHAIN[:-1]:  # from the chain above its own certificate
        assert village.name_of(ancestor) == NAMES[ancestor]
    assert village.place(COUNTY, "民政局") == f"{NAMES[COUNTY]} 民政局（{COUNTY}）"

    county = federation.nodes[COUNTY].names
    assert county.name_of(VILLAGE) == ""  # two tiers down: no certificate of it here yet
    assert county.place(VILLAGE, "民政局") == f"{VILLAGE} 民政局"
    assert county.name_of("430981007000") == ""  # a township never enrolled

    # a case from the village arrives signed with its certificate: the county names it from then on,
    # also after a restart
    wait_for(lambda: federation.nodes[VILLAGE].describe().catalog_version > 0, what="the catalogue")
    case = submit(federation.desk(VILLAGE), COUNTY_ITEM)
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    # kept within seconds though no page asked for a name (a node killed then would not lose it)
    wait_for(lambda: kept_name(federation, COUNTY, VILLAGE) == NAMES[VILLAGE], what="the name kept")
    assert county.name_of(VILLAGE) == NAMES[VILLAGE]
    federation.stop(COUNTY)
    county = federation.start(COUNTY).names
    assert county.place(VILLAGE) == f"{NAMES[VILLAGE]}（{VILLAGE}）"
    shown = wuji("case", "show", case.id, "--config", str(federation.config_path(COUNTY)))
    assert shown.returncode == 0, shown.stderr
    assert f"申请地 {NAMES[VILLAGE]}（{VILLAGE}） · 办理地 {NAMES[COUNTY]}（{COUNTY}） 民政局" in shown.stdout
    listed = wuji("case", "list", "--config", str(federation.config_path(COUNTY)))
    assert f"{NAMES[VILLAGE]}（{VILLAGE}）" in listed.stdout
    asked = desk_pb2.NameOfficesRequest(codes=[f"{n:012d}" for n in range(1001)])
    with pytest.raises(grpc.RpcError) as too_many:
        federation.desk(COUNTY).NameOffices(asked)
    assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    status = wuji("node", "status", "--config", str(federation.config_path(COUNTY)))
    assert status.returncode == 0, status.stderr
    for peer in ("430900000000", TOWNSHIP):  # its links, each peer by its name
        assert f"{peer} {NAMES[peer]}" in status.stdout

    federation.start(GD_PROVINCE, name=NAMES[GD_PROVINCE])
    federation.federate(PROVINCE, GD_PROVINCE)
    assert federation.nodes[PROVINCE].names.name_of(GD_PROVINCE) == NAMES[GD_PROVINCE]
    wait_for(  # the partner's root travels down the tree, and its name with it
        lambda: village.name_of(GD_PROVINCE) == NAMES[GD_PROVINCE], what="the partner named at the village"
    )


def test_names_heard_just_before_a_node_stops_are_kept(federation):
    for code in CHAIN:
        federation.start(code, name=NAMES[code])
    village_certificate = federation.nodes[VILLAGE].identity.tls_certificate
    county = federation.nodes[COUNTY]
    county.names.heard(village_certificate)  # as verifying the village's envelope does
    federation.stop(COUNTY)  # before the next save and with no page asking
    federation.start(COUNTY)
    assert kept_name(federation, COUNTY, VILLAGE) == NAMES[VILLAGE]


def test_a_name_kept_is_not_written_again_when_heard_again(federation):
    for code in CHAIN:
        federation.start(code, name=NAMES[code])
    village_certificate = federation.nodes[VILLAGE].identity.tls_certificate
    county = federation.nodes[COUNTY].names
    county.heard(village_certificate)
    assert county.save_heard() == {VILLAGE: NAMES[VILLAGE]}
    county.heard(village_certificate)  # another chain of the village's validated
    assert county.save_heard() == {}  # no write transaction every few seconds for what is kept


def test_a_node_is_named_by_its_office_not_by_its_seal_ca_or_a_seal(federation):
    """An SM2 province's nodes sign with a seal CA whose common name tells it from the link CA
    (… 电子印章CA (SM2)); heard from it, that was printed as the office on 办结通知书. A seal's
    certificate (its holder, a department) names no node."""
    for code in CHAIN:
        federation.start(code, name=NAMES[code])
    county = federation.nodes[COUNTY].names
    renamed = "湖南省人民政府政务服务中心"
    seal_ca = Authority.create_root(PROVINCE, seal_ca_name(renamed), algorithm=Algorithm.SM2_SM3)
    county.heard(seal_ca.certificate)
    assert county.save_heard() == {PROVINCE: renamed}
    node = federation.nodes[COUNTY]
    with node.readers() as session:
        seal = node.seals.seal_for(session, "政务服务中心")  # the node's 公章 (the harness makes one)
    assert seal is not None and seal.info.holder
    county.heard(seal.certificate)
    assert county.save_heard() == {}
