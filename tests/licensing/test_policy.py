"""The licence → policy derivation, exhaustively: every licence set × client type × setting."""

import itertools

import pytest
from django.utils import translation

from licensing.policy import FLAGS, REASONS, assignment_warnings, derive_policy

LICENSE_SETS = [frozenset(), frozenset({"monitor"}), frozenset({"record"}),
                frozenset({"monitor", "record"})]
CLIENT_TYPES = ["softphone_usb", "softphone_cti", "deskphone"]
BOOLS = [True, False]
ALL = list(itertools.product(LICENSE_SETS, CLIENT_TYPES, BOOLS, BOOLS, BOOLS))


def expected(licenses, client, record_all_calls, attention_tone, active):
    """The rules of the issue, written independently of the implementation."""
    usb = client == "softphone_usb"
    monitor, record = "monitor" in licenses, "record" in licenses
    return {
        "auto_record": active and monitor and record_all_calls,
        "monitorable": active and monitor and usb,
        "record_on_demand_server": active and record,
        "record_on_demand_client": active and record and usb,
        "attention_tone": active and attention_tone and record,
    }


def expected_codes(licenses, client, record_all_calls, attention_tone, active):
    base = [] if active else ["user_inactive"]
    monitor = [] if "monitor" in licenses else ["no_monitor_license"]
    record = [] if "record" in licenses else ["no_record_license"]
    client_code = {"softphone_usb": [], "softphone_cti": ["client_softphone_cti"],
                   "deskphone": ["client_deskphone"]}[client]
    return {
        "auto_record": base + monitor + ([] if record_all_calls else ["record_all_calls_off"]),
        "monitorable": base + monitor + client_code,
        "record_on_demand_server": base + record,
        "record_on_demand_client": base + record + client_code,
        "attention_tone": base + ([] if attention_tone else ["attention_tone_off"])
        + ([] if "record" in licenses else ["no_manual_recording"]),
    }


def test_the_product_has_96_combinations():
    assert len(ALL) == 4 * 3 * 2 * 2 * 2


@pytest.mark.parametrize(("licenses", "client", "record_all_calls", "attention_tone", "active"),
                         ALL)
def test_derive_policy_for_every_combination(licenses, client, record_all_calls,
                                             attention_tone, active):
    policy = derive_policy(licenses=licenses, client_type=client,
                           record_all_calls=record_all_calls, attention_tone=attention_tone,
                           active=active, supervisors=["210", "211"])
    flags = expected(licenses, client, record_all_calls, attention_tone, active)
    codes = expected_codes(licenses, client, record_all_calls, attention_tone, active)
    for name in FLAGS:
        flag = policy.flags[name]
        assert flag.enabled is flags[name], name
        assert list(flag.codes) == codes[name], name
        if flag.enabled:
            assert flag.reason is None
        else:
            # Every off flag says why, in words, naming every missing prerequisite.
            assert flag.reason
            for code in flag.codes:
                assert str(REASONS[code]) in flag.reason
    assert policy.licenses == tuple(sorted(licenses))
    # Supervisors only count where the user can be monitored.
    assert policy.supervisors_configured == ("210", "211")
    assert policy.supervisors == (("210", "211") if flags["monitorable"] else ())
    body = policy.as_dict(extension="201", display_name="Anna")
    for name in FLAGS:
        assert body[name] == {"enabled": flags[name], "reason": policy.flags[name].reason,
                              "codes": codes[name]}
    assert body["summary"]
    assert body["version"] == policy.version("201")


def test_every_combination_has_a_distinct_version():
    versions = {
        derive_policy(licenses=lic, client_type=client, record_all_calls=rac,
                      attention_tone=tone, active=active).version("201")
        for lic, client, rac, tone, active in ALL
    }
    assert len(versions) == len(ALL)


def test_version_does_not_depend_on_the_language():
    policy = derive_policy(licenses={"monitor"}, client_type="deskphone", record_all_calls=True,
                           attention_tone=True)
    with translation.override("de"):
        german = policy.as_dict(extension="201")
    with translation.override("en"):
        english = policy.as_dict(extension="201")
    assert german["version"] == english["version"]
    assert german["monitorable"]["reason"] != english["monitorable"]["reason"]


