"""Tier PKI, keys, electronic seals and sealed documents (docs/architecture.md §8).

Imports nothing of wuji's but the division vocabulary (wuji.divisions).
"""
