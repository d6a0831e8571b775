"""Health checking (also for probes without certificates), reflection and Prometheus metrics."""

from __future__ import annotations

import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from node.cases.states import Action
from sync.transport import open_channel
from tests.harness import CHAIN, COUNTY, TOWNSHIP, VILLAGE, wait_for
from tests.materials import complete_proto
from tests.test_federation import act, arrived, submit
from tests.test_supervision import recorded_without_its_reason
from wuji.v1 import case_pb2, desk_pb2


def test_health_reflection_and_metrics(federation):
    for code in CHAIN:
        extra = {"health_listen": "127.0.0.1:0", "metrics_listen": "127.0.0.1:0"} if code == COUNTY else {}
        federation.start(code, **extra)
    county = federation.nodes[COUNTY]
    wait_for(lambda: federation.nodes[VILLAGE].describe().catalog_version, what="the catalogue")

    with grpc.insecure_channel(f"127.0.0.1:{county.health_port}") as probe:  # as a Kubernetes probe
        reply = health_pb2_grpc.HealthStub(probe).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING

    with open_channel(county.address, county.transport, peer_code=COUNTY) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        services = {s.name for reply in replies for s in reply.list_services_response.service}
    assert {"wuji.v1.Desk", "wuji.v1.Federation", "grpc.health.v1.Health"} <= services

    case = federation.desk(VILLAGE).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code="MZ-0001",
            applicant=case_pb2.Applicant(name="指标", id_number="430981199001011237"),
            materials=complete_proto("MZ-0001"),
        )
    )
    wait_for(lambda: county.cases.list_cases(), what="the case at the county")

    def scrape() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{county.metrics_port}/metrics", timeout=5) as response:
            return response.read().decode()

    text = scrape()
    assert 'wuji_cases{state="SUBMITTED"} 1.0' in text
    assert 'wuji_link_connected{peer="430981006000",role="child"} 1.0' in text
    assert 'wuji_outbox_depth{peer="430900000000",role="parent"}' in text
    assert 'wuji_forward_latency_seconds_count{body="case_submitted"} 1.0' in text
    assert case.id


def test_cards_metric_counts_open_cards_by_colour_up_the_tree(federation):
    for code in CHAIN:
        federation.start(code, **({"metrics_listen": "127.0.0.1:0"} if code == COUNTY else {}))
    county, township = federation.nodes[COUNTY], federation.nodes[TOWNSHIP]
    wait_for(lambda: federation.nodes[VILLAGE].describe().catalog_version, what="the catalogue")

    def scrape() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{county.metrics_port}/metrics", timeout=5) as response:
            return response.read().decode()

    assert 'wuji_supervision_cards{colour="red",status="open"} 0.0' in scrape()
    silent = submit(federation.desk(VILLAGE), "MZ-0003")  # handled at the township
    wait_for(lambda: arrived(federation, TOWNSHIP, silent.id), what="the case at the township")
    act(federation.desk(TOWNSHIP), silent.id, case_pb2.REFUSE, note="不属于受理范围")
    recorded_without_its_reason(township, silent.id, Action.REFUSE)  # as an earlier version did: a red card
    assert township.tick().raised == [f"{silent.id}:refusal_no_reason"]
    wait_for(
        lambda: 'wuji_supervision_cards{colour="red",status="open"} 1.0' in scrape(),
        what="the township's red card counted at the county",
    )
    text = scrape()
    assert 'wuji_supervision_cards{colour="yellow",status="open"} 0.0' in text
    assert 'wuji_supervision_cards{colour="red",status="closed"} 0.0' in text
