"""The service-item catalogue (事项目录), identical at every tier (五级N同).

Owns: item elements and their canonical form (items.py), the province's signed releases shipped
down as deltas (releases.py), item-by-item diffs (diff.py), this tier's 认领 and 实施清单
(implementation.py), the catalogue desk operations (service.py) and the demo catalogues (data/).
May import: store, trust (the release-signing certificate), the shared basics — never runtime,
desk or cli.
"""
