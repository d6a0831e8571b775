"""Links between nodes: outbox and inbox, streams, acks, retry and routing (docs/architecture.md §5, §7)."""
