"""Who hears whom: every pair of participants, for 1 to 4 supervisors, in every mode."""

import itertools

import pytest

from supervision.mixing import AGENT, CALLER, agent_starts_hearing_supervisors, as_json, hears

SUPERVISORS = ["210", "211", "212", "213"]


def role(name):
    return name if name in (CALLER, AGENT) else "supervisor"


def should_hear(mode, listener, source):
    """The seed's rules, spelled out per role pair (written independently of the code)."""
    if listener == source:
        return False
    pair = (role(listener), role(source))
    table = {
        # listener,      source        mode 1  mode 2  mode 3
        ("caller", "agent"): (True, True, True),
        ("caller", "supervisor"): (False, False, True),
        ("agent", "caller"): (True, True, True),
        ("agent", "supervisor"): (False, True, True),
        ("supervisor", "caller"): (True, True, True),
        ("supervisor", "agent"): (True, True, True),
        ("supervisor", "supervisor"): (True, True, True),
    }
    return table[pair][mode - 1]


CASES = [(mode, n) for mode in (1, 2, 3) for n in range(1, 5)]


@pytest.mark.parametrize("mode, count", CASES)
def test_every_pair_follows_the_rules(mode, count):
    sups = SUPERVISORS[:count]
    matrix = hears(mode, sups)
    everyone = [CALLER, AGENT, *sups]
    assert set(matrix) == set(everyone)
    checked = 0
    for listener, source in itertools.product(everyone, repeat=2):
        assert (source in matrix[listener]) == should_hear(mode, listener, source), (
            mode,
            listener,
            source,
        )
        checked += 1
    assert checked == len(everyone) ** 2


@pytest.mark.parametrize("mode, count", CASES)
def test_the_result_depends_only_on_mode_and_participants(mode, count):
    sups = SUPERVISORS[:count]
    assert hears(mode, sups) == hears(mode, list(reversed(sups)))


def test_mode_1_supervisors_talk_among_themselves_and_nobody_else_hears_them():
    matrix = hears(1, ["210", "211"])
    assert matrix["210"] == {CALLER, AGENT, "211"}
    assert matrix[AGENT] == {CALLER}
    assert matrix[CALLER] == {AGENT}


def test_without_supervisors_caller_and_agent_hear_each_other():
    assert hears(3, []) == {CALLER: {AGENT}, AGENT: {CALLER}}


@pytest.mark.parametrize("mode", [0, 4, "1", None])
def test_unknown_mode_is_refused(mode):
    with pytest.raises(ValueError):
        hears(mode, ["210"])


@pytest.mark.parametrize("sups", [["210", "210"], ["caller"], ["agent", "210"]])
def test_bad_participants_are_refused(sups):
    with pytest.raises(ValueError):
        hears(1, sups)


def test_json_form_is_sorted_with_caller_and_agent_first():
    body = as_json(hears(2, ["211", "210"]))
    assert list(body) == ["agent", "caller", "210", "211"]
    assert body["agent"] == ["caller", "210", "211"]
    assert body["210"] == ["agent", "caller", "211"]


@pytest.mark.parametrize(
    "before, after, tone",
    [
        (None, 1, False),
        (None, 2, True),
        (1, 2, True),
        (1, 3, True),
        (2, 3, False),
        (3, 2, False),
        (2, 1, False),
        (3, 1, False),
        (1, 1, False),
    ],
)
def test_agent_tone_when_the_agent_starts_hearing_supervisors(before, after, tone):
    assert agent_starts_hearing_supervisors(before, after) is tone
