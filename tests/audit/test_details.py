"""An audit event's details in words: every data key the parts record has a label, and codes
show as the parts' labels (German by default), never raw."""

import ast
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from audit.details import FIELD_LABELS, actor_text, show_value
from audit.selectors import detail_rows

ROOT = Path(__file__).resolve().parents[2]
PARTS = [
    "hostedpbx",
    "tenancy",
    "licensing",
    "supervision",
    "recordings",
    "callrouting",
    "audit",
    "twofactor",
]


def _dict_keys(node) -> set[str]:
    return {
        key.value
        for sub in ast.walk(node)
        if isinstance(sub, ast.Dict)
        for key in sub.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def _is_audit_record(node) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "record"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "audit"
    )


def recorded_data_keys() -> dict[str, str]:
    """Data key → where it is recorded, for every ``audit.record(..., data=...)`` in the parts:
    keys of a dict literal, of the dicts built by a helper it calls (and the helper's keyword
    arguments), or of the dict literals assigned to the name it passes."""
    found = {}
    for part in PARTS:
        for path in sorted((ROOT / part).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            functions = {
                node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
            }
            for function in functions.values():
                for call in filter(_is_audit_record, ast.walk(function)):
                    data = next((kw.value for kw in call.keywords if kw.arg == "data"), None)
                    if data is None:
                        continue
                    keys = _dict_keys(data)
                    for sub in ast.walk(data):
                        if isinstance(sub, ast.Call):
                            keys |= {kw.arg for kw in sub.keywords if kw.arg}
                            name = getattr(sub.func, "id", None)
                            if name in functions:
                                keys |= _dict_keys(functions[name])
                        if isinstance(sub, ast.Name):
                            for node in ast.walk(function):
                                if isinstance(node, ast.Assign) and any(
                                    getattr(t, "id", None) == sub.id for t in node.targets
                                ):
                                    keys |= _dict_keys(node.value)
                    for key in keys:
                        found.setdefault(key, f"{path.relative_to(ROOT)}:{call.lineno}")
    return found


def test_the_scan_finds_the_keys_of_literals_helpers_and_names():
    keys = recorded_data_keys()
    # a literal (licensing), a helper (supervision's _grant_data), a name (supervision's data)
    assert {"quantity", "purpose", "dialed", "call_id"} <= set(keys)


def test_every_data_key_recorded_in_code_has_a_label():
    missing = {key: where for key, where in recorded_data_keys().items() if key not in FIELD_LABELS}
    assert not missing, f"add labels to audit.details.FIELD_LABELS: {missing}"


def _keys(data, nested=("before", "after", "changes", "changed", "values", "found")):
    for key, value in (data or {}).items():
        yield key
        if key in nested and isinstance(value, dict):
            yield from _keys(value, nested=())


@pytest.mark.django_db
def test_every_key_the_demo_records_has_a_label_and_no_code_shows(settings):
    """The demo data writes events of every part: each of their keys (and the keys inside
    before/after, changes and routing values) has a label, and no value shows as its code."""
    from audit.models import AuditEvent
    from tests.test_language import known_codes

    settings.CELERY_TASK_ALWAYS_EAGER = True
    call_command("seed_demo", quiet_logins=True, stdout=io.StringIO())
    events = list(AuditEvent.unscoped.all())
    missing = {key for event in events for key in _keys(event.data)} - set(FIELD_LABELS)
    assert not missing, f"add labels to audit.details.FIELD_LABELS: {sorted(missing)}"
    codes = known_codes() - {"key"}  # "Key" the label, not the code
    shown = []
    with translation.override("de"):
        for event in events:
            for row in detail_rows(event.data, event.action):
                for text in (row.label, row.value, row.before, row.after):
                    shown += [(event.action, text) for code in codes if code == text.strip()]
    assert not shown, shown


def test_values_show_as_the_parts_labels_in_german():
    with translation.override("de"):
        assert show_value("consented", "consent") == "eingewilligt"
        assert show_value(True, "is_active") == "ja"
        assert show_value("unknown_extension", "reason", "recording.ingest_quarantined") != (
            "unknown_extension"
        )
        assert show_value("Demo", "reason", "license.assigned") == "Demo"
        assert actor_text("system") == "System"
        assert show_value({"mode": "opt_out", "covers_all": True}, "values") == (
            f"Modus: {show_value('opt_out', 'mode')}; Alle Rufnummern des Mandanten: ja"
        )
        assert "opt_out" not in show_value("opt_out", "mode")


def test_changes_show_before_and_after_with_labels():
    with translation.override("de"):
        rows = detail_rows({"changes": {"is_active": {"before": True, "after": False}}})
        assert [(r.label, r.before, r.after) for r in rows] == [("Aktiv", "ja", "nein")]
    with translation.override("en"):
        rows = detail_rows(
            {"call_id": "c-1", "before": "notified", "after": "objected"}, "call.consent_changed"
        )
        assert [(r.label, r.before, r.after) for r in rows if r.changed] == [
            ("Consent", "notified", "objected")
        ]


@pytest.mark.django_db
def test_the_trail_links_only_to_pages_the_reader_may_open(web, admin_a, compliance_a, tenant_a,
                                                           agent_ext_a):
    """A compliance officer got links to the admins' editing pages of PBX users and accounts,
    which answered 403."""
    from django.urls import reverse

    from tenancy import services
    from tenancy.models import Membership

    services.update_pbx_user(actor=admin_a, pbx_user=agent_ext_a, display_name="Anna Neu")
    membership = Membership.unscoped.get(tenant=tenant_a, user=compliance_a)
    services.update_membership(actor=admin_a, membership=membership, role="compliance",
                               pbx_user=None)
    edit_user = reverse("tenancy:pbx-user-edit", kwargs={"tenant_slug": tenant_a.slug,
                                                         "extension": agent_ext_a.extension})
    edit_account = reverse("tenancy:membership-edit", kwargs={
        "tenant_slug": tenant_a.slug, "membership_id": membership.pk})
    trail = reverse("audit:trail", kwargs={"tenant_slug": tenant_a.slug})
    admin_page = web(admin_a).get(trail).content.decode()
    assert edit_user in admin_page and edit_account in admin_page
    officer_page = web(compliance_a).get(trail).content.decode()
    assert "Anna Neu" in officer_page or agent_ext_a.extension in officer_page
    assert edit_user not in officer_page and edit_account not in officer_page
