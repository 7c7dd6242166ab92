"""The licence advisor, exhaustively: every wanted set × every starting state."""

import itertools

import pytest

from licensing.advisor import CAPABILITIES, CurrentState, advise
from licensing.policy import derive_policy

WANTED = [frozenset(c) for n in range(len(CAPABILITIES) + 1)
          for c in itertools.combinations(CAPABILITIES, n)]
LICENSE_SETS = [frozenset(), frozenset({"monitor"}), frozenset({"record"}),
                frozenset({"monitor", "record"})]
CLIENTS = ["softphone_usb", "softphone_cti", "deskphone"]
STATES = [CurrentState(licenses=lic, client_type=client, record_all_calls=rac, active=active)
          for lic, client, rac, active in itertools.product(LICENSE_SETS, CLIENTS,
                                                            [True, False], [True, False])]


def apply(state: CurrentState, advice):
    licenses = set(state.licenses)
    client, rac, active = state.client_type, state.record_all_calls, state.active
    for change in advice.changes:
        if change.code == "activate_user":
            active = True
        elif change.code.startswith("assign_"):
            licenses.add(change.code.removeprefix("assign_"))
        elif change.code.startswith("revoke_"):
            licenses.discard(change.code.removeprefix("revoke_"))
        elif change.code == "set_client_softphone_usb":
            client = "softphone_usb"
        elif change.code == "switch_on_record_all_calls":
            rac = True
        elif change.code == "switch_off_record_all_calls":
            rac = False
        else:
            raise AssertionError(change.code)
    return derive_policy(licenses=licenses, client_type=client, record_all_calls=rac,
                         attention_tone=True, active=active)


def test_sixteen_capability_sets():
    assert len(WANTED) == 16


@pytest.mark.parametrize("wanted", WANTED, ids=lambda w: "+".join(sorted(w)) or "nothing")
def test_following_the_advice_gives_what_was_wanted_from_any_state(wanted):
    for state in STATES:
        advice = advise(wanted, state)
        policy = apply(state, advice)
        for capability in wanted:
            assert policy.flags[capability].enabled, (wanted, state, capability)
        # Never an automatic recording nobody asked for (the legally delicate one).
        assert policy.auto_record.enabled == ("auto_record" in wanted), (wanted, state)
        assert set(policy.licenses) == set(advice.licenses)


@pytest.mark.parametrize("wanted", WANTED, ids=lambda w: "+".join(sorted(w)) or "nothing")
def test_advised_licences_are_minimal(wanted):
    advice = advise(wanted)
    client = advice.client_types[0]
    for dropped in advice.licenses:
        fewer = set(advice.licenses) - {dropped}
        policy = derive_policy(licenses=fewer, client_type=client,
                               record_all_calls=bool(advice.record_all_calls),
                               attention_tone=True)
        assert not all(policy.flags[c].enabled for c in wanted), (wanted, dropped)


def test_monitoring_without_recording_needs_record_all_calls_off():
    advice = advise({"monitorable"})
    assert advice.licenses == ("monitor",)
    assert advice.client_types == ("softphone_usb",)
    assert advice.record_all_calls is False
    assert advice.needs_usb_softphone
    assert advice.warnings


def test_server_recording_works_on_any_phone():
    advice = advise({"record_on_demand_server"})
    assert advice.licenses == ("record",)
    assert set(advice.client_types) == set(CLIENTS)
    assert advice.record_all_calls is None


def test_changes_for_a_desk_phone_user():
    state = CurrentState(licenses=frozenset({"record"}), client_type="deskphone",
                         record_all_calls=True)
    codes = [c.code for c in advise({"monitorable"}, state).changes]
    assert codes == ["assign_monitor", "set_client_softphone_usb",
                     "switch_off_record_all_calls", "revoke_record"]


def test_unknown_capability_is_refused():
    with pytest.raises(ValueError):
        advise({"teleport"})
