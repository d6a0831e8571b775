"""Remembering what is read from a certificate object, found by the object itself.

A node checks the same few certificate objects again and again (documents of one seal share one
parsed chain, tokens of one TSA one parsed certificate set). `functools.lru_cache` keyed by a
certificate hashes and compares its DER on every call, some 6 µs, more than the reading it saves;
`by_identity` finds the object by `id` first (keeping it, so the id cannot be reused while the
entry lives) and falls back to the wrapped function, which may itself be an lru_cache.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")


def by_identity(size: int = 1024) -> Callable[[Callable[[_K], _V]], Callable[[_K], _V]]:
    """Decorate a function of one object whose result depends on nothing else (and never changes)."""

    def decorate(function: Callable[[_K], _V]) -> Callable[[_K], _V]:
        remembered: dict[int, tuple[_K, _V]] = {}

        @functools.wraps(function)
        def lookup(item: _K) -> _V:
            found = remembered.get(id(item))
            if found is not None and found[0] is item:
                return found[1]
            value = function(item)  # exceptions are not remembered: the next call raises again
            if len(remembered) >= size:
                remembered.clear()  # a bound against a flood of new objects, not an LRU
            remembered[id(item)] = (item, value)
            return value

        return lookup

    return decorate
