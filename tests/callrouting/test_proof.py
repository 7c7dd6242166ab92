"""The proof: the PBX fetches the routing, reports the caller's objection naming the version,
the recording that follows is discarded, and its detail shows what the caller heard."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from audit.models import AuditEvent
from callrouting import recording_panels, selectors
from callrouting.models import ConsentProof
from licensing.models import LicenseAssignment
from recordings.models import Call, Ingest
from tenancy.models import Membership
from tests import audio_samples

pytestmark = pytest.mark.django_db


def consent(client, call_id, **data):
    return client.post(f"/api/pbx/v1/calls/{call_id}/consent/", data, format="json")


@pytest.fixture
def monitored(agent_ext_a):
    return LicenseAssignment.unscoped.create(
        tenant_id=agent_ext_a.tenant_id,
        pbx_user=agent_ext_a,
        license="monitor",
        assigned_at=timezone.now() - datetime.timedelta(days=1),
    )


def push(client, path, call_id):
    started = timezone.localtime() - datetime.timedelta(minutes=3)
    with open(path, "rb") as fh:
        return client.post(
            "/api/pbx/v1/recordings/",
            {
                "audio": fh,
                "call_id": call_id,
                "extension": "201",
                "direction": "inbound",
                "remote_number": "030 1234567",
                "started_at": started.isoformat(),
                "kind": "auto",
            },
            format="multipart",
        )


def test_pbx_scenario_objection_naming_the_version_discards_and_proves(
    pbx_api,
    node_a,
    admin_a,
    tenant_a,
    published,
    monitored,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    client = pbx_api(node_a)
    export = client.get(reverse("pbx-routing")).json()["routings"][0]
    assert export["version_id"] == published.pk

    response = consent(
        client,
        "call-77",
        outcome="objected",
        source="routing",
        extension="201",
        routing_version=export["report"]["routing_version"],
        language="de",
        key=export["keys"]["objection"],
    )
    assert response.status_code == 200 and response.json()["consent"] == "objected"
    proof = ConsentProof.unscoped.get()
    assert (proof.routing_version_id, proof.language, proof.key, proof.outcome) == (
        published.pk,
        "de",
        "9",
        "objected",
    )
    assert proof.reported_by == "node:pbx-a" or "pbx-a" in proof.reported_by

    wav = audio_samples.pcm_wav(tmp_path, seconds=2)
    with django_capture_on_commit_callbacks(execute=True):
        pushed = push(client, wav, "call-77")
    assert pushed.status_code == 202
    ingest = Ingest.unscoped.select_related("recording").get(ingest_id=pushed.json()["ingest_id"])
    assert ingest.reason == "caller_objected"
    recording = ingest.recording
    assert recording.audio_state == "discarded"

    membership = Membership.unscoped.get(user=admin_a, tenant=tenant_a)
    panels = recording_panels.panels(
        actor=admin_a, tenant=tenant_a, membership=membership, recording=recording
    )
    assert len(panels) == 1
    with translation.override("de"):
        html = render_to_string(panels[0].template, panels[0].context)
    assert "Version 1" in html and "Deutsch" in html and "9" in html
    assert "Widerspruch erfasst" in html and "Taste 9" in html

    report = selectors.version_report(published.routing)
    assert report[0]["calls"] == 1 and report[0]["objections"] == 1
    assert report[0]["consent_rate"] == 0.0
    assert (
        AuditEvent.unscoped.filter(tenant=tenant_a, action="routing.consent_proof_recorded").count()
        == 1
    )


def test_report_rate_counts_calls_per_version(pbx_api, node_a, published):
    client = pbx_api(node_a)
    for n, (outcome, key) in enumerate(
        [("notified", ""), ("notified", ""), ("objected", "9"), ("notified", "")]
    ):
        assert (
            consent(
                client,
                f"c{n}",
                outcome=outcome,
                routing_version=published.pk,
                language="en",
                key=key,
                extension="201",
            ).status_code
            == 200
        )
    consent(
        client,
        "c0",
        outcome="notified",
        routing_version=published.pk,
        language="en",
        extension="201",
    )
    assert ConsentProof.unscoped.filter(call__call_id="c0").count() == 1
    row = selectors.version_report(published.routing)[0]
    assert (row["calls"], row["objections"], row["consent_rate"]) == (4, 1, 0.75)


def test_unknown_version_refuses_the_whole_report(
    pbx_api, node_a, node_b, admin_b, tenant_b, published
):
    from callrouting import services

    other = services.create_routing(actor=admin_b, tenant=tenant_b, values={"name": "B"})
    foreign = services.publish_routing(actor=admin_b, routing=other)
    for reference in (foreign.pk, "999999", "x"):
        response = consent(
            pbx_api(node_a),
            "call-x",
            outcome="objected",
            routing_version=reference,
            extension="201",
        )
        assert response.status_code == 400
        assert response.json()["code"] == "unknown_routing_version"
    assert not Call.unscoped.filter(call_id="call-x").exists()
    assert not ConsentProof.unscoped.exists()
    ok = consent(
        pbx_api(node_a),
        "call-y",
        outcome="notified",
        routing_version=f"{published.routing_id}:1",
        extension="201",
    )
    assert ok.status_code == 200
    assert ConsentProof.unscoped.get().routing_version_id == published.pk
    bad_key = consent(
        pbx_api(node_a),
        "call-z",
        outcome="objected",
        key="x",
        routing_version=published.pk,
        extension="201",
    )
    assert bad_key.json()["code"] == "invalid_key"


def test_report_without_routing_fields_keeps_no_proof(pbx_api, node_a):
    assert consent(pbx_api(node_a), "plain", outcome="notified", extension="201").status_code == 200
    assert not ConsentProof.unscoped.exists()


def test_panel_is_empty_without_proof(admin_a, tenant_a):
    from recordings.models import Recording

    call = Call.unscoped.create(tenant=tenant_a, call_id="np", extension="201")
    recording = Recording(tenant=tenant_a, call=call)
    membership = Membership.unscoped.get(user=admin_a, tenant=tenant_a)
    assert (
        recording_panels.panels(
            actor=admin_a, tenant=tenant_a, membership=membership, recording=recording
        )
        == []
    )
