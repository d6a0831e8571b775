"""Staff (工作人员): the people who work at a node, their roles, logins and what each may do.

Owns: roles and the duties each role may perform (roles.py), accounts with argon2 password hashes,
short-lived login tokens bound to this node and the lock-out after repeated failures (accounts.py).
Every action a person takes names them and their department (首问负责); the node's operator (the
holder of the node's own key, on the node's machine) administers the node but is not a person.
May import: store, the shared basics — never the domain rooms above it, runtime, desk or cli.
"""
