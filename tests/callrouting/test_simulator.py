"""The simulator's outcome for every mode × caller behaviour, on plain definitions."""

import pytest

from callrouting.definition import build_definition
from callrouting.services import default_values
from callrouting.simulator import simulate

AUDIO = {
    "de": {"id": 1, "sha256": "a" * 64, "duration": 10.0, "source": "generated"},
    "en": {"id": 2, "sha256": "b" * 64, "duration": 8.0, "source": "generated"},
}


def definition(mode, **changes):
    values = {**default_values(name="T", mode=mode), "repeats": 1, "timeout_seconds": 5, **changes}
    return build_definition(values, AUDIO)


KEPT = ("kept", "allowed")
GONE = ("discarded", "refused")
NONE = ("none", "none")

# mode, behaviour → (outcome, reported outcome, key pressed, (recording, listen-in))
EXPECTED = {
    ("notice", "no_key"): ("notified", "notified", "", KEPT),
    ("notice", "objection_key"): ("notified", "notified", "", KEPT),
    ("notice", "consent_key"): ("notified", "notified", "", KEPT),
    ("notice", "wrong_key"): ("notified", "notified", "", KEPT),
    ("notice", "hang_up"): ("hung_up", None, "", NONE),
    ("opt_out", "no_key"): ("notified", "notified", "", KEPT),
    ("opt_out", "objection_key"): ("objected", "objected", "9", GONE),
    ("opt_out", "consent_key"): ("notified", "notified", "", KEPT),
    ("opt_out", "wrong_key"): ("notified", "notified", "", KEPT),
    ("opt_out", "hang_up"): ("hung_up", None, "", NONE),
    ("opt_in", "no_key"): ("objected", "objected", "", GONE),
    ("opt_in", "objection_key"): ("objected", "objected", "9", GONE),
    ("opt_in", "consent_key"): ("consented", "consented", "1", KEPT),
    ("opt_in", "wrong_key"): ("objected", "objected", "", GONE),
    ("opt_in", "hang_up"): ("hung_up", None, "", NONE),
}


@pytest.mark.parametrize(("mode", "behaviour"), sorted(EXPECTED))
def test_every_mode_and_behaviour(mode, behaviour):
    result = simulate(definition(mode), behaviour=behaviour, language="de")
    outcome, report, key, effects = EXPECTED[(mode, behaviour)]
    assert (result.outcome, result.report, result.key) == (outcome, report, key)
    assert (result.recording, result.listen_in) == effects
    assert result.steps[0].kind == "announce" and result.steps[0].seconds == 10.0
    assert result.steps[-1].kind == ("hang_up" if behaviour == "hang_up" else "connect")
    assert result.audio == AUDIO["de"]


def test_objection_key_after_some_seconds_counts_until_the_last_window_closes():
    d = definition("opt_out")  # 2 attempts of 10 s announcement + 5 s wait
    assert simulate(d, behaviour="objection_key", after_seconds=3).outcome == "objected"
    hit = simulate(d, behaviour="objection_key", after_seconds=29)
    assert hit.outcome == "objected" and hit.steps[-2].at == 29
    assert [s.kind for s in hit.steps[:4]] == ["announce", "wait", "timeout", "announce"]
    late = simulate(d, behaviour="objection_key", after_seconds=31)
    assert late.outcome == "notified" and "too_late" in [s.kind for s in late.steps]


def test_wrong_key_repeats_the_announcement_then_silence_decides():
    d = definition("opt_in", repeats=2)
    result = simulate(d, behaviour="wrong_key", after_seconds=12)
    kinds = [s.kind for s in result.steps]
    assert kinds.count("announce") == 3 and "invalid_key" in kinds
    assert result.outcome == "objected" and result.steps[-1].kind == "connect"


def test_objection_routes_to_another_destination_when_configured():
    result = simulate(
        definition("opt_out", objection_route_to="+49301234"), behaviour="objection_key"
    )
    assert result.route_to == "+49301234" and result.steps[-1].kind == "route"
    assert (
        simulate(definition("opt_out", objection_route_to="+49301234"), behaviour="no_key").route_to
        is None
    )


def test_hang_up_is_during_the_announcement_and_english_uses_its_own_audio():
    result = simulate(definition("opt_out"), behaviour="hang_up", language="en", after_seconds=99)
    assert result.steps[-1].at == 8.0 and result.audio["id"] == 2
    assert "press 9" in result.text


def test_without_audio_the_length_is_estimated_from_the_text():
    d = build_definition(default_values(name="T", mode="notice"), {})
    assert 10 < simulate(d, behaviour="no_key").steps[0].seconds < 30


def test_unknown_behaviour_or_language_is_refused():
    with pytest.raises(ValueError):
        simulate(definition("notice"), behaviour="dance")
    with pytest.raises(ValueError):
        simulate(definition("notice", languages=["de"]), behaviour="no_key", language="en")


def test_steps_are_described_in_words():
    data = simulate(definition("opt_out"), behaviour="objection_key").as_dict()
    assert all(step["description"] for step in data["steps"])


def test_key_during_the_announcement_stops_it_without_waiting():
    result = simulate(definition("opt_out"), behaviour="objection_key", after_seconds=3)
    assert [s.kind for s in result.steps] == ["announce", "key", "connect"]
    assert result.steps[1].at == 3


def test_step_descriptions_are_localised():
    from django.utils import translation

    with translation.override("de"):
        data = simulate(definition("opt_out"), behaviour="no_key", language="en").as_dict()
    assert data["steps"][0]["description"] == "Der Hinweis läuft (Durchgang 1, 8,0 s)."
