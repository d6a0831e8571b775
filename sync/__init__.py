"""Links between nodes: outbox and inbox, streams, acks, retry and routing (DESIGN.md §5–6)."""
