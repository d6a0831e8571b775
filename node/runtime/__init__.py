"""One running node and the machinery around it.

Owns: wiring a node together (node.py: `Node`), the handler every link calls for an arriving
envelope (federation.py), the replica lease (lease.py), backup/restore and resync (backup.py,
resync.py), health, reflection and metrics (observability.py, probe.py), federations of real nodes
on loopback for tests, benchmarks and the demo (cluster.py, demo.py).
May import: everything in node/ but cli.
"""
