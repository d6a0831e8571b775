"""Ports for nodes started later: chosen inside WUJI_PORT_RANGE, never one already listened on."""

from __future__ import annotations

import socket

import pytest

from node.runtime.cluster import PORT_RANGE_ENV, free_port


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_ports_come_from_the_given_range_and_skip_a_port_in_use(monkeypatch):
    # three free ports below the workers' slices and the kernel's ephemeral range: nothing else
    # of the suite takes them while this runs
    busy = next(p for p in range(15_000, 19_000, 3) if all(_bindable(p + i) for i in range(3)))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", busy))
        taken.listen()
        monkeypatch.setenv(PORT_RANGE_ENV, f"{busy}-{busy + 2}")
        chosen = {free_port(), free_port()}
        assert chosen == {busy + 1, busy + 2}  # each handed out once, the listened-on one never
        with pytest.raises(OSError, match=f"no free loopback port in {busy}-{busy + 2}"):
            free_port()


@pytest.mark.parametrize("given", ["20000", "20000-x", "30000-20000", "0-10"])
def test_a_range_that_is_not_one_is_refused_with_the_variable_named(monkeypatch, given):
    monkeypatch.setenv(PORT_RANGE_ENV, given)
    with pytest.raises(ValueError, match=PORT_RANGE_ENV):
        free_port()
