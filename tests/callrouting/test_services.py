"""Drafts, validation, publishing, rollback and the audit of each change."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from callrouting import services
from callrouting.definition import validate
from callrouting.models import Routing, RoutingVersion
from callrouting.services import clean_values, default_values

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> dict:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


def refused(**changes):
    with pytest.raises(ValidationError) as info:
        validate(clean_values(changes, default_values(name="X")))
    return codes(info.value)


def test_defaults_are_valid_in_every_mode():
    for mode in ("notice", "opt_out", "opt_in"):
        validate(default_values(name="X", mode=mode))


def test_default_texts_name_recording_listen_in_and_the_choice():
    values = default_values(name="X", mode="opt_out")
    assert "aufgezeichnet" in values["text_de"] and "mitgehört" in values["text_de"]
    assert "{objection_key}" in values["text_de"] and "{objection_key}" in values["text_en"]
    assert "recorded" in values["text_en"] and "listen in" in values["text_en"]
    opt_in = default_values(name="X", mode="opt_in")
    assert "{consent_key}" in opt_in["text_de"] and "{consent_key}" in opt_in["text_en"]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        (
            {"mode": "opt_in", "objection_key": "1", "consent_key": "1"},
            "consent_key",
            "duplicate_key",
        ),
        ({"timeout_seconds": 0}, "timeout_seconds", "timeout_out_of_range"),
        ({"timeout_seconds": 31}, "timeout_seconds", "timeout_out_of_range"),
        ({"repeats": 4}, "repeats", "repeats_out_of_range"),
        ({"objection_key": "A"}, "objection_key", "invalid_key"),
        ({"objection_key": ""}, "objection_key", "key_required"),
        ({"covers_all": False, "numbers": []}, "numbers", "numbers_required"),
        ({"covers_all": False, "numbers": "+4930123, abc"}, "numbers", "invalid_number"),
        ({"covers_all": False, "numbers": "201, 201"}, "numbers", "duplicate_number"),
        ({"covers_all": True, "numbers": "+4930123, abc"}, "numbers", "invalid_number"),
        ({"covers_all": True, "numbers": "201, 201"}, "numbers", "duplicate_number"),
        ({"languages": ["fr"]}, "languages", "invalid_language"),
        ({"text_de": ""}, "text_de", "text_required"),
        ({"text_en": "Press {foo}"}, "text_en", "unknown_placeholder"),
        ({"text_en": "We record. Press 5 to object."}, "text_en", "key_not_announced"),
        ({"name": ""}, "name", "name_required"),
    ],
)
def test_validation_refuses_with_a_stable_code(changes, field, code):
    assert code in refused(**changes).get(field, []), refused(**changes)


def test_validation_message_is_translated():
    from django.utils import translation

    with translation.override("de"), pytest.raises(ValidationError) as info:
        validate(clean_values({"timeout_seconds": 99}, default_values(name="X")))
    assert "Sekunden" in info.value.error_dict["timeout_seconds"][0].messages[0]


def test_create_and_edit_draft_are_audited(routing, admin_a):
    assert (
        AuditEvent.objects.for_actor(admin_a, routing.tenant)
        .filter(action="routing.created")
        .count()
        == 1
    )
    services.update_routing(actor=admin_a, routing=routing, values={"timeout_seconds": 8})
    event = AuditEvent.objects.for_actor(admin_a, routing.tenant).get(
        action="routing.draft_changed"
    )
    assert event.data["changed"] == {"timeout_seconds": {"before": 5, "after": 8}}
    services.update_routing(actor=admin_a, routing=routing, values={"timeout_seconds": 8})
    assert (
        AuditEvent.objects.for_actor(admin_a, routing.tenant)
        .filter(action="routing.draft_changed")
        .count()
        == 1
    )


def test_refused_edit_changes_nothing(routing, admin_a):
    with pytest.raises(ValidationError):
        services.update_routing(actor=admin_a, routing=routing, values={"repeats": 9})
    assert Routing.unscoped.get(pk=routing.pk).repeats == 1


def test_publish_creates_numbered_immutable_version_with_audio(routing, admin_a):
    version = services.publish_routing(actor=admin_a, routing=routing)
    assert version.number == 1
    de = version.definition["languages"][0]
    assert de["code"] == "de" and "Taste 9" in de["text"]
    assert de["audio"]["duration"] > 5 and de["audio"]["source"] == "generated"
    with pytest.raises(ValueError):
        version.save()
    assert services.publish_routing(actor=admin_a, routing=routing).pk == version.pk
    services.update_routing(actor=admin_a, routing=routing, values={"repeats": 2})
    second = services.publish_routing(actor=admin_a, routing=routing)
    assert second.number == 2
    assert RoutingVersion.unscoped.get(pk=version.pk).definition["repeats"] == 1
    event = (
        AuditEvent.objects.for_actor(admin_a, routing.tenant)
        .filter(action="routing.published")
        .order_by("-seq")
        .first()
    )
    assert event.data["changes"] == [{"field": "repeats", "old": 1, "new": 2}]


def test_publish_refuses_overlapping_numbers(tenant_a, admin_a):
    first = services.create_routing(
        actor=admin_a,
        tenant=tenant_a,
        values={"name": "Sales", "covers_all": False, "numbers": "+49301111, 201"},
    )
    services.publish_routing(actor=admin_a, routing=first)
    second = services.create_routing(
        actor=admin_a,
        tenant=tenant_a,
        values={"name": "Support", "covers_all": False, "numbers": "202, 201"},
    )
    with pytest.raises(ValidationError) as info:
        services.publish_routing(actor=admin_a, routing=second)
    assert codes(info.value) == {"numbers": ["overlapping_numbers"]}
    assert "Sales" in info.value.messages[0] and "201" in info.value.messages[0]
    services.update_routing(actor=admin_a, routing=second, values={"numbers": "202"})
    assert services.publish_routing(actor=admin_a, routing=second).number == 1
    everything = services.create_routing(
        actor=admin_a, tenant=tenant_a, values={"name": "All", "covers_all": True}
    )
    with pytest.raises(ValidationError):
        services.publish_routing(actor=admin_a, routing=everything)


def test_names_are_unique_per_tenant(routing, admin_a, tenant_a, tenant_b, admin_b):
    with pytest.raises(ValidationError) as info:
        services.create_routing(actor=admin_a, tenant=tenant_a, values={"name": "Hotline"})
    assert codes(info.value) == {"name": ["name_taken"]}
    services.create_routing(actor=admin_b, tenant=tenant_b, values={"name": "Hotline"})


def test_rollback_publishes_old_definition_again_and_resets_draft(routing, admin_a):
    services.publish_routing(actor=admin_a, routing=routing)
    services.update_routing(
        actor=admin_a,
        routing=routing,
        values={
            "mode": "opt_in",
            "objection_key": "",
            "text_de": "Bitte {consent_key} drücken.",
            "text_en": "Press {consent_key} to agree.",
        },
    )
    v2 = services.publish_routing(actor=admin_a, routing=routing)
    assert v2.definition["mode"] == "opt_in"
    v3 = services.rollback_routing(actor=admin_a, routing=routing, number=1)
    assert (v3.number, v3.kind, v3.rolled_back_to) == (3, "rollback", 1)
    v1 = RoutingVersion.unscoped.get(routing=routing, number=1)
    assert v3.definition == v1.definition
    routing.refresh_from_db()
    assert routing.published_version_id == v3.pk
    assert routing.mode == "opt_out" and "{objection_key}" in routing.text_de
    assert services.publish_routing(actor=admin_a, routing=routing).pk == v3.pk
    with pytest.raises(ValidationError) as info:
        services.rollback_routing(actor=admin_a, routing=routing, number=1)
    assert codes(info.value) == {"version": ["already_current"]}
    with pytest.raises(ValidationError) as info:
        services.rollback_routing(actor=admin_a, routing=routing, number=99)
    assert codes(info.value) == {"version": ["unknown_version"]}
    event = AuditEvent.objects.for_actor(admin_a, routing.tenant).get(action="routing.rolled_back")
    assert (event.data["to"], event.data["from"], event.data["version"]) == (1, 2, 3)


def test_changed_text_gets_new_audio_at_publish(routing, admin_a):
    v1 = services.publish_routing(actor=admin_a, routing=routing)
    services.update_routing(
        actor=admin_a,
        routing=routing,
        values={"text_en": "Short. Press {objection_key} to object."},
    )
    v2 = services.publish_routing(actor=admin_a, routing=routing)
    old_en, new_en = (v.definition["languages"][1]["audio"] for v in (v1, v2))
    assert old_en["id"] != new_en["id"] and new_en["duration"] < old_en["duration"]
    assert v1.definition["languages"][0]["audio"] == v2.definition["languages"][0]["audio"]
