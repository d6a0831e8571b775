"""The files a refused application form leaves with the desk (node/web/held.py): whose they are,
for how long, and how much the node keeps at most."""

from __future__ import annotations

from node.web.held import FORMS_PER_PERSON, ChosenFile, HeldFiles


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
    assert held.hold("agent2", "RS-0001", scans(5), replacing=token)  # not theirs to replace
    assert held.kept("agent1", token, "RS-0001")
    newer = held.hold("agent1", "RS-0001", scans(20), replacing=token)  # the same form refused again
    assert held.kept("agent1", token, "RS-0001") == {}
    assert len(held.kept("agent1", newer, "RS-0001")["file_0"].content) == 20
    held.release("agent1", newer)  # taken in: nobody's to take again
    assert held.kept("agent1", newer, "RS-0001") == {}


def test_a_person_s_forms_in_other_tabs_keep_their_files_until_each_is_sent_or_they_log_out():
    held = HeldFiles()
    first = held.hold("agent1", "MZ-0003", scans(1))
    second = held.hold("agent1", "RS-0001", scans(2))  # the next citizen's form, in another tab
    held.release("agent1", second)  # that one is taken in
    assert held.kept("agent1", first, "MZ-0003")  # the first tab's files are still there
    tokens = [held.hold("agent1", "RS-0001", scans(3)) for _ in range(FORMS_PER_PERSON)]
    assert held.kept("agent1", first, "MZ-0003") == {}  # the oldest beyond a person's share
    assert all(held.kept("agent1", token, "RS-0001") for token in tokens)
    other = held.hold("agent2", "RS-0001", scans(4))
    held.release_all("agent1")
    assert not any(held.kept("agent1", token, "RS-0001") for token in tokens)
    assert held.kept("agent2", other, "RS-0001")


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
