"""Tier PKI, mTLS material and electronic seals (DESIGN.md §7); filled in by a later issue."""
