"""wuji's shared vocabulary: division codes and tiers (wuji.divisions), and the wire stubs.

`wuji.divisions` is the domain's address book, used by every layer (signing/, sync/, node/) and
importing none of them. `wuji.v1` holds the protobuf and gRPC stubs generated from
proto/wuji/v1/*.proto (the stubs live under proto/; see pyproject.toml's package-dir).
"""
