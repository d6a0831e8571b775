"""The wuji node program: one process per node of the federation, at any of the five tiers.

Rooms (docs/architecture.md says more):
  cases/        办件: submission, actions, the event log, deadlines, bundles, 容缺/告知承诺, 跨省通办
  catalogue/    事项目录: items, signed releases, diffs, 认领/实施清单
  trust/        certificates, enrollment, the node's keys, seals, licences, partner provinces
  supervision/  电子监察 cards, 好差评 ratings, subtree statistics
  store/        the node's one database: engine, models, and the transactional outbox (Outbound)
  desk/         the Desk gRPC service and its client
  runtime/      one running node wired together, the federation handler, lease, backup, resync,
                observability, the demo and loopback federations
  cli/          the `wuji` command
and the shared basics every room may use: errors, clock, timeutil, workdays, config, logs, convert.

Dependency direction (tests/test_layout.py and the import-linter contracts in pyproject.toml):
cli → runtime → desk → the domain rooms (cases, catalogue, trust, supervision) → store and the basics.
"""
