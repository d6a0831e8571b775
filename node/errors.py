"""The few domain errors node/ raises; node/desk.py maps each to one gRPC status, in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of errors a user can act on; the message says what is wrong and what to do."""


class NotFound(DomainError):
    """The case, item or node asked for does not exist here."""


class InvalidInput(DomainError):
    """The request itself is malformed: bad code, empty name, digest mismatch, …"""


class RefusedOnArrival(InvalidInput):
    """A case reached its handler but may not be handled there (e.g. a 跨省通办 mode not agreed):
    nothing is stored for it, and its origin is told it was refused (不予受理)."""


class IllegalTransition(DomainError):
    """The case's state does not allow the action (DESIGN.md §4)."""


class WrongNode(DomainError):
    """The action must be taken at another node (e.g. 受理 only at the handling node)."""


class NotReady(DomainError):
    """The node cannot serve this yet (e.g. it has not received the catalogue from its parent)."""
