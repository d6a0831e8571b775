"""The files a refused application form leaves with the desk (node/web/held.py): whose they are,
for how long, and how much the node keeps at most."""

from __future__ import annotations

from node.web.held import ChosenFile, HeldFiles


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scans(size: int) -> dict[str, ChosenFile]:
    return {"file_0": ChosenFile("身份证.pdf", "application/pdf", bytes(size))}


def test_kept_files_are_the_person_s_for_the_item_s_form_and_its_token_only():
    held = HeldFiles()
    token = held.hold("agent1", "RS-0001", scans(10))
    assert held.kept("agent1", token, "RS-0001")["file_0"].content == bytes(10)
    assert held.kept("agent2", token, "RS-0001") == {}  # another person of the same point
    assert held.kept("agent1", token, "MZ-0001") == {}  # another item's form
    assert held.kept("agent1", "not-the-token", "RS-0001") == {} and held.kept("agent1", "", "RS-0001") == {}
    newer = held.hold("agent1", "RS-0001", scans(20))  # a newer refusal replaces the form kept
    assert held.kept("agent1", token, "RS-0001") == {}
    assert len(held.kept("agent1", newer, "RS-0001")["file_0"].content) == 20
    held.release("agent1")  # taken in: nobody's to take again
    assert held.kept("agent1", newer, "RS-0001") == {}


def test_kept_files_are_given_up_after_the_hold_and_the_oldest_first_beyond_the_nodes_share():
    clock = Clock()
    held = HeldFiles(hold_seconds=60, max_bytes=100, clock=clock)
    first = held.hold("a", "RS-0001", scans(40))
    second = held.hold("b", "RS-0001", scans(40))
    third = held.hold("c", "RS-0001", scans(40))  # 120 bytes: the oldest form is given up
    assert held.kept("a", first, "RS-0001") == {}
    assert held.kept("b", second, "RS-0001") and held.kept("c", third, "RS-0001")
    assert held.hold("d", "RS-0001", scans(101)) == ""  # more than the node keeps at all
    assert held.hold("d", "RS-0001", {}) == ""  # nothing to keep
    clock.now += 61
    assert held.kept("b", second, "RS-0001") == {}
    assert held.hold("e", "RS-0001", scans(100))  # the expired ones no longer count
