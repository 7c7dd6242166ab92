"""The audit trail for compliance officers: list, filter, verify, export, offline check."""

import json
import subprocess
import sys

import pytest
from django.db import transaction

import audit


def base(tenant):
    return f"/api/v1/tenants/{tenant.slug}/"


def _events(tenant, n, actor=None, action="license.assigned"):
    for i in range(n):
        with transaction.atomic():
            audit.record(actor=actor, tenant=tenant, action=action, data={"i": i})


@pytest.mark.django_db
def test_compliance_lists_and_filters_newest_first(api, compliance_a, tenant_a):
    _events(tenant_a, 3)
    _events(tenant_a, 2, action="pbx_user.created")
    client = api(compliance_a)
    body = client.get(base(tenant_a) + "audit-events/").json()
    seqs = [e["seq"] for e in body["results"]]
    # Five events and carla's own sign-in with her second factor.
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == 6
    assert body["results"][0]["action"] == "twofactor.verified"
    assert {"hash", "prev_hash", "action", "occurred_at", "actor_label"} <= set(body["results"][0])
    assert "next" in body  # cursor pagination
    only = client.get(base(tenant_a) + "audit-events/", {"action": "pbx_user."}).json()
    assert {e["action"] for e in only["results"]} == {"pbx_user.created"}


@pytest.mark.django_db
def test_cursor_pages_through_everything(api, admin_a, tenant_a):
    _events(tenant_a, 7)
    client = api(admin_a)
    url = base(tenant_a) + "audit-events/?page_size=3"
    seen = []
    while url:
        body = client.get(url).json()
        seen += [e["seq"] for e in body["results"]]
        url = body["next"]
    assert seen == list(range(8, 0, -1))  # 7 and alice's second-factor sign-in


@pytest.mark.django_db
def test_members_see_only_their_own_actions(api, agent_a, admin_a, tenant_a):
    _events(tenant_a, 2, actor=admin_a)
    _events(tenant_a, 1, actor=agent_a, action="call.objection_marked")
    results = api(agent_a).get(base(tenant_a) + "audit-events/").json()["results"]
    assert [e["action"] for e in results] == ["call.objection_marked"]


@pytest.mark.django_db
def test_verify_endpoint_reports_the_chain_and_is_audited(api, compliance_a, tenant_a,
                                                         agent_a):
    _events(tenant_a, 4)
    body = api(compliance_a).get(base(tenant_a) + "audit/verify/").json()
    assert body["ok"] is True and body["count"] >= 4 and body["message"].startswith("OK")
    assert api(agent_a).get(base(tenant_a) + "audit/verify/").status_code == 403
    from audit.models import AuditEvent

    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="audit.verified").exists()


@pytest.mark.django_db
def test_exports_stream_csv_and_jsonl_that_verify_offline(api, compliance_a, tenant_a, tmp_path,
                                                          agent_a):
    _events(tenant_a, 5)
    client = api(compliance_a)
    csv_response = client.get(base(tenant_a) + "audit-events/export/?format=csv")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    csv_text = b"".join(csv_response.streaming_content).decode()
    assert csv_text.splitlines()[0].startswith("seq,occurred_at")
    response = client.get(base(tenant_a) + "audit-events/export/?format=jsonl")
    lines = b"".join(response.streaming_content).decode().splitlines()
    header, events = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    assert header["record"] == "export" and header["filtered"] is False
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert (header["first_seq"], header["last_seq"], header["head_seq"]) == (
        1, len(events), len(events))
    path = tmp_path / "trail.jsonl"
    path.write_text("\n".join(lines) + "\n")
    ok = subprocess.run([sys.executable, "scripts/verify_audit_export.py", str(path)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith(f"OK {len(events)} events")
    events[2]["data"] = {"i": 999}
    path.write_text("\n".join(json.dumps(e) for e in [header, *events]) + "\n")
    broken = subprocess.run([sys.executable, "scripts/verify_audit_export.py", str(path)],
                            capture_output=True, text=True)
    assert broken.returncode == 1 and "line 4" in broken.stdout
    assert api(agent_a).get(base(tenant_a) + "audit-events/export/?format=csv").status_code == 403
    bad = client.get(base(tenant_a) + "audit-events/export/?format=xml")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_format"


@pytest.mark.django_db
def test_trail_page_shows_events_and_verifies(web, compliance_a, tenant_a, agent_a):
    _events(tenant_a, 3)
    page = web(compliance_a).get(f"/t/{tenant_a.slug}/audit/?verify=1").content.decode()
    assert "Lizenz zugewiesen" in page and 'data-testid="verify-result"' in page
    assert "license.assigned" not in page.split("<table")[1]  # labels, not codes
    assert "intakt" in page
    assert web(agent_a).get(f"/t/{tenant_a.slug}/audit/").status_code == 403
