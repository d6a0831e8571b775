"""wuji's wire contract: generated protobuf and gRPC stubs (see proto/wuji/v1/*.proto)."""
