"""The Desk: the gRPC service windows and operators call (servicer.py) and its client (client.py).

The servicer is thin: each RPC reads like desk.proto and hands the work to a domain service; domain
errors become gRPC statuses there and nowhere else.
May import: the domain rooms, store, trust, the shared basics — never runtime or cli.
"""

# the gRPC metadata key a staff member's login token travels under (set by the client, read by the
# servicer): here, so a command-line client need not load the servicer and all it serves
TOKEN_METADATA = "wuji-staff-token"
