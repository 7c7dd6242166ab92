"""Every audit action has a German and an English label and a category."""

import re
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import translation

import audit
from audit.actions import CATEGORIES, action_category, action_label, registry

ROOT = Path(__file__).resolve().parents[2]
ACTION_LITERAL = re.compile(r'action="([a-z_]+\.[a-z_]+)"')


def _recorded_actions():
    found = set()
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {"tests", "bench", ".venv", "var"}:
            continue
        text = path.read_text(encoding="utf-8")
        if "audit.record" in text or "_audit" in text:
            found |= set(ACTION_LITERAL.findall(text))
    return found


def test_every_action_in_the_code_is_declared_with_a_known_category():
    declared = registry()
    missing = sorted(_recorded_actions() - set(declared))
    assert not missing, f"declare these in <app>/audit_actions.py: {missing}"
    assert {category for _label, category in declared.values()} <= set(CATEGORIES)


def test_labels_are_translated_and_unknown_actions_stay_readable():
    with translation.override("de"):
        assert action_label("license.assigned") == "Lizenz zugewiesen"
        assert action_label("pbxnode.updated") == "TK-Anlagen-Knoten geändert"
        assert action_label("something.odd") == "Sonstige Aktion"
    with translation.override("en"):
        assert action_label("license.assigned") == "Licence assigned"
    for action, (label, _category) in registry().items():
        with translation.override("de"):
            german = str(label)
        with translation.override("en"):
            english = str(label)
        assert german != english or german in {"Compliance"}, f"no German label for {action}"
    assert action_category("membership.deleted") == "accounts"


@pytest.mark.django_db
def test_api_gives_the_label_in_the_request_language_and_filters_by_category(api, compliance_a,
                                                                              tenant_a):
    for action in ("license.assigned", "membership.saved", "recording.listed"):
        with transaction.atomic():
            audit.record(actor=None, tenant=tenant_a, action=action)
    client = api(compliance_a)
    url = f"/api/v1/tenants/{tenant_a.slug}/audit-events/"
    german = client.get(url, {"category": "licences"}).json()
    assert [(e["action_label"], e["category"]) for e in german["results"]] == [
        ("Lizenz zugewiesen", "licences")]
    english = client.get(url, {"category": "accounts", "lang": "en"}).json()
    assert [e["action_label"] for e in english["results"]] == ["Portal account saved"]
    hidden = client.get(url, {"access": "false"}).json()
    assert "recording.listed" not in {e["action"] for e in hidden["results"]}
    bad = client.get(url, {"occurred_after": "0001-01-01T00:00:00+01:00"})
    assert bad.status_code == 400
    export = client.get(url + "export/", {"format": "csv",
                                          "occurred_before": "9999-12-31T23:59:59-05:00"})
    assert export.status_code == 400
