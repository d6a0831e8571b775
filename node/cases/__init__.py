"""Cases (办件): everything that happens to a citizen's case, at the window and across nodes.

Owns: the case service (service.py: submit, act, copies kept in step), the state machine
(states.py), the hash-chained event log (eventlog.py), arrivals in a batch (arrivals.py), time
limits (deadlines.py), 一件事 bundles (bundles.py), 容缺受理/告知承诺 (deferrals.py) and 跨省通办
(crossprovince.py for the rules, crossprovince_hook.py for what the modes add to a case's copies)
and what a relay knows of a case it only passed on (passing.py).
May import: store, catalogue, the shared basics of node/, wuji, sync (routing) — never runtime,
desk or cli.
"""
