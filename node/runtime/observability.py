"""gRPC health checking, server reflection and Prometheus metrics for one node.

Health is served on the main (mTLS) port and, for probes that cannot present a client certificate
(Kubernetes gRPC probes), on an optional plaintext `health_listen` port that serves nothing else.
Metrics are read from the database when Prometheus scrapes, so they are never stale or duplicated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import CollectorRegistry, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from node.store.models import Case, SupervisionCard
from node.supervision.cards import RED, YELLOW
from sync.registry import LinkRegistry
from wuji.v1 import desk_pb2, enroll_pb2, link_pb2

SERVICES = (
    desk_pb2.DESCRIPTOR.services_by_name["Desk"].full_name,
    link_pb2.DESCRIPTOR.services_by_name["Federation"].full_name,
    enroll_pb2.DESCRIPTOR.services_by_name["Enrollment"].full_name,
)


CARD_COLOURS = (YELLOW, RED)


class Health:
    """One health servicer shared by every port of the node."""

    def __init__(self) -> None:
        self.servicer = health.HealthServicer()

    def add_to(self, server: grpc.Server) -> None:
        health_pb2_grpc.add_HealthServicer_to_server(self.servicer, server)

    def serving(self, up: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if up else health_pb2.HealthCheckResponse.NOT_SERVING
        for service in ("", *SERVICES):
            self.servicer.set(service, status)


def add_reflection(server: grpc.Server) -> None:
    reflection.enable_server_reflection((*SERVICES, health.SERVICE_NAME, reflection.SERVICE_NAME), server)


def plaintext_health_server(health_check: Health, address: str) -> tuple[grpc.Server, int]:
    server = grpc.server(ThreadPoolExecutor(max_workers=2, thread_name_prefix="health"))
    health_check.add_to(server)
    port = server.add_insecure_port(address)
    server.start()
    return server, port


class NodeMetrics(Collector):
    """Prometheus metrics of one node; its own registry, so several nodes can share a process."""

    def __init__(self, code: str, readers: sessionmaker[Session], links: LinkRegistry) -> None:
        self._code = code
        self._readers = readers
        self._links = links
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(self)
        self.forward_latency = Histogram(
            "wuji_forward_latency_seconds",
            "Time from a message's creation at its origin to its application at its destination",
            ["body"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600),
            registry=self.registry,
        )
        self._http: Any = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        connected = GaugeMetricFamily(
            "wuji_link_connected", "1 if the link's stream is open", labels=["peer", "role"]
        )
        depth = GaugeMetricFamily(
            "wuji_outbox_depth", "Envelopes waiting for the peer's acknowledgement", labels=["peer", "role"]
        )
        for link in self._links.all():
            connected.add_metric([link.peer, link.role], 1.0 if link.connected else 0.0)
            depth.add_metric([link.peer, link.role], float(link.outbox_depth()))
        cases = GaugeMetricFamily("wuji_cases", "Cases held at this node by state", labels=["state"])
        cards = GaugeMetricFamily(
            "wuji_supervision_cards",
            "Supervision cards (电子监察) raised here or in this node's subtree, by colour, open or closed",
            labels=["colour", "status"],
        )
        with self._readers() as session:
            for state, count in session.execute(select(Case.state, func.count()).group_by(Case.state)):
                cases.add_metric([state], float(count))
            held = {(colour, "open"): 0 for colour in CARD_COLOURS} | {(c, "closed"): 0 for c in CARD_COLOURS}
            status = sql_case((SupervisionCard.closed_at.is_(None), "open"), else_="closed")
            for colour, state, count in session.execute(
                select(SupervisionCard.colour, status, func.count()).group_by(SupervisionCard.colour, status)
            ):
                held[(colour, state)] = count
        for (colour, state), count in sorted(held.items()):
            cards.add_metric([colour, state], float(count))
        yield from (connected, depth, cases, cards)

    def observe_delivery(self, body: str, seconds: float) -> None:
        self.forward_latency.labels(body).observe(max(seconds, 0.0))

    def serve(self, address: str) -> int:
        host, _, port = address.rpartition(":")
        self._http, _ = start_http_server(int(port), addr=host or "127.0.0.1", registry=self.registry)
        return int(self._http.server_port)

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()


DeliveryObserver = Callable[[str, float], None]
