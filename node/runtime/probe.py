"""`python -m node.runtime.probe HOST:PORT`: exit 0 if the node's plaintext health port says SERVING.

For container health checks that have no grpc_health_probe binary (docker compose).
"""

from __future__ import annotations

import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m node.runtime.probe HOST:PORT", file=sys.stderr)
        return 2
    try:
        with grpc.insecure_channel(argv[1]) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            # types-grpcio-health-checking's HealthStub lacks the methods its __init__ sets
            reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=5)  # type: ignore[attr-defined]
    except grpc.RpcError as error:
        print(f"not healthy: {error.code().name}", file=sys.stderr)
        return 1
    serving = reply.status == health_pb2.HealthCheckResponse.SERVING
    print(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
    return 0 if serving else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
