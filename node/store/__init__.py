"""The node's one database: engine and migrations (engine.py), typed models (models.py), and the
transactional outbox as the node's domain code sees it (outbound.py: `Outbound.send`).

Every room writes through these inside one `with session.begin():` per change. The link layer's
own tables (cursors, outbox, inbox, quarantine) are sync/tables.py, in the same database.
May import: sync (the outbox), wuji, the shared basics of node/.
"""