def test_reasons_are_plain_words_in_german_by_default():
    policy = derive_policy(licenses={"monitor"}, client_type="softphone_cti",
                           record_all_calls=True, attention_tone=True)
    with translation.override("en"):
        assert policy.monitorable.reason == (
            "Needs a softphone with a USB sound device, not CTI mode.")
    with translation.override("de"):
        reason = policy.monitorable.reason
    assert "USB" in reason and "CTI" in reason and "Softphone" in reason
    assert reason != "Needs a softphone with a USB sound device, not CTI mode."


def test_lapsed_licence_is_explained_as_not_valid_rather_than_missing():
    policy = derive_policy(licenses=set(), lapsed={"monitor"}, client_type="softphone_usb",
                           record_all_calls=True, attention_tone=True)
    assert policy.auto_record.codes == ("monitor_license_lapsed",)
    assert policy.monitorable.codes == ("monitor_license_lapsed",)
    assert policy.lapsed_licenses == ("monitor",)
    assert policy.record_on_demand_server.codes == ("no_record_license",)


def test_monitor_on_a_desk_phone_records_but_is_not_monitorable():
    policy = derive_policy(licenses={"monitor"}, client_type="deskphone", record_all_calls=True,
                           attention_tone=True)
    assert policy.auto_record.enabled
    assert not policy.monitorable.enabled
    assert policy.ineffective_licenses == ()
    with translation.override("en"):
        assert any("supervisors cannot listen in" in note for note in policy.notes())


def test_monitor_without_usb_and_without_record_all_calls_has_no_effect():
    policy = derive_policy(licenses={"monitor"}, client_type="softphone_cti",
                           record_all_calls=False, attention_tone=True)
    assert policy.ineffective_licenses == ("monitor",)
    with translation.override("en"):
        assert any("no effect" in note for note in policy.notes())
        assert policy.summary() == "Calls are not recorded automatically." or (
            "not recorded" in policy.summary())


def test_overlap_of_both_licences_is_pointed_out():
    policy = derive_policy(licenses={"monitor", "record"}, client_type="softphone_usb",
                           record_all_calls=True, attention_tone=True, supervisors=["210"])
    with translation.override("en"):
        assert any(note.startswith("Overlap") for note in policy.notes())
        summary = policy.summary()
    assert "recorded automatically" in summary
    assert "1 supervisor" in summary


def test_deactivated_user_gets_nothing():
    policy = derive_policy(licenses={"monitor", "record"}, client_type="softphone_usb",
                           record_all_calls=True, attention_tone=True, active=False)
    assert not any(policy.flags[name].enabled for name in FLAGS)
    assert policy.ineffective_licenses == ("monitor", "record")
    with translation.override("en"):
        assert "deactivated" in policy.summary()


@pytest.mark.parametrize("bad", [{"licenses": {"gold"}}, {"client_type": "fax"}])
def test_unknown_values_are_refused(bad):
    kwargs = {"licenses": set(), "client_type": "deskphone", "record_all_calls": True,
              "attention_tone": True, **bad}
    with pytest.raises(ValueError):
        derive_policy(**kwargs)


@pytest.mark.parametrize(("license", "client", "record_all_calls", "codes"), [
    ("monitor", "softphone_usb", True, []),
    ("monitor", "deskphone", True, ["monitorable_off"]),
    ("monitor", "softphone_cti", False, ["auto_record_off", "monitorable_off"]),
    ("record", "softphone_usb", False, []),
    ("record", "deskphone", True, ["record_on_demand_client_off"]),
])
def test_assignment_warnings_say_what_will_not_work(license, client, record_all_calls, codes):
    warnings = assignment_warnings(license=license, client_type=client,
                                   record_all_calls=record_all_calls)
    assert [w["code"] for w in warnings] == codes
    assert all(w["detail"] for w in warnings)
