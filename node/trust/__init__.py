"""Trust at one node: its certificates and keys, the CA it runs, seals, licences, partner provinces.

Owns: the node's PKI folder and TLS credentials (identity.py), the certificate office that issues,
registers and revokes (certificates.py), enrollment of children (enrollment.py), seals and sealed
results (sealing.py, sealcheck.py), the trust store documents are checked with (stores.py),
electronic licences (licences.py) and partner provinces' trust anchors and item lists
(partners.py). The cryptography itself is signing/'s.
May import: signing, store, catalogue (a partner's item list), the shared basics — never runtime,
desk or cli.
"""
